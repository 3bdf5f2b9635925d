// A load balancer in front of bot replicas, as the tests need one: each webhook goes to the next replica in
// turn (to the other one when that replica does not answer, as a health-checking balancer would), and is then
// delivered again to the other replica, as GitLab does when an answer is late.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Forwarded = { to: number; status: number; result: string };

export type Balancer = {
  url: string;
  /** Each delivery's first answer, then its redelivery's, by replica index. */
  deliveries: Array<{ first: Forwarded; again: Forwarded | undefined }>;
  close(): Promise<void>;
};

async function forward(target: string, headers: http.IncomingHttpHeaders, body: Buffer): Promise<{ status: number; text: string }> {
  const sent = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-gitlab') || k === 'content-type' || k === 'idempotency-key' || k === 'user-agent')) as Record<string, string>;
  const response = await fetch(`${target}/webhooks/gitlab`, { method: 'POST', headers: sent, body });
  return { status: response.status, text: await response.text() };
}

const resultOf = (text: string) => {
  try {
    return String((JSON.parse(text) as { result?: unknown }).result);
  } catch {
    return text;
  }
};

/** `replicas()` is read on each delivery: the replicas' URLs now (a restarted replica has a new port). */
export async function startBalancer(replicas: () => string[]): Promise<Balancer> {
  let turn = 0;
  const deliveries: Balancer['deliveries'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const urls = replicas();
      const first = turn++ % urls.length;
      let answered: Forwarded | undefined;
      for (const index of [first, ...urls.keys()].filter((i, n, all) => all.indexOf(i) === n)) {
        try {
          const { status, text } = await forward(urls[index]!, req.headers, body);
          answered = { to: index, status, result: resultOf(text) };
          res.writeHead(status, { 'content-type': 'application/json' }).end(text);
          break;
        } catch {
          // That replica is down: the next one.
        }
      }
      if (!answered) {
        res.writeHead(502).end();
        return;
      }
      const entry: Balancer['deliveries'][number] = { first: answered, again: undefined };
      deliveries.push(entry);
      const other = (answered.to + 1) % urls.length;
      if (other === answered.to) return;
      try {
        const { status, text } = await forward(urls[other]!, req.headers, body);
        entry.again = { to: other, status, result: resultOf(text) };
      } catch {
        // The other replica is down: no redelivery this time.
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
