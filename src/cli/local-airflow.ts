// A local Airflow serving its REST API, from an environment `npm run airflow:setup` made (.airflow/venv-<line>),
// for the demo's last step and the post-merge tests: Airflow 3's api-server with its dag-processor (the simple
// auth manager, a known user, JWTs), or Airflow 2's webserver (basic auth through the FAB provider) with its
// scheduler, which parses DAGs there. SQLite metadata, a DAGs folder written into as a deploy would, and short
// parse intervals. Nothing here is for production: it is a throwaway Airflow on loopback.
import { pythonFolders, spawnSandboxed } from '../sandbox/run.ts';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type AirflowLine = 2 | 3;
export const AIRFLOW_USER = 'dagwright';
/** The throwaway Airflow's own user: it only ever listens on loopback. */
export const AIRFLOW_PASSWORD = 'local-airflow-password-42';

/** The environment `npm run airflow:setup` makes for a line, in this checkout. */
export function airflowVenv(line: AirflowLine): string {
  return fileURLToPath(new URL(`../../.airflow/venv-${line}`, import.meta.url));
}

/** Whether that environment is there, set up (its migrated metadata database made). */
export function hasLocalAirflow(line: AirflowLine): boolean {
  return fs.existsSync(path.join(airflowVenv(line), 'bin', 'airflow')) && fs.existsSync(path.join(airflowVenv(line), 'airflow-home', 'airflow.db'));
}

/** A loopback port nothing listens on (the system picked it; it was closed again). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Airflow 2's metadata database with the user in it, made once per environment and user (creating a user is
 * slow); its name holds a digest of the user and password, so a changed password makes a new one.
 */
