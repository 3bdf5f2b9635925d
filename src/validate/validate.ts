// Validation of generated (or existing) pipeline files, in one report: ruff's Airflow and pyflakes rules,
// a python3 `ast` check of each DAG's structure, removed Airflow context keys, cron and time zones, paths.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTimezone, scheduleProblem } from '../pipeline-spec/schema.ts';
import { importIntoDagBag } from './dagbag.ts';
import { ruffDiagnostics } from './ruff.ts';

export type Finding = { path: string; line: number; rule: string; message: string };
export type ValidationReport = { findings: Finding[]; skipped: string[]; files: number };
export type SourceFile = { path: string; content: string };

/** Ruff's findings for Python files, and a `# noqa` anywhere (it would hide a finding). */
export async function lintPython(files: SourceFile[], airflowVersion: 2 | 3): Promise<Finding[]> {
  const python = files.filter((f) => f.path.endsWith('.py'));
  const diagnostics = await ruffDiagnostics(airflowVersion, python.map((f) => f.content));
  return python.flatMap((file, i) => {
    const findings: Finding[] = diagnostics[i]!.map((d) => ({ path: file.path, line: d.row, rule: d.code ?? 'syntax', message: d.message }));
    file.content.split('\n').forEach((line, n) => {
      if (/#\s*noqa\b/i.test(line)) findings.push({ path: file.path, line: n + 1, rule: 'DW010', message: '`# noqa` is not allowed in generated code' });
    });
    return findings;
  });
}

/** Context keys Airflow 3 removed; templates use data_interval_start/end instead. */
export const REMOVED_CONTEXT_KEYS = [
  'execution_date', 'next_execution_date', 'prev_execution_date', 'prev_execution_date_success', 'next_ds',
  'next_ds_nodash', 'prev_ds', 'prev_ds_nodash', 'tomorrow_ds', 'tomorrow_ds_nodash', 'yesterday_ds',
  'yesterday_ds_nodash', 'conf', 'dag_run.execution_date',
];

export function removedContextKeys(file: SourceFile): Finding[] {
  const findings: Finding[] = [];
  const key = new RegExp(`\\b(${REMOVED_CONTEXT_KEYS.map((k) => k.replace('.', '\\.')).join('|')})\\b`);
  file.content.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/\{\{(.*?)\}\}|context\[\s*["']([\w.]+)["']\s*\]|["']([\w.]+)["']/g)) {
      const inside = m[1] ?? m[2] ?? (file.path.endsWith('.py') ? m[3] : undefined);
      const found = inside?.match(key)?.[1];
      if (found && (m[1] !== undefined || m[2] !== undefined || inside === found)) {
        findings.push({ path: file.path, line: i + 1, rule: 'DW011', message: `\`${found}\` is not in Airflow 3's context: use data_interval_start / data_interval_end` });
      }
    }
  });
  return findings;
}

const checkerScript = fileURLToPath(new URL('./dag_check.py', import.meta.url));

const interpreters = new Map<string, Promise<string | undefined>>();

/**
 * The python3 executable itself, found once: version-manager shims on PATH (pyenv, asdf) cost a couple of
 * hundred milliseconds per start.
 */
