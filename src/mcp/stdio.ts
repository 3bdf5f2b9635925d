// `dagwright mcp`: the tools over standard input and output. Standard output belongs to the protocol, so
// nothing else may be printed there.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { registerConnectionSecrets } from '../sources/connections.ts';
import { createMcpServer } from './server.ts';

export async function serveMcpOnStdio(): Promise<void> {
  registerConnectionSecrets();
  const server = createMcpServer();
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
  await server.close();
}
