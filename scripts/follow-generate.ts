// How many of the project's files a reader opens to follow `/generate` from `POST /webhooks/gitlab` to the
// merge request: a real bot and the GitLab stand-in run one /generate, and every effect the bot makes on the
// way (a database statement, a request to GitLab, a git or child process, a file read or written) records
// the project files on its call stack, across awaits. The count is the union of those files.
//
//   node scripts/follow-generate.ts          prints the files, grouped by folder, and their count
import childProcess, { ChildProcess } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Files that are not the bot's own path: the stand-in plays GitLab, the harness plays the user. */
const notTheBot = ['src/gitlab-standin/', 'src/gitlab-standin/', 'test/', 'scripts/', 'bench/'];

let recording = false;
const seen = new Set<string>();

function record(): void {
  if (!recording) return;
  const stack = new Error().stack ?? '';
  for (const match of stack.matchAll(/file:\/\/([^\s):]+\.ts)/g)) {
    const file = path.relative(repoRoot, match[1]!);
    if (file.startsWith('..') || file.includes('node_modules') || notTheBot.some((p) => file.startsWith(p))) continue;
    seen.add(file);
  }
}

function tap<T extends object>(owner: T, names: readonly string[]): void {
  for (const name of names) {
    const original = (owner as Record<string, unknown>)[name];
    if (typeof original !== 'function') continue;
    (owner as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      record();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

export async function followGenerate(): Promise<string[]> {
  Error.stackTraceLimit = Infinity;
  diagnosticsChannel.subscribe('undici:request:create', record);
  tap(childProcess, ['spawn', 'execFile', 'fork', 'exec']);
  tap(ChildProcess.prototype, ['send']);
  tap(fs, ['readFileSync', 'writeFileSync', 'existsSync', 'mkdirSync', 'rmSync']);
  syncBuiltinESMExports();
  const probe = new Database(':memory:');
  tap(Object.getPrototypeOf(probe.prepare('SELECT 1')), ['run', 'get', 'all', 'iterate']);
  probe.close();

  // Imported after the taps, so that the bot's own imports of the builtins see them.
  const { startStack, waitFor } = await import('../test/support/harness.ts');
  const stack = await startStack();
  try {
    const issue = stack.openIssue(
      'Load customers daily',
      ['```yaml', 'dag_id: customers_daily', 'schedule: "@daily"', 'source: {type: postgres, conn_id: crm_pg, table: public.customers}', 'target: {conn_id: dwh, table: raw.customers}', 'load: {strategy: overwrite}', '```'].join('\n'),
    );
    await stack.settle();
    seen.clear();
    recording = true;
    await stack.comment(issue, '/generate');
    await waitFor(() => stack.project.mergeRequests.length > 0, { timeoutMs: 30_000, what: 'the merge request' });
    await stack.settle();
    recording = false;
  } finally {
    await stack.stop();
  }
  return [...seen].sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = await followGenerate();
  const folders = new Set(files.map((f) => path.dirname(f)));
  for (const file of files) console.log(`  ${file}`);
  console.log(`${files.length} files in ${folders.size} folders to follow /generate from POST /webhooks/gitlab to the merge request`);
}
