// A large payload is redacted in a worker thread, so that scanning a 1 MB issue description does not hold
// up the deliveries, health checks and jobs that the event loop serves meanwhile. A small one is redacted
// at once: a thread's round trip costs more than its scan.
import { Worker } from 'node:worker_threads';
import { knownSecretValues } from './secret-scan.ts';
import { redactDeep } from './redact.ts';

/** Payloads from this size on are redacted off the event loop. */
export const OFFLOAD_CHARS = 64 * 1024;

type Pending = { resolve: (json: string) => void; reject: (err: Error) => void };

class RedactionThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  redact(json: string): Promise<string> {
    const worker = this.started();
    const id = ++this.nextId;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, json, secrets: knownSecretValues() });
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./redact-worker.ts', import.meta.url));
    worker.on('message', (reply: { id: number; json?: string; error?: string }) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiting.reject(new Error(`redaction failed: ${reply.error}`));
      else waiting.resolve(reply.json!);
      // An idle thread does not keep the process alive.
      if (!this.pending.size) worker.unref();
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the redaction thread stopped (exit code ${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

const thread = new RedactionThread();

/** The payload as redacted JSON text; `rawBody` is the text it was parsed from. */
export function redactedJson(body: unknown, rawBody: string): Promise<string> {
  if (rawBody.length < OFFLOAD_CHARS) return Promise.resolve(JSON.stringify(redactDeep(body)));
  return thread.redact(rawBody);
}

export function stopRedactionThread(): Promise<void> {
  return thread.close();
}
