// The real-Spark tier: PySpark (the pack's image's version) from .spark/venv, started once per test file with
// spark-submit --master local[2], an embedded metastore and a lake in a temporary folder; the JDBC drivers
// from Debian's packages on the driver's class path, as the image carries them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, tempDir } from './harness.ts';

export const sparkVenv = path.join(repoRoot, '.spark', 'venv');
const JDBC_JARS = ['/usr/share/java/postgresql.jar', '/usr/share/java/mariadb-java-client.jar'];
const ANSWER = '@@spark-runner@@ ';

export function sparkMissing(): string | undefined {
  if (!fs.existsSync(path.join(sparkVenv, 'bin', 'spark-submit'))) return 'the PySpark environment is missing (.spark/venv): run `npm run spark:setup`';
  const jar = JDBC_JARS.find((j) => !fs.existsSync(j));
  if (jar) return `the JDBC driver ${jar} is missing: run \`npm run spark:setup\``;
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    return 'java is not installed: run `npm run spark:setup`';
  }
  return undefined;
}

/** The skip option for node:test: the reason when the tier cannot run here, and in CI a thrown error. */
export function skipUnlessSpark(): string | false {
  const missing = sparkMissing();
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires the real-Spark tier: ${missing}`);
  console.log(`# skipped: ${missing}`);
  return missing;
}

type Answer = Record<string, unknown>;

export class SparkRunner {
  readonly lake: string;
  private readonly child: ChildProcess;
  private readonly answers: Answer[] = [];
  private readonly waiting: Array<(answer: Answer) => void> = [];
  private readonly log: string[] = [];
  private readonly dir: string;
  private readonly commands: WriteStream;

  private constructor(child: ChildProcess, dir: string, commands: WriteStream) {
    this.child = child;
    this.dir = dir;
    this.commands = commands;
    this.lake = path.join(dir, 'lake');
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith(ANSWER)) return void this.log.push(line);
      const answer = JSON.parse(line.slice(ANSWER.length)) as Answer;
      const next = this.waiting.shift();
      if (next) next(answer);
      else this.answers.push(answer);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.log.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    });
  }

  /** Spark's output so far (its log and what the jobs printed), for a failure's message. */
  output(lines = 40): string {
    return this.log.slice(-lines).join('\n');
  }

  static async start(): Promise<SparkRunner> {
    const dir = tempDir('dagwright-spark-');
    const python = path.join(sparkVenv, 'bin', 'python');
    const sparkHome = execFileSync(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8' }).trim();
    const classPath = JDBC_JARS.join(':');
    // Commands go through a named pipe: spark-submit does not hand its standard input to the Python driver.
    const fifo = path.join(dir, 'commands');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(
      path.join(sparkVenv, 'bin', 'spark-submit'),
      [
        '--master', 'local[2]',
        '--driver-class-path', classPath,
        '--conf', `spark.sql.warehouse.dir=${path.join(dir, 'warehouse')}`,
        '--conf', 'spark.ui.enabled=false',
        '--conf', 'spark.sql.shuffle.partitions=2',
        '--conf', 'spark.sql.session.timeZone=UTC',
        '--driver-java-options', `-Dderby.system.home=${path.join(dir, 'metastore')}`,
        path.join(repoRoot, 'test', 'support', 'spark_runner.py'),
      ],
      {
        cwd: dir,
        env: { ...process.env, SPARK_HOME: sparkHome, PYSPARK_PYTHON: python, PATH: `${path.join(sparkVenv, 'bin')}:${process.env.PATH}`, SPARK_RUNNER_COMMANDS: fifo },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const runner = new SparkRunner(child, dir, fs.createWriteStream(fifo));
    const ready = await runner.next(180_000);
    if (!ready.ready) throw new Error(`Spark did not start: ${runner.output()}`);
    return runner;
  }

  private next(timeoutMs = 300_000): Promise<Answer> {
    const ready = this.answers.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Spark gave no answer in ${timeoutMs} ms:\n${this.output()}`)), timeoutMs);
      const exited = () => reject(new Error(`Spark exited:\n${this.output()}`));
      this.child.once('exit', exited);
      this.waiting.push((answer) => {
        clearTimeout(timer);
        this.child.off('exit', exited);
        resolve(answer);
      });
    });
  }

  private async ask(command: Record<string, unknown>): Promise<Answer> {
    this.commands.write(`${JSON.stringify(command)}\n`);
    const answer = await this.next();
    if (typeof answer.error === 'string' && command.op !== 'run') throw new Error(`Spark: ${answer.error}`);
    return answer;
  }

  /** Runs statements of a `spark-sql -f` file (split on `;` at line ends). */
  async sqlFile(text: string): Promise<void> {
    const statements = text
      .split(/;\s*$/m)
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean);
    await this.ask({ op: 'sql', statements });
  }

  async sql(...statements: string[]): Promise<void> {
    await this.ask({ op: 'sql', statements });
  }

  /** A job as spark-submit runs it: its arguments and environment; its exit code and error. */
  async run(script: string, args: string[], env: Record<string, string>): Promise<{ exit: number; error: string | null }> {
    return (await this.ask({ op: 'run', script, args, env })) as { exit: number; error: string | null };
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return (await this.ask({ op: 'rows', sql })).rows as T[];
  }

  async close(): Promise<void> {
    this.commands.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, 20_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
