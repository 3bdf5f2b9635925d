// Ruff's diagnostics for Python sources, from a long-lived child process (ruff-child.ts says why): started
// on first use or by `startRuff()`, restarted when it dies, and not keeping an idle process alive.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type RuffRequest = { id: number; airflowVersion: 2 | 3; sources: string[] };
export type RuffDiagnostic = { code: string | null; message: string; row: number };
export type RuffReply = { id: number; diagnostics: RuffDiagnostic[][] } | { id: number; error: string };

const childScript = fileURLToPath(new URL('./ruff-child.ts', import.meta.url));
const TIMEOUT_MS = 60_000;

/** The child died while it had work: the work can be given to a new one. */
class RuffGone extends Error {}

type Pending = { resolve: (d: RuffDiagnostic[][]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

class RuffProcess {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private ensureStarted(): ChildProcess {
    if (this.child) return this.child;
    const env = { ...process.env };
    // Not a test of its own when the bot runs under `node --test`.
    delete env.NODE_TEST_CONTEXT;
    const child = fork(childScript, [], { execArgv: [], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    child.on('message', (reply: RuffReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if ('error' in reply) waiting.reject(new Error(`ruff could not check the files: ${reply.error}`));
      else waiting.resolve(reply.diagnostics);
      this.idleIfDone();
    });
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      for (const [id, waiting] of this.pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new RuffGone(`the ruff process ${why}`));
        this.pending.delete(id);
      }
    };
    child.on('exit', (code, signal) => gone(`stopped (${signal ?? `exit code ${code}`})`));
    child.on('error', (err) => gone(`failed: ${err.message}`));
    this.child = child;
    this.idleIfDone();
    return child;
  }

  /** An idle child does not keep this process alive (`dagwright validate` exits when done). */
  private idleIfDone(): void {
    if (!this.child) return;
    if (this.pending.size === 0) {
      this.child.unref();
      this.child.channel?.unref();
    } else {
      this.child.ref();
      this.child.channel?.ref();
    }
  }

  start(): void {
    this.ensureStarted();
  }

  check(airflowVersion: 2 | 3, sources: string[]): Promise<RuffDiagnostic[][]> {
    if (!sources.length) return Promise.resolve([]);
    const child = this.ensureStarted();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`ruff did not answer within ${TIMEOUT_MS / 1000} s`));
        child.kill('SIGKILL');
      }, TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.idleIfDone();
      child.send({ id, airflowVersion, sources } satisfies RuffRequest);
    });
  }

  /** The running child's pid (for tests that kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

const ruff = new RuffProcess();

/** Starts the linter process ahead of the first validation (a server does this when it starts). */
export function startRuff(): void {
  ruff.start();
}

/** Ruff's diagnostics for each source, in order. A linter process that dies is replaced once. */
export async function ruffDiagnostics(airflowVersion: 2 | 3, sources: string[]): Promise<RuffDiagnostic[][]> {
  try {
    return await ruff.check(airflowVersion, sources);
  } catch (err) {
    if (!(err instanceof RuffGone)) throw err;
    return ruff.check(airflowVersion, sources);
  }
}

export function ruffPid(): number | undefined {
  return ruff.pid;
}
