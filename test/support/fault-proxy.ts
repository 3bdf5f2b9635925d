// A loopback HTTP proxy in front of a real server that answers 503 while told to, as a load balancer in front
// of an Airflow whose API is overloaded or restarting would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class FaultProxy {
  readonly url: string;
  /** Requests answered 503 so far. */
  failed = 0;
  private failing = false;
  private readonly server: http.Server;

  private constructor(server: http.Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(target: string): Promise<FaultProxy> {
    const upstream = new URL(target);
    let proxy: FaultProxy | undefined;
    const server = http.createServer((req, res) => {
      if (proxy!.failing) {
        proxy!.failed += 1;
        res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
        return;
      }
      const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  fail(on: boolean): void {
    this.failing = on;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
