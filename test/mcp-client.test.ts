// The model's tools through MCP clients: the bot's own server in memory, external servers from MCP_SERVERS
// through their allowlists (one that fails is left out), and the bot's tools over Streamable HTTP at /mcp.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createLogger } from '../src/log.ts';
import { MODEL_TOOLS, ToolHub } from '../src/mcp/client.ts';
import { readMcpServers } from '../src/mcp/servers-file.ts';
import { createMcpServer } from '../src/mcp/server.ts';
import { registerHandlers } from '../handlers/index.ts';
import { repoRoot, startStack, tempDir, type Stack } from './support/harness.ts';

describe('the model\'s tools through MCP', () => {
  let hub: ToolHub | undefined;
  let stack: Stack | undefined;
  afterEach(async () => {
    await hub?.close();
    await stack?.stop();
    hub = stack = undefined;
  });

  test('built-in tools in memory, an external server through its allowlist, a broken one left out', async () => {
    const lines: string[] = [];
    const file = path.join(tempDir(), 'servers.json');
    fs.writeFileSync(file, JSON.stringify({
      other: { command: process.execPath, args: [path.join(repoRoot, 'src/main.ts'), 'mcp'], allow: ['validate_pipeline'] },
      broken: { command: '/nonexistent/mcp-server', allow: ['anything'] },
    }));
    hub = new ToolHub({ builtin: () => createMcpServer(), builtinTools: MODEL_TOOLS, external: readMcpServers(file), log: createLogger('warn', { write: (l: string) => void lines.push(l) }) });
    const tools = await hub.tools();
    assert.deepEqual(Object.keys(tools).sort(), [...MODEL_TOOLS, 'other__validate_pipeline'].sort());
    assert.ok(lines.some((l) => l.includes('broken') && l.includes('left out')));
    const validate = tools.other__validate_pipeline!;
    const answer = await validate.execute!({ files: [{ path: 'dags/x.py', content: 'import os\n' }] }, { toolCallId: '1', messages: [] } as never);
    assert.match(String(answer), /F401/);
    // A tool that fails answers with an error the model can read.
    const failing = await tools.describe_table!.execute!({ conn_id: 'nowhere', table: 'x' }, { toolCallId: '2', messages: [] } as never);
    assert.match(String(failing), /^error: .*was given no connection nowhere/);
  });

  test('a bad MCP_SERVERS file is refused with the reason', () => {
    const file = path.join(tempDir(), 'servers.json');
    fs.writeFileSync(file, JSON.stringify({ x: { command: 'a' } }));
    assert.throws(() => readMcpServers(file), /MCP_SERVERS: .* is not a valid list of servers/);
    assert.throws(() => readMcpServers(path.join(tempDir(), 'missing.json')), /MCP_SERVERS: cannot read/);
  });

  test('/mcp serves the tools to a client with the bearer token, and refuses one without', async () => {
    const token = 'mcp-token-for-the-tests-0123456789';
    stack = await startStack({ register: registerHandlers, config: { mcpToken: token } });
    const url = new URL(`${stack.bot.url}/mcp`);
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'render_pipeline'));
    const result = (await client.callTool({ name: 'validate_pipeline', arguments: { files: [{ path: 'dags/y.py', content: 'x = 1\n' }] } })) as { content: Array<{ text: string }> };
    assert.match(result.content[0]!.text, /no findings/);
    await client.close();
    // The same endpoint as an external server of another bot's model (MCP_SERVERS with a URL).
    hub = new ToolHub({ builtin: () => createMcpServer(), builtinTools: [], external: [{ name: 'remote', url: url.href, headers: { Authorization: `Bearer ${token}` }, allow: ['validate_pipeline'] }], log: createLogger('silent') });
    const remote = await hub.tools();
    assert.deepEqual(Object.keys(remote), ['remote__validate_pipeline']);
    assert.match(String(await remote.remote__validate_pipeline!.execute!({ files: [{ path: 'dags/z.py', content: 'import sys\n' }] }, { toolCallId: '3', messages: [] } as never)), /F401/);
    const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{}' });
    assert.equal(refused.status, 401);
    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anonymous.status, 401);
  });
});
