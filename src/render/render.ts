// Renders a pipeline from a complete spec with a template pack: the DAG, its SQL, its doc, and the
// repository's DAG integrity test. Deterministic: the same spec renders byte-identical files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cronstrue from 'cronstrue';
import { Eta } from 'eta';
import type { RepoConfig } from '../bot/repo-config.ts';
import type { PipelineSpec } from '../spec/schema.ts';
import { mermaidGraph, planPipeline, RenderError, type Plan } from './plan.ts';

export { RenderError } from './plan.ts';

export const BUILTIN_PACKS_DIR = fileURLToPath(new URL('./packs', import.meta.url));
const COMMON_DIR = fileURLToPath(new URL('./common', import.meta.url));
export const INTEGRITY_TEST_PATH = 'tests/dags/test_dag_integrity.py';

export type RenderedFile = { path: string; content: string };
export type RenderResult = { files: RenderedFile[]; plan: Plan; graph: string };

const eta = new Eta({ autoEscape: false, autoTrim: false, useWith: false, cache: false });

/** Finds a pack's template: a repository's own packs first (`.dagwright/packs/<name>/`), then the built-in ones. */
function templateReader(pack: string, repoPacksDir: string | undefined): (name: string) => string | undefined {
  const dirs = [repoPacksDir && path.join(repoPacksDir, pack), path.join(BUILTIN_PACKS_DIR, pack)].filter((d): d is string => !!d);
  if (!dirs.some((d) => fs.existsSync(d))) throw new RenderError(pack, 'pack', `there is no template pack "${pack}"`);
  return (name) => {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
    }
    return undefined;
  };
}

const connectionTypes: Record<string, string> = {
  postgres: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  mssql: 'mssql',
  oracle: 'oracle',
  clickhouse: 'clickhouse',
  sqlite: 'sqlite',
  s3: 'aws',
};

export function describeSchedule(plan: Plan): string {
  if (plan.schedule.kind === 'manual') return 'manual: only when triggered';
  const words = cronstrue.toString(plan.schedule.cron, { use24HourTimeFormat: true, verbose: false });
  return `${words} (${plan.spec.timezone}), \`${plan.schedule.written}\``;
}

export function renderPipeline(spec: PipelineSpec, config: RepoConfig, options: { today: string; repoPacksDir?: string } ): RenderResult {
  const packName = spec.pack ?? config.pack;
  const read = templateReader(packName, options.repoPacksDir);
  const plan = planPipeline(spec, config, { today: options.today, pack: packName });
  const graph = mermaidGraph(plan.tasks);
  const loadTable = plan.tasks.some((t) => t.kind === 'merge') ? plan.target.stage : plan.target.table;
  const data: Record<string, unknown> = {
    plan,
    graph,
    loadTable,
    scheduleWords: describeSchedule(plan),
    connections: [...new Map([
      [plan.spec.source.conn_id!, connectionTypes[plan.spec.source.type!] ?? plan.spec.source.type!],
      [plan.target.conn_id, '<type>'],
    ])],
    dagsRoot: config.dags_root,
    // Helpers for templates (kept out of them: quotes inside template code confuse the template parser).
    py: (value: unknown) => JSON.stringify(value),
    pyList: (values: unknown[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`,
    docstring: (text: string) => text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"'),
    duration: (d: string) => `pendulum.duration(${({ s: 'seconds', m: 'minutes', h: 'hours', d: 'days' } as Record<string, string>)[d.slice(-1)]}=${Number(d.slice(0, -1))})`,
  };
  const render = (name: string, extra: Record<string, unknown> = {}): string => {
    const template = read(name);
    if (template === undefined) throw new RenderError(packName, 'pack', `the pack has no template ${name}`);
    return eta.renderString(template, { ...data, ...extra }).replace(/\n{4,}/g, '\n\n\n').replace(/\s+$/, '\n');
  };

  const files: RenderedFile[] = [{ path: plan.dagFile, content: render('dag.py.eta') }];
  if (plan.tasks.some((t) => t.kind === 'ddl')) files.push({ path: `${plan.sqlDir}/ddl.sql`, content: render('ddl.sql.eta') });
  if (plan.sourceIsDatabase && !plan.sameConnection) {
    files.push({ path: `${plan.sqlDir}/extract.sql`, content: render('extract.sql.eta') });
    files.push({ path: `${plan.sqlDir}/prepare.sql`, content: render('prepare.sql.eta') });
  } else if (plan.sourceIsDatabase) {
    files.push({ path: `${plan.sqlDir}/load.sql`, content: render('load.sql.eta', { prepareSql: render('prepare.sql.eta') }) });
  }
  if (plan.tasks.some((t) => t.kind === 'merge')) files.push({ path: `${plan.sqlDir}/merge.sql`, content: render('merge.sql.eta') });
  for (const check of plan.checks.custom) files.push({ path: `${plan.sqlDir}/${check.id}.sql`, content: render('check.sql.eta', { check }) });
  files.push({ path: plan.docFile, content: render('doc.md.eta') });
  const integrity = fs.readFileSync(path.join(COMMON_DIR, 'test_dag_integrity.py.eta'), 'utf8');
  files.push({ path: INTEGRITY_TEST_PATH, content: eta.renderString(integrity, data) });
  return { files, plan, graph };
}
