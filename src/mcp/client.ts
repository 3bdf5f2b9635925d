// The model's tools, all reached through MCP clients: the bot's own server in memory, and the external
// servers named in MCP_SERVERS (a stdio command or a Streamable HTTP URL), each through its allowlist. An
// external server that fails is left out of the job; it never breaks one.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { jsonSchema, tool, type ToolSet } from 'ai';
import type { Logger } from '../log.ts';
import type { ExternalServer } from './servers-file.ts';
import { redact } from '../redact.ts';

const CALL_TIMEOUT_MS = 30_000;

type Connected = { name: string; client: Client; allow?: string[]; prefix: string; tools?: ToolSet };

export class ToolHub {
  private readonly builtin: () => McpServer;
  private readonly builtinTools: readonly string[];
  private readonly external: ExternalServer[];
  private readonly log: Logger;
  private connected: Promise<Connected[]> | undefined;

  /** `builtinTools`: which of the bot's own tools the model is offered. */
  constructor(options: { builtin: () => McpServer; builtinTools: readonly string[]; external?: ExternalServer[]; log: Logger }) {
    this.builtin = options.builtin;
    this.builtinTools = options.builtinTools;
    this.external = options.external ?? [];
    this.log = options.log;
  }

  private async connect(): Promise<Connected[]> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await this.builtin().connect(serverSide);
    const own = new Client({ name: 'dagwright-model', version: '0.1.0' });
    await own.connect(clientSide);
    const all: Connected[] = [{ name: 'dagwright', client: own, allow: [...this.builtinTools], prefix: '' }];
    for (const server of this.external) {
      try {
        const client = new Client({ name: 'dagwright-model', version: '0.1.0' });
        const transport =
          'command' in server
            ? new StdioClientTransport({ command: server.command, args: server.args, env: { PATH: process.env.PATH ?? '', ...server.env }, stderr: 'ignore' })
            : new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } });
        await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
        all.push({ name: server.name, client, allow: server.allow, prefix: `${server.name}__` });
      } catch (err) {
        this.log.warn({ server: server.name, err: redact((err as Error).message) }, 'an MCP server could not be reached: its tools are left out');
      }
    }
    return all;
  }

  /** The tools the model may call, as the AI SDK takes them. */
  async tools(): Promise<ToolSet> {
    this.connected ??= this.connect();
    const tools: ToolSet = {};
    for (const server of await this.connected) {
      // A server's tools are listed once; a server that could not list them is asked again next time.
      server.tools ??= await this.listed(server);
      Object.assign(tools, server.tools);
    }
    return tools;
  }

  /** A server's tools through its allowlist, as the AI SDK takes them; undefined when it could not list them. */
  private async listed(server: Connected): Promise<ToolSet | undefined> {
    let listed;
    try {
      listed = (await server.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS })).tools;
    } catch (err) {
      this.log.warn({ server: server.name, err: redact((err as Error).message) }, 'an MCP server did not list its tools: they are left out');
      return undefined;
    }
    const tools: ToolSet = {};
    for (const listedTool of listed) {
      if (server.allow && !server.allow.includes(listedTool.name)) continue;
      tools[`${server.prefix}${listedTool.name}`] = tool({
        description: listedTool.description ?? listedTool.name,
        inputSchema: jsonSchema(listedTool.inputSchema as Parameters<typeof jsonSchema>[0]),
        execute: async (input) => {
          try {
            const result = (await server.client.callTool({ name: listedTool.name, arguments: input as Record<string, unknown> }, undefined, { timeout: CALL_TIMEOUT_MS })) as {
              content?: Array<{ type: string; text?: string }>;
              isError?: boolean;
            };
            const text = (result.content ?? []).map((c) => c.text ?? `[${c.type}]`).join('\n');
            return result.isError ? `error: ${text}` : text;
          } catch (err) {
            // A failing tool is an answer the model can read, not the job's end.
            return `error: the tool ${listedTool.name} failed: ${redact((err as Error).message)}`;
          }
        },
      });
    }
    return tools;
  }

  async close(): Promise<void> {
    const connected = await this.connected?.catch(() => []);
    for (const server of connected ?? []) await server.client.close().catch(() => undefined);
  }
}

/** The bot's own tools the model is offered: reading sources. Render and validate are the bot's own job. */
export const MODEL_TOOLS = ['list_tables', 'describe_table', 'sample_rows', 'estimate_rows', 'watermark_candidates'] as const;