function airflow2Database(env: NodeJS.ProcessEnv): string {
  const digest = createHash('sha256').update(`${AIRFLOW_USER}:${AIRFLOW_PASSWORD}`).digest('hex').slice(0, 12);
  const prepared = path.join(airflowVenv(2), 'airflow-home', `with-user-${digest}.db`);
  if (fs.existsSync(prepared)) return prepared;
  const work = `${prepared}.${process.pid}`;
  fs.copyFileSync(path.join(airflowVenv(2), 'airflow-home', 'airflow.db'), work);
  const cli = (args: string[]) => {
    const result = spawnSync(path.join(airflowVenv(2), 'bin', 'airflow'), args, { env: { ...env, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${work}` }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`airflow ${args[0]} failed:\n${result.stderr.slice(-2000)}`);
  };
  cli(['users', 'create', '--username', AIRFLOW_USER, '--password', AIRFLOW_PASSWORD, '--role', 'Admin', '--email', 'dagwright@example.com', '--firstname', 'Dag', '--lastname', 'Wright']);
  cli(['sync-perm']);
  fs.renameSync(work, prepared);
  return prepared;
}

export class LocalAirflow {
  readonly line: AirflowLine;
  readonly url: string;
  readonly home: string;
  readonly dagsFolder: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly port: number;
  private api: ChildProcess | undefined;
  private parser: ChildProcess | undefined;
  private log: string[] = [];

  private constructor(line: AirflowLine, port: number, home: string, env: NodeJS.ProcessEnv) {
    this.line = line;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.home = home;
    this.dagsFolder = path.join(home, 'dags');
    this.env = env;
  }

  static async start(line: AirflowLine, options: { jwtSeconds?: number; port?: number } = {}): Promise<LocalAirflow> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `dagwright-airflow${line}-`));
    fs.mkdirSync(path.join(home, 'dags'));
    const port = options.port ?? (await freePort());
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      NO_PROXY: '*',
      PYTHONDONTWRITEBYTECODE: '1',
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__DAGS_FOLDER: path.join(home, 'dags'),
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__LOGGING__LOGGING_LEVEL: 'WARNING',
    };
    if (line === 3) {
      fs.copyFileSync(path.join(airflowVenv(3), 'airflow-home', 'airflow.db'), path.join(home, 'airflow.db'));
      fs.writeFileSync(path.join(home, 'passwords.json'), JSON.stringify({ [AIRFLOW_USER]: AIRFLOW_PASSWORD }));
      Object.assign(env, {
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${AIRFLOW_USER}:admin`,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: path.join(home, 'passwords.json'),
        AIRFLOW__API_AUTH__JWT_SECRET: randomBytes(24).toString('hex'),
        AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME: String(options.jwtSeconds ?? 86_400),
        AIRFLOW__API__PORT: String(port),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: '1',
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: '2',
      });
    } else {
      const prepared = airflow2Database(env);
      fs.copyFileSync(prepared, path.join(home, 'airflow.db'));
      Object.assign(env, {
        AIRFLOW__API__AUTH_BACKENDS: 'airflow.providers.fab.auth_manager.api.auth.backend.basic_auth',
        AIRFLOW__FAB__UPDATE_FAB_PERMS: 'False',
        AIRFLOW__WEBSERVER__SECRET_KEY: randomBytes(24).toString('hex'),
        AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL: '1',
        AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL: '2',
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT: String(await freePort()),
      });
    }
    const server = new LocalAirflow(line, port, home, env);
    await server.startProcesses();
    return server;
  }

  private async startProcesses(): Promise<void> {
    this.api = this.spawnAirflow(this.apiArguments());
    this.parser = this.spawnAirflow(this.line === 3 ? ['dag-processor'] : ['scheduler']);
    await this.apiAnswers();
  }

  // Airflow 2's webserver runs in its single-process mode (-d): gunicorn's workers are more than a test needs.
  private apiArguments(): string[] {
    return this.line === 3 ? ['api-server', '--host', '127.0.0.1', '--port', String(this.port)] : ['webserver', '--hostname', '127.0.0.1', '--port', String(this.port), '-d'];
  }

  // The DAG processor imports the DAGs deployed here (generated code): both servers run in the sandbox, with an
  // environment of their own and the network (the API listens on loopback).
  private spawnAirflow(args: string[]): ChildProcess {
    const python = path.join(airflowVenv(this.line), 'bin', 'python');
    const child = spawnSandboxed(
      {
        command: path.join(airflowVenv(this.line), 'bin', 'airflow'),
        args,
        readOnly: [...new Set([...pythonFolders(python), airflowVenv(this.line)])],
        writable: [this.home],
        env: Object.fromEntries(Object.entries({ ...this.env, PATH: '/usr/bin:/bin', HOME: this.home }).filter((e): e is [string, string] => typeof e[1] === 'string')),
        cwd: this.home,
        network: true,
      },
      { detached: true },
    );
    child.stdin.end();
    const keep = (chunk: Buffer) => {
      this.log.push(chunk.toString());
      if (this.log.length > 300) this.log.splice(0, this.log.length - 300);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  }

  private async apiAnswers(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/api/v${this.line === 3 ? 2 : 1}/version`, { signal: AbortSignal.timeout(2_000) })).ok) return;
      } catch {
        // not listening yet
      }
      if ([this.api, this.parser].some((p) => p?.exitCode !== null)) throw new Error(`Airflow ${this.line} stopped while starting:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`Airflow ${this.line}'s API did not answer within 120 s:\n${this.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** Writes a file into the DAGs folder, as the team's deploy would. */
  deploy(relativeFile: string, content: string): void {
    const file = path.join(this.dagsFolder, relativeFile);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, content);
    fs.renameSync(`${file}.tmp`, file);
  }

  /** Stops the API server only (the DAG parser goes on), as when Airflow's web tier goes away for a while. */
  async stopApi(): Promise<void> {
    if (this.api) await stopProcess(this.api);
  }

  async startApi(): Promise<void> {
    this.api = this.spawnAirflow(this.apiArguments());
    await this.apiAnswers();
  }

  logTail(lines = 60): string {
    return this.log.join('').split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([this.api, this.parser].filter((p): p is ChildProcess => !!p).map(stopProcess));
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** Stops a process and its children (Airflow's servers fork workers). */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}
