// The sandbox that runs code Dagwright did not write (generated DAGs, repository packs): what a child in it can
// and cannot reach. Needs bubblewrap (`npm run test:setup` installs it); in CI it is required.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSandboxed, type SandboxRun } from '../src/sandbox/run.ts';
import { tempDir } from './support/harness.ts';
import { skipUnlessSandbox } from './support/sandbox.ts';


describe('the sandbox for code Dagwright did not write', { skip: skipUnlessSandbox() }, () => {
  let work: string;
  let elsewhere: string;
  let server: net.Server;
  let port: number;
  before(async () => {
    work = tempDir('dagwright-sandbox-work-');
    elsewhere = tempDir('dagwright-sandbox-elsewhere-');
    fs.writeFileSync(path.join(elsewhere, 'secret.txt'), 'not for the sandbox');
    server = net.createServer((socket) => socket.end('hello\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
    process.env.DAGWRIGHT_SANDBOX_TEST_SECRET = 'glpat-sandbox-test-secret';
  });
  after(() => {
    server.close();
    delete process.env.DAGWRIGHT_SANDBOX_TEST_SECRET;
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  const shell = (script: string, extra: Partial<SandboxRun> = {}) =>
    runSandboxed({ command: '/bin/bash', args: ['-c', script], readOnly: [], writable: [work], env: { PATH: '/usr/bin:/bin', ONLY: 'this' }, cwd: work, timeoutMs: 20_000, ...extra });

  test('the child sees only the environment it is given, none of the bot\'s', async () => {
    const result = await shell('env');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ONLY=this$/m);
    assert.doesNotMatch(result.stdout, /glpat-sandbox-test-secret|DAGWRIGHT_SANDBOX_TEST_SECRET/);
  });

  test("the bot's process and its environment cannot be read through /proc", async () => {
    const result = await shell(`cat /proc/${process.pid}/environ; echo "exit:$?"; ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '`);
    assert.doesNotMatch(result.stdout, /glpat-sandbox-test-secret/);
    assert.match(result.stdout, /exit:1/);
    // Its own PID namespace: a handful of processes, none of the host's.
    const pids = result.stdout.split('\n').at(-1)!.trim().split(' ').map(Number);
    assert.ok(pids.length < 10 && pids.every((pid) => pid < 100), `pids: ${pids.join(' ')}`);
  });

  test('a folder it was not given is not there; one given read-only cannot be written', async () => {
    const hidden = await shell(`cat ${elsewhere}/secret.txt`);
    assert.notEqual(hidden.code, 0);
    assert.doesNotMatch(hidden.stdout, /not for the sandbox/);
    const readOnly = await shell(`cat ${elsewhere}/secret.txt && echo x > ${elsewhere}/new.txt`, { readOnly: [elsewhere] });
    assert.match(readOnly.stdout, /not for the sandbox/);
    assert.notEqual(readOnly.code, 0);
    assert.equal(fs.existsSync(path.join(elsewhere, 'new.txt')), false);
    const written = await shell('echo made > made.txt');
    assert.equal(written.code, 0, written.stderr);
    assert.equal(fs.readFileSync(path.join(work, 'made.txt'), 'utf8'), 'made\n');
  });

  test('it runs as an unprivileged user with no network, unless the run asks for the network', async () => {
    const offline = await shell(`id -u; (exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3) && echo connected || echo refused`);
    assert.match(offline.stdout, /^65534$/m);
    assert.match(offline.stdout, /refused/);
    const online = await shell(`(exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3) && echo connected || echo refused`, { network: true });
    assert.match(online.stdout, /hello\nconnected/);
  });

  test('a run past its time is killed and says so', async () => {
    const started = Date.now();
    const result = await shell('sleep 30', { timeoutMs: 500 });
    assert.equal(result.timedOut, true);
    assert.ok(Date.now() - started < 10_000);
  });
});
