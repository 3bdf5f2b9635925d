// Two `dagwright serve` processes on one PostgreSQL behind a load balancer that alternates between them and
// redelivers every webhook to the other one; in each of 20 trials the replica running a /generate is SIGKILLed
// at a random moment of it. Every time: one merge request, one status comment and one commit for the issue,
// and the issue's work in the order it came.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Project, User } from '../src/gitlab-standin/model.ts';
import { startBalancer, type Balancer } from './support/balancer.ts';
import { sleep, tempDir, waitFor, WEBHOOK_SECRET, hookSecretFor } from './support/harness.ts';
import { seededStandIn } from './support/record-deliveries.ts';
import { startServe, type Server } from './support/serve.ts';
import { freshPostgres, postgresUnavailable, type TestDatabase } from './support/test-database.ts';

const TRIALS = Number(process.env.REPLICA_TRIALS ?? 20);
/** The replicas' connections, told apart from the test's own in pg_stat_activity. */
const APPLICATION = `dagwright-replica-${process.pid}`;
const LEASE_SECONDS = 3;

const requestFor = (dagId: string) =>
  ['```yaml', `dag_id: ${dagId}`, 'schedule: "0 6 * * *"', 'start_date: 2026-01-01', 'source: {type: postgres, conn_id: orders_pg, table: public.customers}', 'target: {conn_id: lake, table: raw_orders.customers}', 'load: {strategy: snapshot}', '```'].join('\n');

type JobRow = { id: number; status: string; attempts: number; lease_owner: string | null; started_at: number | null; finished_at: number | null; body: string };


const skip = await postgresUnavailable();

