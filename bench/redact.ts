// Redaction benchmark: how long the one redaction function takes on 1 MB of text (GitLab's limit for an
// issue description), ordinary and hostile, and what a 1 MB description does to a running bot: the webhook's
// answer, /healthz meanwhile, and another issue's /generate delivered right after it.
//
//   npm run bench:redact [-- --rounds 5]
import { parseArgs } from 'node:util';
import { registerHandlers } from '../handlers/index.ts';
import { redact } from '../src/redact.ts';
import { startStack, sleep } from '../test/support/harness.ts';
import { issueEvent } from '../test/support/payloads.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const MB = 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

const texts: Record<string, string> = {
  'prose (a request written out)': fill('Load public.orders into raw_orders.orders every day at 06:00, incremental on updated_at. '),
  'a.a.a.…key (the first version took 1.6 s for 80 kB)': `${fill('a.')}key`,
  'password_password_… (one long name)': fill('password_'),
  'pwd=x pwd=x … (170k credentials)': fill('pwd=x '),
  'a://b: a://b: … (URL starts)': fill('a://b:'),
  '-----BEGIN PRIVATE KEY----- … (key headers)': fill('-----BEGIN PRIVATE KEY-----\n'),
  'base64 runs': fill('Ab3De6Gh9J+/'),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`redact() on 1 MB, median of ${rounds} rounds after a warm-up:`);
for (const [name, text] of Object.entries(texts)) {
  redact(text);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    redact(text);
    times.push(performance.now() - t0);
  }
  console.log(`  ${median(times).toFixed(0).padStart(5)} ms  ${name}`);
}

// A running bot: a 1 MB hostile description arrives; /healthz and another issue's /generate at the same time.
const stack = await startStack({ register: registerHandlers });
const request = ['```yaml', 'dag_id: orders_customers_daily', 'schedule: "0 6 * * *"', 'start_date: 2026-01-01', 'source: {type: postgres, conn_id: orders_pg, table: public.customers}', 'target: {conn_id: lake, table: raw_orders.customers}', 'load: {strategy: snapshot}', '```'].join('\n');
const other = stack.openIssue('Load customers', request);
await stack.settle();
const rows: string[] = [];
for (let i = 0; i < rounds; i++) {
  const big = issueEvent({ iid: 500 + i, projectId: stack.project.id, description: texts['a.a.a.…key (the first version took 1.6 s for 80 kB)']! });
  const t0 = performance.now();
  const answered = stack.bot.deliver(big).then(() => performance.now() - t0);
  await sleep(2);
  const h0 = performance.now();
  await fetch(`${stack.bot.url}/healthz`);
  const health = performance.now() - h0;
  const g0 = performance.now();
  await stack.comment(other, '/generate');
  await stack.settle();
  const generate = performance.now() - g0;
  rows.push(`  webhook answered in ${(await answered).toFixed(0)} ms · /healthz meanwhile ${health.toFixed(0)} ms · the other issue's /generate ${generate.toFixed(0)} ms`);
}
console.log('a running bot, a 1 MB description delivered:');
for (const row of rows) console.log(row);
await stack.stop();
