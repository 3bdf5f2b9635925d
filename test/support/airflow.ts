// A real Airflow for the tests: the environments `npm run airflow:setup` makes (.airflow/venv-<line>), and a
// runner process per test file that imports Airflow once and runs DAGs as `airflow dags test` does, on a
// metadata database of its own (a copy of the migrated one the setup keeps).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { airflowVenv, type AirflowLine } from '../../src/cli/local-airflow.ts';
import { pythonFolders, spawnSandboxed } from '../../src/sandbox/run.ts';
import { repoRoot } from './harness.ts';

export { airflowVenv, type AirflowLine };

/** Why the tier cannot run for this line (undefined when it can). In CI a missing environment is a failure. */
export function airflowMissing(line: AirflowLine): string | undefined {
  const venv = airflowVenv(line);
  if (!fs.existsSync(path.join(venv, 'bin', 'python'))) return `the Airflow ${line} environment is missing (${path.relative(repoRoot, venv)}): run \`npm run airflow:setup\``;
  if (!fs.existsSync(path.join(venv, 'airflow-home', 'airflow.db'))) return `the Airflow ${line} environment has no migrated metadata database: run \`npm run airflow:setup\``;
  return undefined;
}

/** The skip option for node:test: the reason when the environment is missing, and in CI a thrown error instead. */
export function skipUnlessAirflow(line: AirflowLine): string | false {
  const missing = airflowMissing(line);
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires the execution tier: ${missing}`);
  console.log(`# skipped: ${missing}`);
  return missing;
}

export type RunAnswer = { state: string; tasks: Record<string, string>; interval: [string, string]; import_errors?: Record<string, string>; error?: string; trace?: string };
export type ImportAnswer = { import_errors: Record<string, string>; dags: Record<string, Record<string, string[]>>; error?: string };

export class AirflowRunner {
  readonly line: AirflowLine;
  readonly home: string;
  readonly dagsFolder: string;
  private child: ChildProcessWithoutNullStreams;
  private answers: Array<(answer: Record<string, unknown>) => void> = [];
  private log: string[] = [];
  private ready: Promise<void>;

  private constructor(line: AirflowLine, connections: Record<string, string>) {
    this.line = line;
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), `dagwright-airflow${line}-`));
    this.dagsFolder = path.join(this.home, 'dags');
    fs.mkdirSync(this.dagsFolder);
    fs.copyFileSync(path.join(airflowVenv(line), 'airflow-home', 'airflow.db'), path.join(this.home, 'airflow.db'));
    const env: Record<string, string> = {
      PATH: '/usr/bin:/bin',
      HOME: this.home,
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      AIRFLOW_HOME: this.home,
      AIRFLOW__CORE__DAGS_FOLDER: this.dagsFolder,
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
      AIRFLOW__LOGGING__LOGGING_LEVEL: 'INFO',
      NO_PROXY: '*',
      // Importing the golden renders must not leave __pycache__ folders in the repository's fixtures.
      PYTHONDONTWRITEBYTECODE: '1',
    };
    for (const [connId, uri] of Object.entries(connections)) env[`AIRFLOW_CONN_${connId.toUpperCase()}`] = uri;
    // Generated DAGs run in the sandbox, as everything that imports generated code does: an environment of their
    // own, their own user and PID namespace; the network, for the test databases and S3 server on loopback.
    const python = path.join(airflowVenv(line), 'bin', 'python');
    this.child = spawnSandboxed({
      command: python,
      args: [path.join(repoRoot, 'test/support/airflow_runner.py')],
      readOnly: [...pythonFolders(python), repoRoot],
      writable: [os.tmpdir()],
      env,
      cwd: this.home,
      network: true,
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.log.push(chunk);
      if (this.log.length > 400) this.log.splice(0, this.log.length - 400);
    });
    const lines = readline.createInterface({ input: this.child.stdout });
    let resolveReady: () => void;
    let rejectReady: (err: Error) => void;
    this.ready = new Promise((resolve, reject) => ((resolveReady = resolve), (rejectReady = reject)));
    lines.on('line', (line) => {
      const answer = JSON.parse(line) as Record<string, unknown>;
      if (answer.ready) return resolveReady();
      this.answers.shift()?.(answer);
    });
    this.child.on('exit', (code) => {
      const tail = this.logTail();
      rejectReady(new Error(`the Airflow ${line} runner exited (${code}) before it was ready:\n${tail}`));
      for (const answer of this.answers.splice(0)) answer({ error: `the Airflow runner exited (${code}):\n${tail}` });
    });
  }

  static async start(line: AirflowLine, connections: Record<string, string>): Promise<AirflowRunner> {
    const runner = new AirflowRunner(line, connections);
    await runner.ready;
    return runner;
  }

  private request<T>(request: Record<string, unknown>): Promise<T> {
    this.log = [];
    return new Promise((resolve) => {
      this.answers.push(resolve as (answer: Record<string, unknown>) => void);
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Runs the DAG for the data interval that ends at `runAfter`, as `airflow dags test` does. */
  async run(dagFile: string, dagId: string, runAfter: string): Promise<RunAnswer> {
    const answer = await this.request<RunAnswer>({ op: 'run', dag_file: dagFile, dag_id: dagId, run_after: runAfter });
    if (answer.error) throw new Error(`Airflow ${this.line} could not run ${dagId}: ${answer.error}\n${answer.trace ?? ''}\n${this.logTail()}`);
    if (answer.import_errors) throw new Error(`Airflow ${this.line} could not import ${dagId}:\n${Object.values(answer.import_errors).join('\n')}`);
    return answer;
  }

  /** Imports a folder into a DagBag: the import errors, and each DAG's tasks with their upstream tasks. */
  async importFolder(folder: string): Promise<ImportAnswer> {
    const answer = await this.request<ImportAnswer>({ op: 'import', folder });
    if (answer.error) throw new Error(`Airflow ${this.line} could not fill a DagBag from ${folder}: ${answer.error}`);
    return answer;
  }

  /** Writes a file into the tests' S3 server: text as given, or parquet from typed columns and rows. */
  async putObject(object: { endpoint: string; bucket: string; key: string } & ({ text: string } | { parquet: { columns: Array<{ name: string; type: 'int32' | 'string' | 'decimal' | 'timestamp' }>; rows: Array<Record<string, unknown>> } })): Promise<void> {
    const answer = await this.request<{ error?: string; trace?: string }>({ op: 'put_object', ...object });
    if (answer.error) throw new Error(`could not write s3://${object.bucket}/${object.key}: ${answer.error}\n${answer.trace ?? ''}`);
  }

  /** What Airflow logged for the last request (task logs included), cut to the lines that say what failed. */
  logTail(lines = 60): string {
    const all = this.log.join('').split('\n');
    const failures = all.filter((l) => /error|fail|exception|traceback/i.test(l));
    return (failures.length ? failures : all).slice(-lines).join('\n');
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve(undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => (clearTimeout(timer), resolve(undefined)));
    });
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}
