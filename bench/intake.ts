// Webhook intake benchmark: loads POST /webhooks/gitlab of a real `dagwright serve` process (SQLite, WAL,
// synchronous=FULL, worker running) from this process over loopback with GitLab-shaped deliveries, then a
// bare node:http server that only answers 200, with the same requests, and reports both and their ratio.
// With `--database postgres` it also loads one, then two, `dagwright serve` processes sharing one PostgreSQL
// (a new schema in DAGWRIGHT_TEST_PG's database, default the machine's `test`); two replicas share the
// connections between them, as behind a load balancer.
//
//   npm run bench:intake [-- --connections 200 --seconds 10 --database postgres --profile DIR]
//   (--profile writes a V8 CPU profile of the dagwright process into DIR)
import { projectWebhookSecret } from '../src/bot/verify.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startGitLabStandIn } from '../src/gitlab-standin/index.ts';
import { repoRoot, waitFor } from '../test/support/harness.ts';
import { freshPostgres } from '../test/support/test-database.ts';
import { issueEvent, mergeRequestEvent, noteOnIssue, noteOnMergeRequest, pipelineEvent, type Delivery } from '../test/support/payloads.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    profile: { type: 'string' },
    database: { type: 'string', default: 'sqlite' },
  },
});
if (values.database !== 'sqlite' && values.database !== 'postgres') throw new Error(`--database takes sqlite or postgres, got "${values.database}"`);
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const secret = 'bench-webhook-secret';

const ID_SLOT = 987_654_321;

/**
 * GitLab-shaped deliveries: plain comments and events no handler acts on (the worker still leases and
 * finishes a job for each). Each body's object id is a slot that every request fills with a new number, so
 * no delivery is a duplicate by key or by meaning: what is accepted is what must be stored.
 */
function makeDeliveries(count: number): Array<{ headers: Record<string, string>; body: string }> {
  const makers: Array<(i: number) => Delivery> = [
    (i) => noteOnIssue({ iid: 1 + (i % 50), note: 'Thanks, the schedule looks right to me.' }),
    (i) => issueEvent({ iid: 100 + i, description: 'Copy public.customers from the orders database every morning.' }),
    (i) => noteOnMergeRequest({ iid: 1 + (i % 20), note: 'Looks good.' }),
    (i) => mergeRequestEvent({ iid: 1 + (i % 20), action: 'update' }),
    () => pipelineEvent({ status: 'running' }),
  ];
  return Array.from({ length: count }, (_, i) => {
    const delivery = makers[i % makers.length]!(i);
    (delivery.body.object_attributes as { id: number }).id = ID_SLOT;
    return { headers: { ...delivery.headers, 'X-Gitlab-Token': projectWebhookSecret(secret, (delivery.body.project as { id: number }).id) }, body: JSON.stringify(delivery.body) };
  });
}

function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let started = false;
    const onData = (chunk: Buffer) => {
      if (started) return; // later output is read and dropped, so the pipe never fills
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        started = true;
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => !started && reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
}

type Run = { rps: number; p50: number; p99: number; requests: number; non2xx: number; errors: number };

let serial = 0;

