// The bot's git: mirror, workspace, commit, push against the stand-in; three-way merges of re-renders.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { holderMark } from '../src/git/locks.ts';
import { mergeFile } from '../src/git/merge-file.ts';
import { Mirrors } from '../src/git/repository.ts';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Project, User } from '../src/gitlab-standin/model.ts';
import { filesUnder, tempDir } from './support/harness.ts';


describe('git for a job', () => {
  let standIn: GitLabStandIn;
  let owner: User, bot: User;
  let project: Project;
  let dataDir: string;
  const author = { name: 'Dagwright', email: 'dagwright@users.noreply.gitlab.test' };
  before(async () => {
    standIn = await startGitLabStandIn();
    owner = standIn.createUser('root');
    bot = standIn.createUser('dagwright', { bot: true });
    project = await standIn.createProject('data/warehouse', { owner, members: [[bot, AccessLevels.developer]] });
    dataDir = tempDir();
  });
  after(() => standIn.close());
  const remote = () => `${standIn.url}/data/warehouse.git`;
  /** README.md of main as the mirror has it, read through a job's workspace. */
  const readmeOnMain = async (mirrors: Mirrors, mirror: string) => {
    const work = await mirrors.workspace(mirror, 'main');
    try {
      await work.checkOut(['README.md']);
      return work.read('README.md');
    } finally {
      await work.done();
    }
  };

  test('a mirror is fetched, a workspace committed and pushed, and the remote branch confirmed', async () => {
    const mirrors = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    const mirror = await mirrors.fetch(project.id, remote());
    const work = await mirrors.workspace(mirror, 'main');
    try {
      work.write('dags/raw/orders/x.py', 'x = 1\n');
      const sha = await work.commit('Add pipeline x\n\nDagwright-Issue: data/warehouse#1', author);
      assert.match(sha!, /^[0-9a-f]{40}$/);
      assert.equal(await work.push('dagwright/1-x'), sha);
      const branch = (await (await fetch(`${standIn.url}/api/v4/projects/${project.id}/repository/branches/dagwright%2F1-x`, { headers: { 'PRIVATE-TOKEN': bot.token } })).json()) as { commit: { id: string; author_name: string; message: string } };
      assert.equal(branch.commit.id, sha);
      assert.equal(branch.commit.author_name, 'Dagwright');
      assert.match(branch.commit.message, /Dagwright-Issue: data\/warehouse#1/);
      const tree = (ref: string) => execFileSync('git', ['-C', project.repoDir, 'ls-tree', '-r', '--name-only', ref], { encoding: 'utf8' }).trim().split('\n');
      assert.deepEqual(tree('dagwright/1-x'), [...tree('main'), 'dags/raw/orders/x.py'].sort(), 'the commit holds the whole tree and the new file');
      work.write('dags/raw/orders/x.py', 'x = 1\n');
      assert.equal(await work.commit('nothing', author), undefined, 'no commit when nothing changed');
    } finally {
      await work.done();
    }
    assert.equal(fs.existsSync(work.dir), false, 'the workspace is removed');
  });

  test('the second job fetches the mirror again instead of cloning, and sees the new branch', async () => {
    const mirrors = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    await standIn.pushCommit(project, owner, { branch: 'main', files: { 'README.md': 'changed\n' }, message: 'Human change' });
    const before = standIn.requests.filter((r) => r.path.endsWith('/info/refs')).length;
    const mirror = await mirrors.fetch(project.id, remote());
    assert.equal(standIn.requests.filter((r) => r.path.endsWith('/info/refs')).length - before, 1, 'one fetch');
    const work = await mirrors.workspace(mirror, 'dagwright/1-x');
    try {
      assert.equal(work.read('README.md'), undefined, 'only what a job asks for is written to disk');
      await work.checkOut(['dags/raw/orders/x.py', 'dags/raw/orders/missing.py']);
      assert.equal(work.read('dags/raw/orders/x.py'), 'x = 1\n');
    } finally {
      await work.done();
    }
  });

  test('jobs of one project fetch its mirror at the same time: each fetch succeeds', async () => {
    const mirrors = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    for (let i = 0; i < 3; i++) {
      await standIn.pushCommit(project, owner, { branch: 'main', files: { 'README.md': `round ${i}\n` }, message: `Round ${i}` });
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => mirrors.fetch(project.id, remote())));
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    }
  });

  test('a file someone made executable on the branch keeps its mode when the bot rewrites it', async () => {
    const mirrors = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    // An executable script on a branch, committed straight into GitLab's repository.
    const env = { ...process.env, GIT_INDEX_FILE: path.join(tempDir(), 'index'), GIT_AUTHOR_NAME: 'root', GIT_AUTHOR_EMAIL: 'root@example.com', GIT_COMMITTER_NAME: 'root', GIT_COMMITTER_EMAIL: 'root@example.com' };
    const inRepo = (args: string[], input?: string) => execFileSync('git', ['-C', project.repoDir, ...args], { encoding: 'utf8', input, env }).trim();
    inRepo(['read-tree', 'main']);
    inRepo(['update-index', '--add', '--cacheinfo', `100755,${inRepo(['hash-object', '-w', '--stdin'], 'echo 1\n')},bin/load.sh`]);
    inRepo(['update-ref', 'refs/heads/tools', inRepo(['commit-tree', inRepo(['write-tree']), '-p', 'main', '-m', 'A script'])]);
    const mirror = await mirrors.fetch(project.id, remote());
    const work = await mirrors.workspace(mirror, 'tools');
    try {
      await work.checkOut(['bin/load.sh']);
      work.write('bin/load.sh', 'echo 2\n');
      const sha = await work.commit('Rewrite', author);
      await work.push('tools');
      const mode = execFileSync('git', ['-C', project.repoDir, 'ls-tree', sha!, 'bin/load.sh'], { encoding: 'utf8' }).split(' ')[0];
      assert.equal(mode, '100755');
    } finally {
      await work.done();
    }
  });

  test('after a crash: lock files and workspaces left in the mirror do not stop the next job', async () => {
    const crashed = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    const mirror = await crashed.fetch(project.id, remote());
    const left = await crashed.workspace(mirror, 'main');
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    for (const lock of [path.join(mirror, 'refs', 'heads', 'main.lock'), path.join(mirror, 'shallow.lock')]) {
      fs.writeFileSync(lock, '');
      fs.utimesSync(lock, tenMinutesAgo, tenMinutesAgo);
    }
    await standIn.pushCommit(project, owner, { branch: 'main', files: { 'README.md': 'after the crash\n' }, message: 'After the crash' });
    const restarted = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    assert.equal(fs.existsSync(left.dir), false, 'the crashed job\'s workspace is gone');
    await restarted.fetch(project.id, remote());
    assert.equal(await readmeOnMain(restarted, mirror), 'after the crash\n');
  });

  test('a lock of a process that is still at work is left alone, and the fetch fails as worth retrying', async () => {
    const mirrors = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    const mirror = await mirrors.fetch(project.id, remote());
    const lock = path.join(mirror, 'shallow.lock');
    // Another process of this host (`dagwright replay` beside `serve`) holds the mirror.
    const other = spawn('sleep', ['30']);
    const mark = holderMark(mirror, { host: os.hostname(), pid: other.pid!, instance: 'other' }, 1);
    fs.mkdirSync(path.dirname(mark), { recursive: true });
    fs.writeFileSync(mark, '');
    fs.writeFileSync(lock, '');
    try {
      await standIn.pushCommit(project, owner, { branch: 'main', files: { 'README.md': 'while locked\n' }, message: 'While locked' });
      const again = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
      await assert.rejects(again.fetch(project.id, remote()), (err: Error) => err.name === 'TransientError');
      assert.equal(fs.existsSync(lock), true);
    } finally {
      other.kill();
      fs.rmSync(lock, { force: true });
      fs.rmSync(mark, { force: true });
    }
  });

  test('a lock a killed process left a second ago is removed on the next fetch, without waiting and without a restart', async () => {
    const mirrors = new Mirrors(dataDir, { token: bot.token, tokenScope: standIn.url });
    const mirror = await mirrors.fetch(project.id, remote());
    // A process that ran git in the mirror and was killed: its mark and git's lock stay behind.
    const gone = spawn('true');
    await new Promise((resolve) => gone.on('exit', resolve));
    const mark = holderMark(mirror, { host: os.hostname(), pid: gone.pid!, instance: 'gone' }, 1);
    fs.mkdirSync(path.dirname(mark), { recursive: true });
    fs.writeFileSync(mark, '');
    fs.writeFileSync(path.join(mirror, 'shallow.lock'), '');
    await standIn.pushCommit(project, owner, { branch: 'main', files: { 'README.md': 'after the kill\n' }, message: 'After the kill' });
    // The same Mirrors as before the kill: nothing restarted.
    await mirrors.fetch(project.id, remote());
    assert.equal(fs.existsSync(path.join(mirror, 'shallow.lock')), false);
    assert.equal(fs.existsSync(mark), false, 'the dead process\'s mark is gone too');
    assert.equal(await readmeOnMain(mirrors, mirror), 'after the kill\n');
  });

  test('git\'s transient failures (429, 5xx, an empty reply) are tried again within the call, then worth another try of the job; a refusal is not', async () => {
    const retries: string[] = [];
    const mirrors = new Mirrors(tempDir(), { token: bot.token, tokenScope: standIn.url, retry: { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 10, onRetry: (err) => void retries.push(err.message) } });
    for (const effect of [{ status: 429 as const, retryAfterSeconds: 1 }, { status: 503 as const }, { drop: true as const }]) {
      // Once: the fetch is tried again and succeeds.
      const once = standIn.injectFault({ path: /^\/data\/warehouse\.git\/info\/refs$/, effect, times: 1 });
      await mirrors.fetch(project.id, remote());
      standIn.faults.remove(once);
      // Every time: after the retries, a TransientError (the job is tried again later).
      const always = standIn.injectFault({ path: /^\/data\/warehouse\.git\/info\/refs$/, effect });
      await assert.rejects(mirrors.fetch(project.id, remote()), (err: Error) => err.name === 'TransientError', JSON.stringify(effect));
      standIn.faults.remove(always);
    }
    assert.equal(retries.length, 3 * (1 + 2), retries.join('\n'));
    const stranger = standIn.createUser('stranger-git');
    const refusedRetries: string[] = [];
    await assert.rejects(new Mirrors(tempDir(), { token: stranger.token, tokenScope: standIn.url, retry: { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 10, onRetry: (err) => void refusedRetries.push(err.message) } }).fetch(project.id, remote()), (err: Error) => err.name !== 'TransientError');
    assert.deepEqual(refusedRetries, [], 'a refusal is not tried again');
    await mirrors.fetch(project.id, remote());
  });

  test('the token is in no file of the mirror and in no URL', async () => {
    for (const file of filesUnder(path.join(dataDir, 'git'))) {
      const text = fs.readFileSync(file);
      assert.equal(text.includes(bot.token), false, `${file} holds the token`);
    }
    const config = fs.readFileSync(path.join(dataDir, 'git', `${project.id}.git`, 'config'), 'utf8');
    assert.match(config, new RegExp(`url = ${standIn.url.replace(/[.:/]/g, '\\$&')}/data/warehouse\\.git`));
  });

  test('a push the server refuses is an error that says so', async () => {
    const mirrors = new Mirrors(tempDir(), { token: 'glpat-not-a-real-token-000', tokenScope: standIn.url });
    await assert.rejects(mirrors.fetch(project.id, remote()), /fetching the repository failed/);
  });
});

