// Fault injection: requests matching a rule get an error status, a 429 with Retry-After, added latency or a
// dropped connection, for the next N matching calls or at a rate.
import type http from 'node:http';

export type FaultEffect =
  | { status: 500 | 502 | 503 | 504; message?: string }
  | { status: 429; retryAfterSeconds: number }
  | { latencyMs: number }
  | { drop: true };

export type FaultRule = {
  /** Matched against the path (without the query); a string matches as a prefix. */
  path: RegExp | string;
  method?: string;
  effect: FaultEffect;
  /** Applies to this many matching requests, then is gone. */
  times?: number;
  /** Applies to this share of matching requests (0..1); default: every one. */
  rate?: number;
  /** Applies only while this holds (a test's condition on the stand-in's state, e.g. "once the MR exists"). */
  when?: () => boolean;
};

type ActiveRule = FaultRule & { id: number; hits: number };

export class Faults {
  private rules: ActiveRule[] = [];
  private nextId = 0;
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  add(rule: FaultRule): number {
    const id = ++this.nextId;
    this.rules.push({ ...rule, id, hits: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  private pick(method: string, path: string): FaultEffect | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      const matches = typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path);
      if (!matches) continue;
      if (rule.when && !rule.when()) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.hits++;
      if (rule.times !== undefined && rule.hits >= rule.times) this.remove(rule.id);
      return rule.effect;
    }
    return undefined;
  }

  /**
   * Applies the first matching rule. Returns true when the request was answered (or dropped) here; after
   * added latency it returns false and the request goes on as usual.
   */
  async apply(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const effect = this.pick(req.method ?? 'GET', path);
    if (!effect) return false;
    if ('latencyMs' in effect) {
      // Unref'd: a closed stand-in does not keep the process alive for a long injected delay.
      await new Promise((resolve) => setTimeout(resolve, effect.latencyMs).unref());
      return req.socket.destroyed;
    }
    req.resume();
    if ('drop' in effect) {
      req.socket.destroy();
      return true;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    let message: string;
    if (effect.status === 429) {
      headers['retry-after'] = String(effect.retryAfterSeconds);
      message = 'Retry later';
    } else {
      message = effect.message ?? `${effect.status} ${effect.status === 502 ? 'Bad Gateway' : effect.status === 503 ? 'Service Unavailable' : effect.status === 504 ? 'Gateway Timeout' : 'Internal Server Error'}`;
    }
    res.writeHead(effect.status, headers);
    res.end(JSON.stringify({ message }));
    return true;
  }
}
