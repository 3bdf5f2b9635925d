// MCP_SERVERS: the JSON file naming external MCP servers (a stdio command or a Streamable HTTP URL), each
// with the allowlist of its tools the model may call. Read with the rest of the configuration at start.
import fs from 'node:fs';
import { z } from 'zod';

const serverEntry = z.union([
  z.strictObject({ command: z.string().min(1), args: z.array(z.string()).default([]), env: z.record(z.string(), z.string()).default({}), allow: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ url: z.url(), headers: z.record(z.string(), z.string()).default({}), allow: z.array(z.string().min(1)).min(1) }),
]);
const serversFile = z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'server names are short lowercase words'), serverEntry);

export type ExternalServer = { name: string } & z.infer<typeof serverEntry>;

/** Reads MCP_SERVERS; every problem is named (the file's path, the server, the field). */
export function readMcpServers(file: string): ExternalServer[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`MCP_SERVERS: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = serversFile.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`MCP_SERVERS: ${file} is not a valid list of servers:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(the file)'}: ${i.message}`).join('\n')}`);
  }
  return Object.entries(parsed.data).map(([name, entry]) => ({ name, ...entry }));
}

