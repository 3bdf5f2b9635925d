// A real forward proxy on loopback (Debian's tinyproxy) that logs every request it carries: what a company
// network puts between the bot and GitLab.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/cli/local-airflow.ts';
import { tempDir, waitFor } from './harness.ts';

export function hasTinyproxy(): boolean {
  return spawnSync('tinyproxy', ['-v'], { stdio: 'ignore' }).status === 0;
}

export type ForwardProxy = {
  url: string;
  /** The request lines the proxy carried (`GET http://host:port/path HTTP/1.1`, `CONNECT host:port HTTP/1.1`), in order. */
  carried(): string[];
  close(): Promise<void>;
};

export async function startForwardProxy(): Promise<ForwardProxy> {
  const dir = tempDir('dagwright-proxy-');
  const port = await freePort();
  const logFile = path.join(dir, 'tinyproxy.log');
  // No ConnectPort line: CONNECT is allowed to every port (the stand-in's are random).
  fs.writeFileSync(
    path.join(dir, 'tinyproxy.conf'),
    [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 60', 'LogLevel Connect', `LogFile "${logFile}"`, 'MaxClients 100', 'Allow 127.0.0.1', 'DisableViaHeader Yes', ''].join('\n'),
  );
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const carried = () =>
    (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '')
      .split('\n')
      .map((line) => line.match(/Request \(file descriptor \d+\): (.+)$/)?.[1])
      .filter((line): line is string => !!line);
  await waitFor(async () => fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false), { what: 'tinyproxy to listen', timeoutMs: 10_000 });
  return {
    url: `http://127.0.0.1:${port}`,
    carried,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