describe('two replicas on one PostgreSQL', { skip }, () => {
  let standIn: GitLabStandIn;
  let alice: User, bot: User;
  let project: Project;
  let database: TestDatabase;
  let db: pg.Client;
  let balancer: Balancer;
  const replicas: Server[] = [];
  const envOf: Array<Record<string, string>> = [];
  const logs: string[] = [];

  const startReplica = async (index: number) => {
    replicas[index] = await startServe(envOf[index]!);
    return replicas[index]!;
  };

  before(async () => {
    ({ standIn, alice, bot, project } = await seededStandIn());
    database = await freshPostgres('replicas');
    for (const index of [0, 1]) {
      // One database, a git mirror each (the mirror is a replica's own cache).
      const url = new URL(database.url);
      url.searchParams.set('application_name', APPLICATION);
      envOf[index] = { GITLAB_URL: standIn.url, GITLAB_TOKEN: bot.token, WEBHOOK_SECRET, DATA_DIR: tempDir(), DATABASE_URL: url.toString(), JOB_LEASE_SECONDS: String(LEASE_SECONDS) };
    }
    // Started together: both run the migration; one applies it.
    await Promise.all([startReplica(0), startReplica(1)]);
    balancer = await startBalancer(() => replicas.map((r) => `http://127.0.0.1:${r.port}`));
    standIn.addHook(project, `${balancer.url}/webhooks/gitlab`, { token: hookSecretFor(project.id) });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });

  after(async () => {
    for (const r of replicas) {
      r.child.kill('SIGTERM');
      await r.exited;
    }
    await db?.end();
    await balancer?.close();
    await standIn?.close();
    await database?.drop();
  });

  const jobsOf = async (issueIid: number) =>
    (
      await db.query<JobRow>(
        `SELECT j.id::int AS id, j.status, j.attempts, j.lease_owner, j.started_at::float8 AS started_at, j.finished_at::float8 AS finished_at, d.body
         FROM jobs j JOIN deliveries d ON d.id = j.delivery_id WHERE j.resource_key = $1 ORDER BY j.id`,
        [`${project.id}#${issueIid}`],
      )
    ).rows;
  // The queue is the database's: any replica still running tells its depth.
  const settle = () => {
    const alive = replicas.find((r) => r.child.exitCode === null && r.child.signalCode === null)!;
    return standIn.settled({ botUrl: `http://127.0.0.1:${alive.port}`, timeoutMs: 60_000 });
  };

  test(`/generate with its replica SIGKILLed at a random moment, ${TRIALS} times: one merge request, one status comment, one commit each, in order`, async () => {
    // One /generate without a kill: how long one takes, so that the kills fall inside one.
    const warmUp = standIn.openIssue(project, alice, { title: 'Warm-up', description: requestFor('replica_warm_up') });
    await settle();
    await standIn.comment(project, { issue: warmUp.iid }, alice, '/generate');
    await settle();
    const generateJob = (await jobsOf(warmUp.iid)).find((j) => j.body.includes('/generate'))!;
    const generateMs = generateJob.finished_at! - generateJob.started_at!;
    assert.ok(project.mergeRequests.some((mr) => mr.sourceBranch.startsWith(`dagwright/${warmUp.iid}-`)), 'the warm-up opened its merge request');

    const killedAt: string[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const dagId = `replica_trial_${trial}`;
      const issue = standIn.openIssue(project, alice, { title: `Trial ${trial}`, description: requestFor(dagId) });
      await settle();
      await standIn.comment(project, { issue: issue.iid }, alice, '/generate');
      // A later comment on the same issue, which must wait for the /generate whichever replica has it.
      await standIn.comment(project, { issue: issue.iid }, alice, '/help');
      const running = await waitFor(async () => (await jobsOf(issue.iid)).find((j) => j.body.includes('/generate') && j.status === 'running'), { what: `trial ${trial}: the /generate job to start`, timeoutMs: 15_000 });
      const delay = Math.floor(Math.random() * generateMs);
      await sleep(delay);
      const pid = Number(running.lease_owner!.split(':')[1]);
      const victim = replicas.findIndex((r) => r.child.pid === pid);
      assert.ok(victim >= 0, `the lease's owner ${running.lease_owner} is one of the replicas`);
      const state = (await jobsOf(issue.iid)).find((j) => j.id === running.id)!.status;
      killedAt.push(`${delay} ms (${state})`);
      logs.push(...replicas[victim]!.logs.map((l) => `${pid} ${l}`));
      await replicas[victim]!.killHard();
      // The other replica takes the job over once its lease has run out; the killed one comes back after.
      await settle();
      await startReplica(victim);

      const branch = `dagwright/${issue.iid}-${dagId}`;
      const mergeRequests = project.mergeRequests.filter((mr) => mr.sourceBranch === branch);
      assert.equal(mergeRequests.length, 1, `trial ${trial} (killed ${killedAt.at(-1)}): one merge request`);
      const statusComments = project.notes.filter((n) => n.noteableId === issue.id && n.authorId === bot.id && n.body.includes('dagwright:status'));
      assert.equal(statusComments.length, 1, `trial ${trial}: one status comment`);
      assert.match(statusComments[0]!.body, new RegExp(`Merge request !${mergeRequests[0]!.iid} is open`), `trial ${trial}: the status comment tells the merge request`);
      const commits = execFileSync('git', ['-C', project.repoDir, 'rev-list', `main..${branch}`], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(commits.length, 1, `trial ${trial}: one commit on the branch`);
      assert.equal(mergeRequests[0]!.sha, commits[0]);
      // Order, as GitLab saw it: /help, which came after /generate, was answered after the /generate's last
      // word in the status comment; and every job of the issue succeeded.
      const jobs = await jobsOf(issue.iid);
      assert.deepEqual(jobs.map((j) => j.status), jobs.map(() => 'succeeded'), `trial ${trial}: every job of the issue succeeded`);
      const helpReply = project.notes.find((n) => n.noteableId === issue.id && n.authorId === bot.id && !n.body.includes('<!-- dagwright:') && /\/generate/.test(n.body));
      assert.ok(helpReply, `trial ${trial}: /help was answered`);
      assert.ok(helpReply.createdAt >= statusComments[0]!.updatedAt, `trial ${trial}: /help answered at ${helpReply.createdAt}, before the /generate ended at ${statusComments[0]!.updatedAt}`);
    }
    for (const r of replicas) logs.push(...r.logs.map((l) => `${r.child.pid} ${l}`));
    assert.equal(logs.some((line) => line.includes(bot.token)), false, 'the token is in no log line');
    // Every webhook went to one replica, and its redelivery to the other was recognised as a duplicate (the
    // bot's own comments are ignored by both).
    const redelivered = balancer.deliveries.filter((d) => d.again && d.first.result === 'accepted');
    assert.ok(redelivered.length > TRIALS * 2, `${redelivered.length} redeliveries of accepted events`);
    for (const d of redelivered) assert.deepEqual([d.again!.status, d.again!.result], [200, 'duplicate']);
    for (const d of balancer.deliveries.filter((d) => d.again && d.first.result !== 'accepted')) assert.equal(d.again!.result, d.first.result);
    assert.deepEqual(new Set(balancer.deliveries.map((d) => d.first.to)), new Set([0, 1]), 'both replicas took deliveries');
    console.log(`# killed at: ${killedAt.join(', ')} (a /generate took ${Math.round(generateMs)} ms)`);
  });

  test("the replicas' connections killed every 200-250 ms while they answer 24 comments: no replica crashes, every comment is answered once", async () => {
    const issues = Array.from({ length: 24 }, (_, i) => standIn.openIssue(project, alice, { title: `Killed ${i}`, description: requestFor(`killed_${i}`).replace('schedule: "0 6 * * *"\n', '') }));
    await settle();
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        kills += (await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [APPLICATION])).rowCount ?? 0;
        await sleep(200 + Math.random() * 50);
      }
    })();
    const started = Date.now();
    for (const issue of issues) await standIn.comment(project, { issue: issue.iid }, alice, 'schedule: 0 6 * * *');
    await sleep(Math.max(0, 6_000 - (Date.now() - started)));
    killing = false;
    await killer;
    await settle();
    assert.deepEqual(replicas.map((r) => r.child.exitCode ?? r.child.signalCode), [null, null], 'no replica crashed');
    const unanswered = issues.filter((issue) => project.notes.filter((n) => n.noteableId === issue.id && n.authorId === bot.id && /Updated `schedule`/.test(n.body)).length !== 1);
    assert.deepEqual(unanswered.map((i) => i.iid), [], `${kills} connections killed; issues without exactly one answer`);
    console.log(`# ${kills} connections killed while 24 comments were answered`);
  });
});