function python(): Promise<string | undefined> {
  const command = process.env.DAGWRIGHT_PYTHON ?? 'python3';
  let interpreter = interpreters.get(command);
  if (interpreter) return interpreter;
  interpreter = new Promise((resolve) => {
    const child = spawn(command, ['-c', 'import sys; print(sys.executable)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.on('error', () => resolve(undefined));
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve(code === 0 && out.trim() ? out.trim() : undefined));
  });
  interpreters.set(command, interpreter);
  return interpreter;
}

/** The python3 structure check, one process for all files; undefined when python3 is not there. */
export function checkDagStructure(files: SourceFile[]): Promise<{ findings: Finding[]; facts: { schedules: Array<{ path: string; line: number; value: string; timetable: string | null }>; timezones: Array<{ path: string; line: number; value: string }> } } | undefined> {
  return python().then((executable) => (executable ? runChecker(executable, files) : undefined));
}

function runChecker(executable: string, files: SourceFile[]): Promise<{ findings: Finding[]; facts: { schedules: Array<{ path: string; line: number; value: string; timetable: string | null }>; timezones: Array<{ path: string; line: number; value: string }> } }> {
  return new Promise((resolve, reject) => {
    // -I -S: isolated from the environment and site packages; the checker needs the standard library only.
    const child = spawn(executable, ['-I', '-S', checkerScript], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.on('error', reject);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the DAG structure check failed: ${err.trim()}`));
      resolve(JSON.parse(out));
    });
    child.stdin.end(JSON.stringify({ files: files.filter((f) => f.path.endsWith('.py')) }));
  });
}

/** Whether a DAG file, or the SQL beside it (sql/<dag_id>/), is scoped by the run's data interval. */
function usesDataInterval(dagPath: string, files: SourceFile[]): boolean {
  const dir = path.posix.dirname(dagPath);
  const sqlDir = `${dir}/sql/${path.posix.basename(dagPath, '.py')}/`;
  return files.some((f) => (f.path === dagPath || f.path.startsWith(sqlDir)) && /data_interval_(start|end)/.test(f.content));
}

export function pathFindings(files: SourceFile[], roots: string[]): Finding[] {
  return files
    .filter((f) => {
      const normal = path.posix.normalize(f.path);
      return normal.startsWith('../') || path.posix.isAbsolute(normal) || !roots.some((root) => normal.startsWith(`${root.replace(/\/+$/, '')}/`));
    })
    .map((f) => ({ path: f.path, line: 1, rule: 'DW012', message: `writes outside ${roots.join(' and ')}` }));
}

export type ValidationOptions = {
  airflowVersion: 2 | 3;
  roots?: string[];
  /** Also import the DAGs under `dagsRoot` into a DagBag of the Airflow whose python this is (AIRFLOW_PYTHON). */
  dagBag?: { python: string; dagsRoot: string };
};

export async function validateFiles(files: SourceFile[], options: ValidationOptions): Promise<ValidationReport> {
  const skipped: string[] = [];
  // Ruff (in its own process), the python3 check and the team's Airflow run at the same time.
  const imported = options.dagBag
    ? importIntoDagBag(files, options.dagBag.dagsRoot, options.dagBag.python).then(
        (r) => r.findings,
        (err: Error): Finding[] => [{ path: options.dagBag!.dagsRoot, line: 1, rule: 'DW017', message: err.message }],
      )
    : Promise.resolve([]);
  const [lint, structure, dagBag] = await Promise.all([lintPython(files, options.airflowVersion), checkDagStructure(files), imported]);
  const findings: Finding[] = [...lint, ...dagBag];
  // Airflow 2 still has these context keys (deprecated there): only a DAG for Airflow 3 may not use them.
  if (options.airflowVersion === 3) {
    for (const file of files) {
      if (file.path.endsWith('.py') || file.path.endsWith('.sql')) findings.push(...removedContextKeys(file));
    }
  }
  if (!structure) {
    skipped.push('DAG structure (python3 is not installed): one DAG per file, dag_id, task ids, cycles, schedule, owner, parse-time metadata access, data checks');
  } else {
    // A metadata read at parse time is ours to report (DW006 names every such call); ruff's AIR003 on the
    // same line would say it twice.
    const parseTimeReads = new Set(structure.findings.filter((f) => f.rule === 'DW006').map((f) => `${f.path}:${f.line}`));
    for (let i = findings.length - 1; i >= 0; i--) {
      if (findings[i]!.rule === 'AIR003' && parseTimeReads.has(`${findings[i]!.path}:${findings[i]!.line}`)) findings.splice(i, 1);
    }
    findings.push(...structure.findings);
    for (const s of structure.facts.schedules) {
      const problem = scheduleProblem(s.value);
      if (problem) findings.push({ path: s.path, line: s.line, rule: 'DW013', message: `schedule ${JSON.stringify(s.value)} is not a valid 5-field cron or preset` });
      if (options.airflowVersion === 3 && s.timetable === null && usesDataInterval(s.path, files)) {
        findings.push({
          path: s.path,
          line: s.line,
          rule: 'DW015',
          message: 'on Airflow 3 a cron string gives every run a zero-width data interval, but this DAG loads by data interval: use CronDataIntervalTimetable',
        });
      }
    }
    for (const t of structure.facts.timezones) {
      if (!isTimezone(t.value)) findings.push({ path: t.path, line: t.line, rule: 'DW014', message: `${JSON.stringify(t.value)} is not an IANA time zone` });
    }
  }
  if (options.roots) findings.push(...pathFindings(files, options.roots));
  findings.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.rule.localeCompare(b.rule));
  return { findings, skipped, files: files.length };
}

export function reportText(report: ValidationReport): string {
  const lines = report.findings.map((f) => `${f.path}:${f.line}: ${f.rule} ${f.message}`);
  lines.push(report.findings.length ? `${report.findings.length} finding(s) in ${report.files} file(s)` : `${report.files} file(s) checked: no findings`);
  for (const s of report.skipped) lines.push(`not checked: ${s}`);
  return lines.join('\n');
}

export function reportMarkdown(report: ValidationReport): string {
  if (!report.findings.length) {
    return [`✅ Validation: ${report.files} files, no findings.`, ...report.skipped.map((s) => `- not checked: ${s}`)].join('\n');
  }
  return [
    `❌ Validation: ${report.findings.length} finding(s)`,
    '',
    '| file | line | rule | message |',
    '|---|---|---|---|',
    ...report.findings.map((f) => `| \`${f.path}\` | ${f.line} | ${f.rule} | ${f.message.replace(/\|/g, '\\|')} |`),
    ...report.skipped.map((s) => `- not checked: ${s}`),
  ].join('\n');
}
