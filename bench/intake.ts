// Webhook intake benchmark: loads POST /webhooks/gitlab of a real `dagwright serve` process (SQLite, WAL,
// synchronous=FULL, worker running) from this process over loopback with GitLab-shaped deliveries, then a
// bare node:http server that only answers 200, with the same requests, and reports both and their ratio.
//
//   npm run bench:intake [-- --connections 200 --seconds 10 --profile DIR]
//   (--profile writes a V8 CPU profile of the dagwright process into DIR)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { startGitLabStandIn } from '../src/gitlab-standin/index.ts';
import { repoRoot, waitFor } from '../test/support/harness.ts';
import { issueEvent, mergeRequestEvent, noteOnIssue, noteOnMergeRequest, pipelineEvent, type Delivery } from '../test/support/payloads.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    profile: { type: 'string' },
  },
});
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
    return { headers: { ...delivery.headers, 'X-Gitlab-Token': secret }, body: JSON.stringify(delivery.body) };
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

async function load(port: number, deliveries: ReturnType<typeof makeDeliveries>, duration: number): Promise<Run> {
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
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

async function main() {
  const standIn = await startGitLabStandIn();
  const botUser = standIn.createUser('dagwright', { bot: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-bench-'));
  const deliveries = makeDeliveries(5_000);

  console.log(`node ${process.version}, ${os.cpus().length} cores, ${connections} connections, ${seconds} s per run (+${warmupSeconds} s warm-up)`);

  const bare = await startProcess(['-e', bareServer], {}, /bare listening on (\d+)/);
  await load(bare.port, deliveries, warmupSeconds);
  const bareRun = await load(bare.port, deliveries, seconds);
  bare.child.kill();

  // LOG_LEVEL=info, the default: one log line per delivery is part of the cost.
  const bot = await startProcess(
    [...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : []), path.join(repoRoot, 'src/main.ts'), 'serve'],
    { GITLAB_URL: standIn.url, GITLAB_TOKEN: botUser.token, WEBHOOK_SECRET: secret, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    /"port":(\d+),"msg":"listening"/,
  );
  await waitFor(async () => (await fetch(`http://127.0.0.1:${bot.port}/readyz`).catch(() => undefined))?.ok, { timeoutMs: 10_000 });
  const warmRun = await load(bot.port, deliveries, warmupSeconds);
  const botRun = await load(bot.port, deliveries, seconds);
  const exited = new Promise((resolve) => bot.child.on('exit', resolve));
  bot.child.kill('SIGTERM');
  await exited;
  await standIn.close();

  const db = new Database(path.join(dataDir, 'dagwright.db'), { readonly: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n;
  const jobs = db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status').all();
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });

  const row = (name: string, r: Run) =>
    `| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.requests} | ${r.non2xx + r.errors} |`;
  console.log('\n| server | deliveries/s | p50 ms | p99 ms | requests | non-2xx or errors |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('bare node:http (answers 200)', bareRun));
  console.log(row('dagwright serve (verify, parse, dedupe, store, enqueue)', botRun));
  console.log(`\nthroughput ratio dagwright/bare: ${(botRun.rps / bareRun.rps).toFixed(2)}x (goal >= 0.5x); dagwright p99 ${botRun.p99.toFixed(1)} ms (goal <= 10 ms)`);
  const accepted = warmRun.requests - warmRun.non2xx - warmRun.errors + botRun.requests - botRun.non2xx - botRun.errors;
  // A request still in flight when a run's time is up is not counted by the load generator, though the server
  // may have stored it: at most one per connection and run.
  const inFlightAtEnd = stored - accepted;
  const consistent = inFlightAtEnd >= 0 && inFlightAtEnd <= 2 * connections;
  console.log(
    `deliveries answered 200: ${accepted}; stored in SQLite: ${stored} ` +
      (consistent ? `(every answered delivery is stored; ${inFlightAtEnd} more were in flight when the runs ended)` : '(MISMATCH: an answered delivery is missing)'),
  );
  console.log(`jobs by status after SIGTERM: ${jobs.map((j) => `${(j as { status: string }).status} ${(j as { n: number }).n}`).join(', ')}`);
}

await main();
