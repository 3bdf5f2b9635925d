// Ruff's diagnostics for Python sources, from a long-lived child process (ruff-child.ts says why): started
// on first use or by `startRuff()`, restarted when it dies, and not keeping an idle process alive.
import { fileURLToPath } from 'node:url';
import { ChildGone, ChildRpc, ChildTimeout } from '../child-rpc.ts';

export type RuffRequest = { airflowVersion: 2 | 3; sources: string[] };
export type RuffDiagnostic = { code: string | null; message: string; row: number };

const childScript = fileURLToPath(new URL('./ruff-child.ts', import.meta.url));
const TIMEOUT_MS = 60_000;

let ruff: ChildRpc | undefined;

function linter(): ChildRpc {
  if (!ruff || ruff.ended) ruff = new ChildRpc(childScript);
  return ruff;
}

/** Starts the linter process ahead of the first validation (a server does this when it starts). */
export function startRuff(): void {
  linter();
}

async function check(request: RuffRequest): Promise<RuffDiagnostic[][]> {
  try {
    return await linter().request<RuffDiagnostic[][]>(request, TIMEOUT_MS);
  } catch (err) {
    if (err instanceof ChildGone) throw err;
    if (err instanceof ChildTimeout) throw new Error(`ruff did not answer within ${TIMEOUT_MS / 1000} s`);
    throw new Error(`ruff could not check the files: ${(err as Error).message}`);
  }
}

/** Ruff's diagnostics for each source, in order. A linter process that dies is replaced once. */
export async function ruffDiagnostics(airflowVersion: 2 | 3, sources: string[]): Promise<RuffDiagnostic[][]> {
  if (!sources.length) return [];
  try {
    return await check({ airflowVersion, sources });
  } catch (err) {
    if (!(err instanceof ChildGone)) throw err;
    return check({ airflowVersion, sources });
  }
}

/** The running linter's pid (for tests that kill it). */
export function ruffPid(): number | undefined {
  return ruff?.pid;
}
