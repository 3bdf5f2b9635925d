// Memory of a served bot under a flood of fuzzed deliveries: `dagwright serve` in its own process, against
// the stand-in, takes rounds of deliveries of every kind for random projects, issues and comments (most name
// nothing GitLab has), each signed with its project's secret; after each round, once the queue is empty, the
// bot's own /metrics tell its heap and resident set. A heap that grows round after round holds something per
// delivery.
//
//   node bench/memory.ts [--rounds 5] [--per-round 2000]
import { parseArgs } from 'node:util';
import { hookSecretFor, tempDir, WEBHOOK_SECRET } from '../test/support/harness.ts';
import { issueEvent, mergeRequestEvent, noteOnIssue, noteOnMergeRequest, pipelineEvent, user } from '../test/support/payloads.ts';
import { seededStandIn } from '../test/support/record-deliveries.ts';
import { startServe } from '../test/support/serve.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'per-round': { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);
const perRound = Number(values['per-round']);

const { standIn, bot, project } = await seededStandIn();
const server = await startServe({ GITLAB_URL: standIn.url, GITLAB_TOKEN: bot.token, WEBHOOK_SECRET, DATA_DIR: tempDir() });
const url = `http://127.0.0.1:${server.port}`;
const metric = async (name: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN);
};
const idle = async () => {
  for (;;) {
    if ((await metric('dagwright_queue_depth')) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const report = async (label: string) => {
  await idle();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  console.log(`${label}: heap ${mb(await metric('dagwright_nodejs_heap_size_used_bytes'))}, rss ${mb(await metric('dagwright_process_resident_memory_bytes'))}`);
};
const random = (n: number) => 1 + Math.floor(Math.random() * n);
const someProject = () => (Math.random() < 0.5 ? project.id : random(1_000_000));
const makers = [
  () => issueEvent({ iid: random(10_000), projectId: someProject(), author: user(random(1000), `u${random(1000)}`), description: 'x'.repeat(random(2000)) }),
  () => noteOnIssue({ note: `/help ${'y'.repeat(random(500))}`, iid: random(50), noteId: random(1_000_000), projectId: someProject() }),
  () => noteOnMergeRequest({ note: 'Looks good', iid: random(20) }),
  () => mergeRequestEvent({ iid: random(20), action: 'update' }),
  () => pipelineEvent({ status: 'running' }),
];
await report('started');
for (let round = 1; round <= rounds; round++) {
  const started = Date.now();
  for (let i = 0; i < perRound; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, perRound - i) }, async (_, k) => {
        const delivery = makers[(i + k) % makers.length]!();
        const id = (delivery.body.project as { id: number }).id;
        const res = await fetch(`${url}/webhooks/gitlab`, { method: 'POST', headers: { ...delivery.headers, 'X-Gitlab-Token': hookSecretFor(id) }, body: JSON.stringify(delivery.body) });
        await res.arrayBuffer();
      }),
    );
  }
  await report(`after round ${round} (${round * perRound} deliveries; this round ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
await server.killHard();
await standIn.close();
