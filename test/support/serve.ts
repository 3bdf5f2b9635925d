// `dagwright serve` in its own process, as an operator runs it: for the tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot, waitFor } from './harness.ts';
import { testDatabaseUrlFor } from './test-database.ts';

export const mainScript = path.join(repoRoot, 'src/main.ts');

export type Server = { child: ChildProcess; port: number; logs: string[]; exited: Promise<number | null>; killHard(): Promise<void>; env: Record<string, string> };

export async function startServe(env: Record<string, string>): Promise<Server> {
  const databaseUrl = env.DATABASE_URL ?? (env.DATA_DIR ? await testDatabaseUrlFor(env.DATA_DIR) : undefined);
  if (databaseUrl) env = { ...env, DATABASE_URL: databaseUrl };
  // Its own process group, so that a hard kill also takes the git processes it started, as a service
  // manager's kill of the whole unit would.
  const child = spawn(process.execPath, [mainScript, 'serve'], {
    env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs: string[] = [];
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    logs.push(...lines);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const killHard = async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  };
  const listening = await waitFor(
    () => logs.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((l) => l.msg === 'listening'),
    { what: 'the server to listen', timeoutMs: 10_000 },
  );
  await waitFor(() => logs.some((l) => l.includes('the worker starts')), { what: 'the worker', timeoutMs: 10_000 });
  return { child, port: listening.port!, logs, exited, killHard, env };
}
