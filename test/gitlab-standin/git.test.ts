// Git over smart HTTP against the stand-in, with the real git client.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../../src/gitlab-standin/index.ts';
import type { Project, User } from '../../src/gitlab-standin/model.ts';
import { tempDir, waitFor } from '../support/harness.ts';
import { startHookReceiver } from '../support/hook-receiver.ts';

const exec = promisify(execFile);

/** git with the token in an Authorization header (never in the URL), as the bot will run it. */
async function gitAs(token: string | undefined, args: string[], cwd?: string): Promise<{ ok: boolean; stderr: string; stdout: string }> {
  const auth = token ? ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`oauth2:${token}`).toString('base64')}`] : [];
  try {
    const { stdout, stderr } = await exec('git', [...auth, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' },
    });
    return { ok: true, stdout, stderr };
  } catch (err) {
    return { ok: false, stdout: (err as { stdout: string }).stdout, stderr: (err as { stderr: string }).stderr };
  }
}

describe('GitLab stand-in: git over smart HTTP', () => {
  let standIn: GitLabStandIn;
  let owner: User, developer: User, reporter: User, stranger: User;
  let project: Project;
  let remote: string;

  before(async () => {
    standIn = await startGitLabStandIn();
    owner = standIn.createUser('owner');
    developer = standIn.createUser('dev');
    reporter = standIn.createUser('rep');
    stranger = standIn.createUser('stranger');
    const seed = tempDir('seed-');
    fs.mkdirSync(path.join(seed, 'dags'));
    fs.writeFileSync(path.join(seed, 'dags', 'existing.py'), 'x = 1\n');
    project = await standIn.createProject('data/warehouse', {
      owner,
      seedDir: seed,
      members: [
        [developer, AccessLevels.developer],
        [reporter, AccessLevels.reporter],
      ],
    });
    remote = `${standIn.url}/data/warehouse.git`;
  });
  after(() => standIn.close());

  test('a push cut off mid-way (its pusher killed) leaves no git process waiting for the rest of it', async () => {
    // The stand-in's `git http-backend` processes are this process's children.
    const backends = () => execFileSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() === 'git http-backend').length;
    const push = http.request(`${remote}/git-receive-pack`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`oauth2:${developer.token}`).toString('base64')}`, 'content-type': 'application/x-git-receive-pack-request' },
    });
    push.on('error', () => undefined);
    push.write('0098'.padEnd(60, '0'));
    await waitFor(() => backends() === 1, { what: 'git to take the push' });
    push.destroy();
    await waitFor(() => backends() === 0, { what: 'the git process to stop' });
  });

  test('pushers gone at any moment, before git was started or after (the stand-in reads the branches first), leave no git process', async () => {
    const backends = () => execFileSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() === 'git http-backend').length;
    for (let i = 0; i < 40; i++) {
      const push = http.request(`${remote}/git-receive-pack`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`oauth2:${developer.token}`).toString('base64')}`, 'content-type': 'application/x-git-receive-pack-request' },
      });
      push.on('error', () => undefined);
      push.write('0098'.padEnd(60, '0'));
      setTimeout(() => push.destroy(), (i % 10) * 2);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(backends(), 0);
  });

  test('clone with a token sees the seeded repository; without one it is refused', async () => {
    const dir = path.join(tempDir(), 'clone');
    const cloned = await gitAs(reporter.token, ['clone', '--quiet', remote, dir]);
    assert.ok(cloned.ok, cloned.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'dags', 'existing.py'), 'utf8'), 'x = 1\n');
    const anonymous = await gitAs(undefined, ['clone', '--quiet', remote, path.join(tempDir(), 'anon')]);
    assert.equal(anonymous.ok, false);
    const outsider = await gitAs(stranger.token, ['clone', '--quiet', remote, path.join(tempDir(), 'outsider')]);
    assert.equal(outsider.ok, false);
    assert.match(outsider.stderr, /not found|404/i);
  });

  test('fetch picks up new commits; the bearer header works as well as Basic auth', async () => {
    const dir = path.join(tempDir(), 'fetcher');
    const bearer = ['-c', `http.extraHeader=Authorization: Bearer ${reporter.token}`];
    await exec('git', [...bearer, 'clone', '--quiet', remote, dir]);
    const sha = await standIn.pushCommit(project, owner, { branch: 'main', files: { 'dags/fetched.py': 'z = 3\n' }, message: 'For fetch' });
    await exec('git', [...bearer, 'fetch', '--quiet', 'origin'], { cwd: dir });
    const fetched = (await exec('git', ['rev-parse', 'origin/main'], { cwd: dir })).stdout.trim();
    assert.equal(fetched, sha);
  });

  test('a Developer pushes a branch; a Reporter and a token-less push are refused', async () => {
    const dir = path.join(tempDir(), 'work');
    assert.ok((await gitAs(developer.token, ['clone', '--quiet', remote, dir])).ok);
    fs.writeFileSync(path.join(dir, 'dags', 'new.py'), 'y = 2\n');
    await exec('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'checkout', '-q', '-b', 'feature'], { cwd: dir });
    await exec('git', ['add', '.'], { cwd: dir });
    await exec('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'Add new'], { cwd: dir });
    const asReporter = await gitAs(reporter.token, ['push', '--quiet', 'origin', 'feature'], dir);
    assert.equal(asReporter.ok, false);
    assert.match(asReporter.stderr, /not allowed to push|403/);
    const anonymous = await gitAs(undefined, ['push', '--quiet', 'origin', 'feature'], dir);
    assert.equal(anonymous.ok, false);
    const pushed = await gitAs(developer.token, ['push', '--quiet', 'origin', 'feature'], dir);
    assert.ok(pushed.ok, pushed.stderr);
    const head = (await exec('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
    const branch = await fetch(`${standIn.url}/api/v4/projects/${project.id}/repository/branches/feature`, { headers: { 'PRIVATE-TOKEN': developer.token } });
    assert.equal(((await branch.json()) as { commit: { id: string } }).commit.id, head);
  });

  test('the protected default branch refuses a Developer\'s push and takes a Maintainer\'s', async () => {
    const dir = path.join(tempDir(), 'main');
    assert.ok((await gitAs(developer.token, ['clone', '--quiet', remote, dir])).ok);
    fs.writeFileSync(path.join(dir, 'dags', 'existing.py'), 'x = 2\n');
    await exec('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-am', 'Direct'], { cwd: dir });
    const refused = await gitAs(developer.token, ['push', '--quiet', 'origin', 'main'], dir);
    assert.equal(refused.ok, false);
    assert.match(refused.stderr, /not allowed to push code to protected branches/);
    const accepted = await gitAs(owner.token, ['push', '--quiet', 'origin', 'main'], dir);
    assert.ok(accepted.ok, accepted.stderr);
  });

  test('a push to a merge request\'s source branch updates the MR and fires its hook with oldrev', async () => {
    const receiver = await startHookReceiver();
    const received = () => receiver.received.map((r) => r.body);
    try {
      standIn.addHook(project, receiver.url, { token: 't' });
      const first = await standIn.pushCommit(project, developer, { branch: 'review', files: { 'a.txt': '1\n' }, message: 'First' });
      const mr = await standIn.gitlab.createMergeRequest(project, developer, { sourceBranch: 'review', targetBranch: 'main', title: 'Review me' });
      const dir = path.join(tempDir(), 'review');
      assert.ok((await gitAs(developer.token, ['clone', '--quiet', '--branch', 'review', remote, dir])).ok);
      fs.writeFileSync(path.join(dir, 'a.txt'), '2\n');
      await exec('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-am', 'Second'], { cwd: dir });
      assert.ok((await gitAs(developer.token, ['push', '--quiet', 'origin', 'review'], dir)).ok);
      const second = (await exec('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
      const update = await waitFor(() => received().find((b) => b.object_kind === 'merge_request' && b.object_attributes.action === 'update'), { what: 'the MR update hook' });
      assert.equal(update.object_attributes.iid, mr.iid);
      assert.equal(update.object_attributes.oldrev, first);
      assert.equal(update.object_attributes.last_commit.id, second);
      assert.equal(mr.sha, second);
    } finally {
      receiver.close();
    }
  });
});
