// The DAGs imported by the team's own Airflow (AIRFLOW_PYTHON, the python of a virtualenv with Airflow and
// its providers): what Airflow's DAG processor would say of the files, as findings. A sandboxed child with a
// timeout, a throwaway AIRFLOW_HOME and SQLite file, no network and none of the bot's environment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonFolders, runSandboxed, SandboxUnavailable } from '../sandbox/run.ts';
import type { Finding, SourceFile } from './validate.ts';

const importScript = fileURLToPath(new URL('./dagbag_import.py', import.meta.url));
export const DAGBAG_TIMEOUT_MS = 120_000;

type ImportAnswer = { airflow: string; import_errors: Record<string, string>; dags: Record<string, string> };

/** The line of `file` an import error points at (its last frame in that file), else 1. */
function lineOf(trace: string, file: string): number {
  const frames = [...trace.matchAll(/File "([^"]+)", line (\d+)/g)].filter((m) => m[1]!.endsWith(file));
  return frames.length ? Number(frames.at(-1)![2]) : 1;
}

/** The error in a line or two: the exception's last line, which names what failed. */
function summary(trace: string): string {
  const lines = trace.trim().split('\n').filter((l) => l.trim());
  return lines.at(-1)!.trim().slice(0, 500);
}

/**
 * Imports the DAG files of `files` (under `dagsRoot`) into a DagBag of the Airflow at `python`. Every import
 * error is a DW016 finding at the file and line Airflow names; an environment that cannot run is an error.
 */
export async function importIntoDagBag(files: SourceFile[], dagsRoot: string, python: string, timeoutMs = DAGBAG_TIMEOUT_MS): Promise<{ airflow: string; findings: Finding[] }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-dagbag-'));
  try {
    const folder = path.join(home, 'dags');
    const root = dagsRoot.replace(/\/+$/, '');
    for (const file of files) {
      if (!file.path.startsWith(`${root}/`)) continue;
      const target = path.join(folder, file.path.slice(root.length + 1));
      if (!target.startsWith(folder + path.sep)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.content);
    }
    fs.mkdirSync(folder, { recursive: true });
    const answer = await run(python, folder, home, timeoutMs);
    const findings = Object.entries(answer.import_errors).map(([file, trace]) => {
      const repoPath = `${root}/${file}`;
      return { path: repoPath, line: lineOf(trace, file), rule: 'DW016', message: `Airflow ${answer.airflow} cannot import it: ${summary(trace)}` };
    });
    return { airflow: answer.airflow, findings };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function run(python: string, folder: string, home: string, timeoutMs: number): Promise<ImportAnswer> {
  // The import runs code that others' words shaped: in the sandbox, with nothing of the bot's environment.
  const result = await runSandboxed({
    command: python,
    args: [importScript, folder],
    readOnly: [...pythonFolders(python), importScript],
    writable: [home],
    env: {
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: home,
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__CORE__DAGS_FOLDER: folder,
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'unused.db')}`,
      AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT: String(Math.max(1, Math.floor(timeoutMs / 2000))),
    },
    cwd: home,
    timeoutMs,
  }).catch((err: Error) => Promise.reject(err instanceof SandboxUnavailable ? new Error(`the DAGs were not imported into the Airflow at AIRFLOW_PYTHON: ${err.message}`) : err));
  if (result.timedOut) throw new Error(`the DAGs did not import within ${Math.round(timeoutMs / 1000)} s in the Airflow at AIRFLOW_PYTHON`);
  if (result.code !== 0) throw new Error(`the Airflow at AIRFLOW_PYTHON could not import the DAGs (exit ${result.code ?? result.signal}): ${summary(result.stderr || 'no output')}`);
  try {
    return JSON.parse(result.stdout) as ImportAnswer;
  } catch {
    throw new Error(`the Airflow at AIRFLOW_PYTHON answered something other than the import report: ${summary(result.stderr || result.stdout || 'nothing')}`);
  }
}
