// How many files a reader opens to follow `/generate` from `POST /webhooks/gitlab` to the merge request. A
// real bot and the GitLab stand-in run one /generate; every effect the bot makes on the way (the delivery
// handed to the store, a database statement, a request to GitLab, a git or child process, a file read or
// written) records the project files on its call stack, across awaits. The files of the flow — the HTTP
// front, the event framework, the queue, the handler, the conversation, publishing and the domain core —
// are what a reader follows; the adapters and shared helpers they call (GitLab client, git, store, logs)
// are where the flow ends: they are listed apart, opened to see how an effect is made, not to follow it.
//
//   npm run follow:generate          the flow's files, the adapters it calls, and the counts
//   FOLLOW_DEBUG=src/app.ts npm run follow:generate    also prints every stack that passes through that file
import childProcess, { ChildProcess } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import fs from 'node:fs';
import { IncomingMessage } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the flow ends: adapters and shared helpers (every file outside these folders is the flow's). */
const ADAPTERS = ['src/gitlab/', 'src/git/', 'src/store/', 'src/sources/', 'src/llm/', 'src/mcp/', 'src/i18n/', 'src/log.ts', 'src/metrics.ts', 'src/redact', 'src/secret-scan.ts', 'src/keyed-queue.ts', 'src/child-rpc.ts', 'src/markdown.ts'];
/** Files that are not the bot's own path: the stand-in plays GitLab, the harness plays the user. */
const notTheBot = ['src/gitlab-standin/', 'test/', 'scripts/', 'bench/'];

let recording = false;
const seen = new Set<string>();

function record(entry = false): void {
  if (!recording) return;
  const stack = new Error().stack ?? '';
  // The flow's effects come from the webhook's intake or from the worker; others (the harness asking
  // /metrics whether the bot is idle, a timer pruning old deliveries) are not on the way.
  if (!entry && !/src\/bot\/intake\.ts|src\/queue\/worker\.ts/.test(stack)) return;
  for (const match of stack.matchAll(/file:\/\/([^\s):]+\.ts)/g)) {
    const file = path.relative(repoRoot, match[1]!);
    if (file.startsWith('..') || file.includes('node_modules') || notTheBot.some((p) => file.startsWith(p))) continue;
    seen.add(file);
    if (process.env.FOLLOW_DEBUG && file === process.env.FOLLOW_DEBUG) console.error(stack.split("\n").filter((l) => l.includes("/work/main/") && !l.includes("node_modules")).join("\n"), "\n---");
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

export async function followGenerate(): Promise<{ flow: string[]; adapters: string[] }> {
  Error.stackTraceLimit = Infinity;
  diagnosticsChannel.subscribe('undici:request:create', () => record());
  tap(childProcess, ['spawn', 'execFile', 'fork', 'exec']);
  tap(ChildProcess.prototype, ['send']);
  tap(fs, ['readFileSync', 'writeFileSync', 'existsSync', 'mkdirSync', 'rmSync']);
  syncBuiltinESMExports();
  const probe = new Database(':memory:');
  tap(Object.getPrototypeOf(probe.prepare('SELECT 1')), ['run', 'get', 'all', 'iterate']);
  probe.close();
  // The store's other engine (DATABASE_URL): its queries are effects too.
  tap(pg.Pool.prototype, ['query', 'connect']);
  const { GroupCommit } = await import('../src/store/group-commit.ts');
  tap(GroupCommit.prototype, ['enqueue']);
  // The entry: where a webhook's body is read (the request's 'end' listener is set by the route).
  const on = IncomingMessage.prototype.on;
  IncomingMessage.prototype.on = function (this: InstanceType<typeof IncomingMessage>, event: string, listener: (...args: any[]) => void) {
    if (event === 'end' && this.method === 'POST' && this.url?.startsWith('/webhooks/gitlab')) record(true);
    return on.call(this, event, listener);
  } as typeof on;

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
  const all = [...seen].sort();
  const isAdapter = (file: string) => ADAPTERS.some((p) => file.startsWith(p));
  return { flow: all.filter((f) => !isAdapter(f)), adapters: all.filter(isAdapter) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { flow, adapters } = await followGenerate();
  const folders = (files: string[]) => new Set(files.map((f) => path.dirname(f))).size;
  console.log('The flow:');
  for (const file of flow) console.log(`  ${file}`);
  console.log('The adapters and helpers it calls:');
  for (const file of adapters) console.log(`  ${file}`);
  console.log(`${flow.length} files in ${folders(flow)} folders to follow /generate from POST /webhooks/gitlab to the merge request (and ${adapters.length} adapter files it calls)`);
}
