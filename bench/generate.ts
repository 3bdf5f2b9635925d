// /generate → merge request opened, against the GitLab stand-in on loopback, for a repository of 2,000 files
// and 2,000 commits: the first run of a bot (no mirror yet) and runs on a warm mirror; then the same on the
// small seed repository, to see whether the cost grows with the repository. Reports medians.
//
//   npm run bench:generate [-- --rounds 5 --commits 2000]
import { projectWebhookSecret } from '../src/bot/verify.ts';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDagwright } from '../src/app.ts';
import { localServerConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startGitLabStandIn, type GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Project, User } from '../src/gitlab-standin/model.ts';
import { seedGitLabStandIn } from '../src/gitlab-standin/seed.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, commits: { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);
const commits = Number(values.commits);
const SECRET = 'bench-secret';
const seedDir = fileURLToPath(new URL('../fixtures/gitlab-standin-repo', import.meta.url));

/** Appends `count` commits to main, each adding one file, with git fast-import straight into the bare repository. */
function addHistory(repoDir: string, count: number): void {
  const lines: string[] = [];
  const when = 1_767_225_600;
  for (let i = 1; i <= count; i++) {
    const name = `reference/part_${String(Math.floor(i / 100)).padStart(2, '0')}/table_${String(i).padStart(5, '0')}.sql`;
    const content = `-- reference table ${i}\nSELECT ${i} AS id, 'row ${i}' AS label;\n`;
    const message = `Add reference table ${i}`;
    lines.push('commit refs/heads/main', `committer Data Team <data@example.com> ${when + i * 60} +0000`, `data ${Buffer.byteLength(message)}`, message);
    if (i === 1) lines.push('from refs/heads/main^0');
    lines.push(`M 100644 inline ${name}`, `data ${Buffer.byteLength(content)}`, content, '');
  }
  execFileSync('git', ['-C', repoDir, 'fast-import', '--quiet'], { input: `${lines.join('\n')}\n` });
}

const request = (dagId: string) =>
  ['```yaml', `dag_id: ${dagId}`, 'schedule: "0 6 * * *"', 'start_date: 2026-01-01', 'source: {type: postgres, conn_id: orders_pg, table: public.customers}', 'target: {conn_id: lake, table: raw_orders.customers}', 'load: {strategy: snapshot}', '```'].join('\n');

type World = { standIn: GitLabStandIn; project: Project; alice: User; bot: User; issues: number };

async function startBot(world: World) {
  const bot = await createDagwright({
    config: localServerConfig({ gitlabUrl: world.standIn.url, gitlabToken: world.bot.token, webhookSecret: SECRET, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-bench-bot-')) }),
    log: createLogger('silent'),
    worker: { pollMs: 5 },
  });
  const { port } = await bot.listen();
  await bot.start();
  world.project.hooks.length = 0;
  world.standIn.addHook(world.project, `http://127.0.0.1:${port}/webhooks/gitlab`, { token: projectWebhookSecret(SECRET, world.project.id) });
  return { bot, url: `http://127.0.0.1:${port}` };
}

/** One /generate: from the comment to the merge request existing in GitLab, in milliseconds. */
async function generateOnce(world: World, botUrl: string): Promise<number> {
  const dagId = `bench_${++world.issues}`;
  const issue = world.standIn.openIssue(world.project, world.alice, { title: `Load ${dagId}`, description: request(dagId) });
  await world.standIn.settled({ botUrl, quietMs: 20 });
  const started = performance.now();
  await world.standIn.comment(world.project, { issue: issue.iid }, world.alice, '/generate');
  const branch = `dagwright/${issue.iid}-${dagId}`;
  while (!world.project.mergeRequests.some((mr) => mr.sourceBranch === branch)) {
    if (performance.now() - started > 60_000) throw new Error(`no merge request for ${branch} after a minute`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const elapsed = performance.now() - started;
  await world.standIn.settled({ botUrl, quietMs: 20 });
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(label: string, history: number) {
  const standIn = await startGitLabStandIn();
  const { alice, bot, project } = await seedGitLabStandIn(standIn, seedDir);
  if (history) addHistory(project.repoDir, history);
  const files = execFileSync('git', ['-C', project.repoDir, 'ls-tree', '-r', '--name-only', 'main'], { encoding: 'utf8' }).trim().split('\n').length;
  const count = Number(execFileSync('git', ['-C', project.repoDir, 'rev-list', '--count', 'main'], { encoding: 'utf8' }).trim());
  const world: World = { standIn, project, alice, bot, issues: 0 };
  const first: number[] = [];
  const warm: number[] = [];
  // A warm-up bot, not counted: the first render and validation of a process load their code.
  {
    const warmup = await startBot(world);
    await generateOnce(world, warmup.url);
    await warmup.bot.stop(5_000);
  }
  for (let round = 0; round < rounds; round++) {
    const running = await startBot(world);
    first.push(await generateOnce(world, running.url));
    warm.push(await generateOnce(world, running.url));
    await running.bot.stop(5_000);
  }
  await standIn.close();
  const fmt = (xs: number[]) => `median ${(median(xs) / 1000).toFixed(2)} s (min ${(Math.min(...xs) / 1000).toFixed(2)}, max ${(Math.max(...xs) / 1000).toFixed(2)})`;
  console.log(`${label}: ${files} files, ${count} commits — first run ${fmt(first)}; warm mirror ${fmt(warm)}`);
}

console.log(`/generate → merge request opened, the GitLab stand-in on loopback, ${rounds} rounds (Node ${process.versions.node}, ${os.cpus().length} cores)`);
await measure('large repository', commits);
await measure('seed repository', 0);