async function load(port: number, deliveries: ReturnType<typeof makeDeliveries>, duration: number, withConnections = connections): Promise<Run> {
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: withConnections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/gitlab',
        setupRequest: (request) => {
          const delivery = deliveries[next++ % deliveries.length]!;
          return {
            ...request,
            headers: { ...delivery.headers, 'Idempotency-Key': randomUUID() },
            body: delivery.body.replace(`"id":${ID_SLOT}`, `"id":${++serial}`),
          };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

const bareServer = `
  const http = require('node:http');
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{"result":"accepted"}'); }); });
  server.listen(0, '127.0.0.1', () => console.log('bare listening on ' + server.address().port));
`;

type Bot = { child: ChildProcess; port: number };

// LOG_LEVEL=info, the default: one log line per delivery is part of the cost.
async function startBot(env: Record<string, string>, profile = false): Promise<Bot> {
  const bot = await startProcess(
    [...(profile && values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : []), path.join(repoRoot, 'src/main.ts'), 'serve'],
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    /"port":(\d+),"msg":"listening"/,
  );
  await waitFor(async () => (await fetch(`http://127.0.0.1:${bot.port}/readyz`).catch(() => undefined))?.ok, { timeoutMs: 10_000 });
  return bot;
}

async function stopBots(bots: Bot[]): Promise<void> {
  await Promise.all(bots.map((bot) => new Promise((resolve) => (bot.child.on('exit', resolve), bot.child.kill('SIGTERM')))));
}

/** Warm-up and run against the replicas at once, the connections shared between them; `accepted` counts both runs. */
async function loadReplicas(bots: Bot[], deliveries: ReturnType<typeof makeDeliveries>): Promise<{ run: Run; accepted: number }> {
  const share = Math.max(1, Math.floor(connections / bots.length));
  const warm = await Promise.all(bots.map((b) => load(b.port, deliveries, warmupSeconds, share)));
  const runs = await Promise.all(bots.map((b) => load(b.port, deliveries, seconds, share)));
  const ok = (r: Run) => r.requests - r.non2xx - r.errors;
  const run: Run = {
    rps: runs.reduce((sum, r) => sum + r.rps, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
  return { run, accepted: [...warm, ...runs].reduce((sum, r) => sum + ok(r), 0) };
}

function storedCheck(label: string, stored: number, accepted: number, replicas: number): string {
  // A request still in flight when a run's time is up is not counted by the load generator, though the server
  // may have stored it: at most one per connection and run.
  const inFlightAtEnd = stored - accepted;
  const consistent = inFlightAtEnd >= 0 && inFlightAtEnd <= 2 * connections * replicas;
  return (
    `${label}: deliveries answered 200: ${accepted}; stored: ${stored} ` +
    (consistent ? `(every answered delivery is stored; ${inFlightAtEnd} more were in flight when the runs ended)` : '(MISMATCH: an answered delivery is missing)')
  );
}

async function main() {
  const standIn = await startGitLabStandIn();
  const botUser = standIn.createUser('dagwright', { bot: true });
  const deliveries = makeDeliveries(5_000);
  const env = { GITLAB_URL: standIn.url, GITLAB_TOKEN: botUser.token, WEBHOOK_SECRET: secret };

  console.log(`node ${process.version}, ${os.cpus().length} cores, ${connections} connections, ${seconds} s per run (+${warmupSeconds} s warm-up)`);

  const bare = await startProcess(['-e', bareServer], {}, /bare listening on (\d+)/);
  await load(bare.port, deliveries, warmupSeconds);
  const bareRun = await load(bare.port, deliveries, seconds);
  bare.child.kill();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-bench-'));
  const sqliteBot = await startBot({ ...env, DATA_DIR: dataDir }, true);
  const sqlite = await loadReplicas([sqliteBot], deliveries);
  await stopBots([sqliteBot]);
  const db = new Database(path.join(dataDir, 'dagwright.db'), { readonly: true });
  const sqliteStored = (db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n;
  const jobs = db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status').all() as Array<{ status: string; n: number }>;
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const checks = [storedCheck('SQLite', sqliteStored, sqlite.accepted, 1), `SQLite jobs by status after SIGTERM: ${jobs.map((j) => `${j.status} ${j.n}`).join(', ')}`];

  const rows: Array<[string, Run]> = [
    ['bare node:http (answers 200)', bareRun],
    ['dagwright serve, SQLite (verify, parse, dedupe, store, enqueue)', sqlite.run],
  ];
  if (values.database === 'postgres') {
    for (const replicas of [1, 2]) {
      const database = await freshPostgres(`bench_${replicas}`);
      const bots = await Promise.all(Array.from({ length: replicas }, () => startBot({ ...env, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-bench-')), DATABASE_URL: database.url })));
      const measured = await loadReplicas(bots, deliveries);
      await stopBots(bots);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const stored = Number((await client.query('SELECT count(*) AS n FROM deliveries')).rows[0].n);
      await client.end();
      await database.drop();
      rows.push([`dagwright serve, PostgreSQL, ${replicas} replica${replicas > 1 ? 's' : ''}`, measured.run]);
      checks.push(storedCheck(`PostgreSQL, ${replicas} replica(s)`, stored, measured.accepted, replicas));
    }
  }
  await standIn.close();

  const row = (name: string, r: Run) =>
    `| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.requests} | ${r.non2xx + r.errors} |`;
  console.log('\n| server | deliveries/s | p50 ms | p99 ms | requests | non-2xx or errors |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, run] of rows) console.log(row(name, run));
  console.log(`\nthroughput ratio dagwright (SQLite)/bare: ${(sqlite.run.rps / bareRun.rps).toFixed(2)}x (goal >= 0.5x); dagwright p99 ${sqlite.run.p99.toFixed(1)} ms (goal <= 10 ms)`);
  for (const line of checks) console.log(line);
}

await main();
