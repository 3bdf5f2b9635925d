// The real command line in its own process: crash recovery, graceful shutdown, replay, configuration errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { FakeGitLab } from './support/fake-gitlab.ts';
import { repoRoot, tempDir, waitFor, WEBHOOK_SECRET } from './support/harness.ts';
import { noteOnIssue, toRequestInit, type Delivery } from './support/payloads.ts';

const main = path.join(repoRoot, 'src/main.ts');

type Server = { child: ChildProcess; port: number; logs: string[]; exited: Promise<number | null> };

async function startServe(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [main, 'serve'], {
    env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    logs.push(...lines);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = await waitFor(
    () => logs.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((l) => l.msg === 'listening'),
    { what: 'the server to listen', timeoutMs: 10_000 },
  );
  await waitFor(() => logs.some((l) => l.includes('the worker starts')), { what: 'the worker', timeoutMs: 10_000 });
  return { child, port: listening.port!, logs, exited };
}

/** Runs the command line without blocking this process (the GitLab double answers from here). */
function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const deliver = (server: Server, delivery: Delivery) =>
  fetch(`http://127.0.0.1:${server.port}/webhooks/gitlab`, toRequestInit(delivery, WEBHOOK_SECRET));

describe('the dagwright process', () => {
  const gitlab = new FakeGitLab();
  let env: Record<string, string>;
  before(async () => {
    await gitlab.start();
    env = { GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token, WEBHOOK_SECRET, DATA_DIR: tempDir() };
  });
  after(() => gitlab.stop());

  test('a process killed with SIGKILL while a job is leased runs that job again after restart', async () => {
    const notes = /\/projects\/42\/issues\/30\/notes$/;
    gitlab.inject({ method: 'POST', path: notes, hang: true });
    const first = await startServe(env);
    assert.equal((await deliver(first, noteOnIssue({ iid: 30, note: '/help' }))).status, 200);
    await waitFor(() => gitlab.requests.some((r) => r.method === 'POST' && notes.test(r.path)), { what: 'the job to reach GitLab' });
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal(gitlab.notesOn(42, 'Issue', 30).length, 0);

    const second = await startServe(env);
    await waitFor(() => gitlab.notesOn(42, 'Issue', 30).length === 1, { what: 'the reply after restart', timeoutMs: 10_000 });
    assert.ok(second.logs.some((l) => l.includes('requeued jobs interrupted by a previous stop')));
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const db = new Database(path.join(env.DATA_DIR!, 'dagwright.db'), { readonly: true });
    const job = db.prepare("SELECT status, attempts FROM jobs WHERE resource_key = '42#30'").get();
    db.close();
    assert.deepEqual(job, { status: 'succeeded', attempts: 2 });
    assert.equal(gitlab.notesOn(42, 'Issue', 30).length, 1);
  });

  test('SIGTERM lets a running job finish before the process exits', async () => {
    const notes = /\/projects\/42\/issues\/31\/notes$/;
    gitlab.inject({ method: 'POST', path: notes, slowMs: 1_000 });
    const server = await startServe(env);
    await deliver(server, noteOnIssue({ iid: 31, note: '/help' }));
    await waitFor(() => gitlab.requests.some((r) => r.method === 'POST' && notes.test(r.path)), { what: 'the job to reach GitLab' });
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.equal(gitlab.notesOn(42, 'Issue', 31).length, 1, 'the reply was written before exit');
  });

  test('replay runs a recorded delivery through the bot, once', async () => {
    const file = path.join(tempDir(), 'delivery.json');
    fs.writeFileSync(file, JSON.stringify(noteOnIssue({ iid: 32, note: '/help' })));
    const run = () => runCli(['replay', file], { ...process.env, ...env, WEBHOOK_SECRET: '', LOG_LEVEL: 'silent' });
    const first = await run();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /delivery: accepted/);
    assert.match(first.stdout, /event: note, note\.issue → \d+ handler\(s\)/);
    assert.match(first.stdout, /job \d+: succeeded after 1 attempt/);
    assert.equal(gitlab.notesOn(42, 'Issue', 32).length, 1);
    const again = await run();
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /delivery: duplicate/);
    assert.equal(gitlab.notesOn(42, 'Issue', 32).length, 1);
  });

  test('the recorded deliveries in fixtures/ replay', async () => {
    const dir = path.join(repoRoot, 'fixtures/deliveries');
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const run = await runCli(['replay', path.join(dir, name)], { ...process.env, ...env, DATA_DIR: tempDir(), LOG_LEVEL: 'silent' });
      assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout, /delivery: accepted/, name);
    }
  });

  test('replay explains a file that is not a recorded delivery', () => {
    const file = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ body: {} }));
    const run = spawnSync(process.execPath, [main, 'replay', file], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /is not a recorded delivery: headers/);
  });

  test('serve without its configuration names every missing variable and exits 2', () => {
    const run = spawnSync(process.execPath, [main, 'serve'], {
      env: { PATH: process.env.PATH, PORT: 'eighty' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 2);
    for (const name of ['GITLAB_URL', 'GITLAB_TOKEN', 'WEBHOOK_SECRET', 'PORT']) assert.match(run.stderr, new RegExp(`- ${name} `));
  });

  test('every command has --help', () => {
    for (const args of [['--help'], ['serve', '--help'], ['replay', '--help']]) {
      const run = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
      assert.equal(run.status, 0, args.join(' '));
      assert.match(run.stdout, /^Usage: dagwright/);
    }
  });
});
