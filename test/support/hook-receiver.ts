// A webhook endpoint for stand-in tests: records what it receives and answers with a status of our choice.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedHook = { headers: http.IncomingHttpHeaders; body: Record<string, any> };

export type HookReceiver = { url: string; received: ReceivedHook[]; status: number; close(): void };

export async function startHookReceiver(): Promise<HookReceiver> {
  const receiver: HookReceiver = { url: '', received: [], status: 200, close: () => server.close() };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      receiver.received.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(receiver.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: receiver.status === 200 ? 'accepted' : 'error' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/gitlab`;
  return receiver;
}
