// A /generate job killed with SIGKILL at five points, then the bot restarted: every time exactly one branch
// with one commit, one merge request and one status comment.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Project, User } from '../src/gitlab-standin/model.ts';
import { tempDir, waitFor, WEBHOOK_SECRET, hookSecretFor } from './support/harness.ts';
import { seededStandIn } from './support/record-deliveries.ts';
import { startServe } from './support/serve.ts';

const requestFor = (dagId: string) =>
  ['```yaml', `dag_id: ${dagId}`, 'schedule: "0 6 * * *"', 'start_date: 2026-01-01', 'source: {type: postgres, conn_id: orders_pg, table: public.customers}', 'target: {conn_id: lake, table: raw_orders.customers}', 'load: {strategy: snapshot}', '```'].join('\n');

type Active = { method: string; path: string };

describe('a /generate job killed with SIGKILL, then restarted', () => {
  let standIn: GitLabStandIn;
  let alice: User, bot: User;
  let project: Project;
  let env: Record<string, string>;
  before(async () => {
    ({ standIn, alice, bot, project } = await seededStandIn());
    env = { GITLAB_URL: standIn.url, GITLAB_TOKEN: bot.token, WEBHOOK_SECRET, DATA_DIR: tempDir(), JOB_LEASE_SECONDS: '60' };
  });
  after(() => standIn.close());

  const git = '/data/warehouse.git';
  const points: Array<{ name: string; method: string; path: (issueIid: number) => RegExp; when?: (branch: string) => boolean }> = [
    { name: 'while the status comment is being created', method: 'POST', path: (iid) => new RegExp(`/issues/${iid}/notes$`) },
    { name: 'while the mirror is fetched', method: 'GET', path: () => new RegExp(`^${git}/info/refs$`) },
    { name: 'while the commit is pushed', method: 'POST', path: () => new RegExp(`^${git}/git-receive-pack$`) },
    { name: 'after the push, before the merge request', method: 'POST', path: () => /\/merge_requests$/ },
    { name: 'after the merge request, before the last status edit', method: 'PUT', path: (iid) => new RegExp(`/issues/${iid}/notes/\\d+$`), when: (branch) => project.mergeRequests.some((mr) => mr.sourceBranch === branch) },
  ];

  for (const [index, point] of points.entries()) {
    test(`killed ${point.name}`, async () => {
      const dagId = `crash_${index + 1}`;
      const first = await startServe(env);
      const hook = standIn.addHook(project, `http://127.0.0.1:${first.port}/webhooks/gitlab`, { token: hookSecretFor(project.id) });
      const issue = standIn.openIssue(project, alice, { title: `Crash ${index + 1}`, description: requestFor(dagId) });
      const branch = `dagwright/${issue.iid}-${dagId}`;
      await standIn.settled({ botUrl: `http://127.0.0.1:${first.port}` });
      // Matching requests are held in GitLab long enough for the kill to land while one is in flight.
      const fault = standIn.injectFault({ method: point.method, path: point.path(issue.iid), effect: { latencyMs: 30_000 }, when: point.when && (() => point.when!(branch)) });
      await standIn.comment(project, { issue: issue.iid }, alice, '/generate');
      const held = (r: Active) => r.method === point.method && point.path(issue.iid).test(r.path);
      try {
        await waitFor(() => [...standIn.activeRequests].some(held) && (point.when?.(branch) ?? true), { what: `the job to reach: ${point.name}`, timeoutMs: 20_000 });
      } finally {
        await first.killHard();
        standIn.faults.remove(fault);
      }
      project.hooks.splice(project.hooks.indexOf(hook), 1);

      const second = await startServe(env);
      try {
        await standIn.settled({ botUrl: `http://127.0.0.1:${second.port}`, timeoutMs: 30_000 });
        const mergeRequests = project.mergeRequests.filter((mr) => mr.sourceBranch === branch);
        assert.equal(mergeRequests.length, 1, 'one merge request');
        const statusComments = project.notes.filter((n) => n.noteableId === issue.id && n.authorId === bot.id && n.body.includes('dagwright:status'));
        assert.equal(statusComments.length, 1, 'one status comment');
        assert.match(statusComments[0]!.body, new RegExp(`Merge request !${mergeRequests[0]!.iid} is open`));
        const commits = execFileSync('git', ['-C', project.repoDir, 'rev-list', `main..${branch}`], { encoding: 'utf8' }).trim().split('\n');
        assert.equal(commits.length, 1, 'one commit on the branch');
        assert.equal(mergeRequests[0]!.sha, commits[0]);
        for (const line of [...first.logs, ...second.logs]) assert.equal(line.includes(bot.token), false, 'the token is in no log line');
      } catch (e) {
        if (process.env.CRASH_DEBUG) console.error([...first.logs, '----', ...second.logs].join('\n'));
        throw e;
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });
  }
});