describe('three-way merge of a re-render', () => {
  const scratch = tempDir();
  const base = 'a = 1\nb = 2\nc = 3\n';
  test('unchanged by people: the new render wins', async () => {
    assert.deepEqual(await mergeFile(base, base, 'a = 1\nb = 20\nc = 3\n', scratch), { merged: 'a = 1\nb = 20\nc = 3\n' });
  });
  test('changed by people, the render unchanged: the human edit stays', async () => {
    assert.deepEqual(await mergeFile(base, 'a = 10\nb = 2\nc = 3\n', base, scratch), { merged: 'a = 10\nb = 2\nc = 3\n' });
  });
  test('both changed, different lines: both kept', async () => {
    const merged = await mergeFile('a\n\n1\n2\n3\n\nz\n', 'A\n\n1\n2\n3\n\nz\n', 'a\n\n1\n2\n3\n\nZ\n', scratch);
    assert.deepEqual(merged, { merged: 'A\n\n1\n2\n3\n\nZ\n' });
  });
  test('both changed the same line: a conflict, with its line', async () => {
    const result = await mergeFile(base, 'a = 1\nb = 5\nc = 3\n', 'a = 1\nb = 7\nc = 3\n', scratch);
    assert.deepEqual(result, { conflicts: [2] });
  });
});
