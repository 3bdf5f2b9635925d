// Requests to a child Node process over IPC, one reply per request (by id). A request still unanswered at its
// timeout kills the child — a synchronous native call in it (WebAssembly, SQLite) cannot be stopped another
// way — and a child that ends fails what it had, so the caller can start a new one.
import { fork, type ChildProcess } from 'node:child_process';

/** The child ended while it held the request: the work can be given to a new one. */
export class ChildGone extends Error {}
/** The request was not answered in time; the child was killed. */
export class ChildTimeout extends Error {}

type Reply = { id: number; result?: unknown; error?: { message: string; code?: string } };
type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

export class ChildRpc {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private endedWith: string | undefined;

  constructor(script: string, args: string[] = []) {
    const env = { ...process.env };
    // Not a test of its own when the parent runs under `node --test`.
    delete env.NODE_TEST_CONTEXT;
    // Its standard output is not ours to share (`dagwright mcp` speaks the protocol there).
    this.child = fork(script, args, { execArgv: [], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.error) waiting.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiting.resolve(reply.result);
      this.refWhileBusy();
    });
    this.child.on('exit', (code, signal) => this.end(`stopped (${signal ?? `exit code ${code}`})`));
    this.child.on('error', (err) => this.end(`failed: ${err.message}`));
    this.refWhileBusy();
  }

  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  get pid(): number | undefined {
    return this.ended ? undefined : this.child.pid;
  }

  private end(why: string): void {
    if (this.ended) return;
    this.endedWith = why;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new ChildGone(`the child process ${why}`));
      this.pending.delete(id);
    }
  }

  /** An idle child does not keep this process alive (a command line exits when its work is done). */
  private refWhileBusy(): void {
    if (this.pending.size) {
      this.child.ref();
      this.child.channel?.ref();
    } else {
      this.child.unref();
      this.child.channel?.unref();
    }
  }

  request<T>(payload: Record<string, unknown>, timeoutMs: number): Promise<T> {
    if (this.ended) return Promise.reject(new ChildGone(`the child process ${this.endedWith}`));
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChildTimeout(`no answer within ${timeoutMs / 1000} s`));
        this.kill();
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.refWhileBusy();
      this.child.send({ ...payload, id });
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** The child's side: answers each request with `handle`'s result or error, and ends with its parent. */
export function answerRequests(handle: (request: Record<string, unknown>) => unknown): void {
  process.on('message', async (request: Record<string, unknown> & { id: number }) => {
    try {
      process.send!({ id: request.id, result: await handle(request) });
    } catch (err) {
      process.send!({ id: request.id, error: { message: (err as Error).message ?? String(err), code: (err as { code?: string }).code } });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
