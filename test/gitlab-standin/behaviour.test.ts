// Quick actions as GitLab applies them, injected faults, and waiting for quiet.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startHookReceiver, type HookReceiver } from '../support/hook-receiver.ts';
import { createGitLabClient, isGitLabError } from '../../src/gitlab/client.ts';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../../src/gitlab-standin/index.ts';
import type { Project, User } from '../../src/gitlab-standin/model.ts';

describe('GitLab stand-in: behaviour', () => {
  let standIn: GitLabStandIn;
  let owner: User, alice: User, bob: User;
  let project: Project;
  let receiver: HookReceiver;
  const hooks = () => receiver.received.map((r) => r.body);

  before(async () => {
    receiver = await startHookReceiver();
    standIn = await startGitLabStandIn();
    owner = standIn.createUser('root');
    alice = standIn.createUser('alice');
    bob = standIn.createUser('bob');
    project = await standIn.createProject('data/warehouse', { owner, members: [[alice, AccessLevels.developer], [bob, AccessLevels.developer]] });
    standIn.addHook(project, receiver.url);
  });
  after(async () => {
    await standIn.close();
    receiver.close();
  });

  const post = (path: string, user: User, body: unknown) =>
    fetch(`${standIn.url}/api/v4${path}`, { method: 'POST', headers: { 'PRIVATE-TOKEN': user.token, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  describe('quick actions', () => {
    test('known commands are taken out of the note and applied; /generate stays in the text', async () => {
      const issue = standIn.openIssue(project, alice, { title: 'Quick' });
      const res = await post(`/projects/${project.id}/issues/${issue.iid}/notes`, alice, { body: 'Ready to go\n/label ~"data pipeline" ~urgent\n/generate\n/assign @bob' });
      assert.equal(res.status, 201);
      const note = (await res.json()) as { body: string };
      assert.equal(note.body, 'Ready to go\n/generate');
      assert.deepEqual(issue.labels, ['data pipeline', 'urgent']);
      assert.deepEqual(issue.assigneeIds, [bob.id]);
      await standIn.settled();
      const noteHook = hooks().find((h) => h.object_kind === 'note' && h.issue?.iid === issue.iid)!;
      assert.equal(noteHook.object_attributes.note, 'Ready to go\n/generate');
      const labelHook = hooks().find((h) => h.object_kind === 'issue' && h.object_attributes.iid === issue.iid && h.object_attributes.action === 'update')!;
      assert.deepEqual(labelHook.changes.labels.current.map((l: { title: string }) => l.title), ['data pipeline', 'urgent']);
    });

    test('a note made only of known commands is not stored and fires no note hook (202)', async () => {
      const issue = standIn.openIssue(project, alice, { title: 'Only commands' });
      await standIn.settled();
      const before = hooks().length;
      const res = await post(`/projects/${project.id}/issues/${issue.iid}/notes`, alice, { body: '/close' });
      assert.equal(res.status, 202);
      assert.equal(issue.state, 'closed');
      assert.equal(project.notes.filter((n) => n.noteableId === issue.id).length, 0);
      await standIn.settled();
      const fired = hooks().slice(before);
      assert.deepEqual(fired.map((h) => `${h.object_kind}.${h.object_attributes.action}`), ['issue.close']);
    });

    test('commands in code blocks and quotes, and commands of the other kind of item, stay text', async () => {
      const issue = standIn.openIssue(project, alice, { title: 'Text' });
      const body = '```\n/close\n```\n> /close\n/merge';
      const note = await standIn.comment(project, { issue: issue.iid }, alice, body);
      assert.equal(note!.body, body);
      assert.equal(issue.state, 'opened');
    });

    test('/merge on a merge request merges it when the author may', async () => {
      await standIn.pushCommit(project, alice, { branch: 'qm', files: { 'q.txt': 'q\n' }, message: 'Q' });
      const mr = await standIn.gitlab.createMergeRequest(project, alice, { sourceBranch: 'qm', targetBranch: 'main', title: 'Quick merge' });
      await standIn.comment(project, { mergeRequest: mr.iid }, alice, 'LGTM\n/merge');
      assert.equal(mr.state, 'opened', 'a Developer may not merge into the protected main');
      await standIn.comment(project, { mergeRequest: mr.iid }, owner, '/merge');
      assert.equal(mr.state, 'merged');
    });
  });

  describe('faults', () => {
    const client = () => createGitLabClient({ url: standIn.url, token: alice.token, retry: { retries: 0 } });

    test('a status for the next N calls, then normal answers', async () => {
      standIn.injectFault({ path: '/api/v4/user', effect: { status: 502 }, times: 2 });
      for (let i = 0; i < 2; i++) await assert.rejects(client().Users.showCurrentUser(), (err) => isGitLabError(err, 502));
      const user = (await client().Users.showCurrentUser()) as { username: string };
      assert.equal(user.username, 'alice');
    });

    test('429 with Retry-After', async () => {
      standIn.injectFault({ path: /\/user$/, effect: { status: 429, retryAfterSeconds: 7 }, times: 1 });
      const res = await fetch(`${standIn.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': alice.token } });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
    });

    test('added latency delays the answer, which is the usual one', async () => {
      standIn.injectFault({ path: '/api/v4/version', effect: { latencyMs: 300 }, times: 1 });
      const started = performance.now();
      const res = await fetch(`${standIn.url}/api/v4/version`, { headers: { 'PRIVATE-TOKEN': alice.token } });
      assert.equal(res.status, 200);
      assert.ok(performance.now() - started >= 290);
    });

    test('a dropped connection fails the request at the network level', async () => {
      standIn.injectFault({ path: '/api/v4/version', method: 'GET', effect: { drop: true }, times: 1 });
      await assert.rejects(fetch(`${standIn.url}/api/v4/version`, { headers: { 'PRIVATE-TOKEN': alice.token } }), /fetch failed/);
      assert.equal((await fetch(`${standIn.url}/api/v4/version`, { headers: { 'PRIVATE-TOKEN': alice.token } })).status, 200);
    });

    test('a rate applies to that share of calls', async () => {
      const id = standIn.injectFault({ path: '/api/v4/version', effect: { status: 500 }, rate: 0.5 });
      let failed = 0;
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${standIn.url}/api/v4/version`, { headers: { 'PRIVATE-TOKEN': alice.token } });
        if (res.status === 500) failed++;
        await res.arrayBuffer();
      }
      standIn.faults.remove(id);
      assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed`);
    });
  });

  test('settled() waits for deliveries in flight', async () => {
    const slow = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('{}'), 400);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const other = await standIn.createProject('data/slow', { owner });
      standIn.addHook(other, `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`);
      standIn.openIssue(other, owner, { title: 'Slow' });
      assert.equal(standIn.gitlab.webhooks.pending, 1);
      await standIn.settled();
      assert.equal(standIn.gitlab.webhooks.pending, 0);
      assert.equal(standIn.deliveries.at(-1)!.status, 200);
    } finally {
      slow.close();
    }
  });
});
