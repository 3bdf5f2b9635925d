// Renders a pipeline from a complete spec with a template pack: the DAG, its SQL, its doc, and the
// repository's DAG integrity test. Deterministic: the same spec renders byte-identical files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cronstrue from 'cronstrue';
import { Eta } from 'eta';
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../pipeline-spec/schema.ts';
import { mermaidGraph, planPipeline, RenderError, type Plan } from './plan.ts';
import { jinjaString, pythonDocstring, pythonLiteral, sparkSqlString } from './encode.ts';
import { sparkType } from './spark-types.ts';

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
  if (!dirs.some((d) => fs.existsSync(d))) throw new RenderError(pack, 'pack', 'noPack', { pack });
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

/** Rows a transfer reads and writes at a time. */
const TRANSFER_PAGE_SIZE = 10_000;

/**
 * The target columns a load writes, in the order the extract returns them (with the run's marker column
 * where the strategy adds one), and what orders the extract for reading it in pages.
 */
function loadColumns(plan: Plan, staged: boolean): { columns: string[] | undefined; order: string | undefined } {
  if (!plan.loadedColumns) return { columns: undefined, order: undefined };
  const q = plan.dialect.quote;
  const strategy = plan.spec.load.strategy;
  const marker = staged ? [] : strategy === 'snapshot' ? ['load_date'] : strategy === 'append' && !plan.spec.load.watermark ? ['loaded_for'] : [];
  const columns = [...plan.loadedColumns.map(q), ...marker];
  const order = plan.keys.length ? plan.keys.map(plan.sourceDialect.quote).join(', ') : columns.map((_, i) => String(i + 1)).join(', ');
  return { columns, order };
}

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
  const staged = plan.tasks.some((t) => t.kind === 'merge');
  const loadTable = staged ? plan.target.stage : plan.target.table;
  const load = loadColumns(plan, staged);
  const data: Record<string, unknown> = {
    plan,
    graph,
    loadTable,
    loadTableSql: staged ? plan.target.stageSql : plan.target.tableSql,
    insertColumns: load.columns ? ` (${load.columns.join(', ')})` : '',
    transferColumns: load.columns,
    pageOrder: load.order,
    pageSize: TRANSFER_PAGE_SIZE,
    scheduleWords: describeSchedule(plan),
    connections: [...new Map([
      [plan.spec.source.conn_id!, connectionTypes[plan.spec.source.type!] ?? plan.spec.source.type!],
      [plan.target.conn_id, connectionTypes[plan.target.type] ?? plan.target.type],
    ])],
    dagsRoot: config.dags_root,
    // Helpers for templates (kept out of them: quotes inside template code confuse the template parser).
    // Every value reaches generated code through an encoder of its language (./encode.ts).
    py: pythonLiteral,
    pyList: (values: unknown[]) => pythonLiteral(values),
    docstring: pythonDocstring,
    sparkType: (type: string) => sparkType(type, plan.spec.source.type),
    sparkSqlString,
    pythonLiteral,
    conn: (connId: string, field: string) => connectionField(connId, field),
    jobsDir: `${path.posix.relative(config.dags_root, plan.folder) || '.'}/jobs`,
    jdbcUrl: jdbcUrl(plan.spec.source.type!, plan.spec.source.conn_id!),
    duration: (d: string) => `pendulum.duration(${({ s: 'seconds', m: 'minutes', h: 'hours', d: 'days' } as Record<string, string>)[d.slice(-1)]}=${Number(d.slice(0, -1))})`,
  };
  const render = (name: string, extra: Record<string, unknown> = {}): string => {
    const template = read(name);
    if (template === undefined) throw new RenderError(packName, 'pack', 'noTemplate', { template: name });
    return eta.renderString(template, { ...data, ...extra }).replace(/\n{4,}/g, '\n\n\n').replace(/\s+$/, '\n');
  };

  // Parts every pack's DAG shares: the DAG's arguments and the imports they need.
  const common = (name: string) => eta.renderString(fs.readFileSync(path.join(COMMON_DIR, name), 'utf8'), data);
  data.dagArguments = common('dag-arguments.py.eta');
  data.optionalImports = common('optional-imports.py.eta');
  const files: RenderedFile[] = [{ path: plan.dagFile, content: render('dag.py.eta') }];
  if (read('load.py.eta') !== undefined) {
    // A Spark pack: the jobs beside the DAG, in jobs/<dag_id>/.
    const jobs = `${plan.folder}/jobs/${plan.spec.dag_id}`;
    files.push({ path: `${jobs}/ddl.sql`, content: render('ddl.sql.eta') });
    files.push({ path: `${jobs}/load.py`, content: render('load.py.eta') });
    files.push({ path: `${jobs}/quality.py`, content: render('quality.py.eta') });
    files.push({ path: `${plan.folder}/jobs/.airflowignore`, content: fs.readFileSync(path.join(COMMON_DIR, 'jobs-airflowignore.eta'), 'utf8') });
    files.push({ path: plan.docFile, content: render('doc.md.eta') });
    files.push(integrityTest(data));
    return { files, plan, graph };
  }
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
  files.push(integrityTest(data));
  return { files, plan, graph };
}

/** The repository's DAG-integrity test (written once; every generation writes the same file). */
export function renderIntegrityTest(dagsRoot: string): RenderedFile {
  return integrityTest({ dagsRoot });
}

function integrityTest(data: Record<string, unknown>): RenderedFile {
  const template = fs.readFileSync(path.join(COMMON_DIR, 'test_dag_integrity.py.eta'), 'utf8');
  return { path: INTEGRITY_TEST_PATH, content: eta.renderString(template, data) };
}

/** A field of an Airflow connection, rendered by Jinja when the task runs (`conn.get`: an id may hold `-` or `.`). */
export function connectionField(connId: string, field: string): string {
  return `{{ conn.get(${jinjaString(connId)}).${field} }}`;
}

/** A JDBC URL rendered from the Airflow connection when the task runs. */
function jdbcUrl(type: string, connId: string): string {
  const c = (field: string) => connectionField(connId, field);
  switch (type) {
    case 'mssql':
      return `jdbc:sqlserver://${c('host')}:${c('port')};databaseName=${c('schema')}`;
    case 'oracle':
      return `jdbc:oracle:thin:@//${c('host')}:${c('port')}/${c('schema')}`;
    case 'postgres':
      return `jdbc:postgresql://${c('host')}:${c('port')}/${c('schema')}`;
    // Spark picks its SQL dialect by the URL's scheme: only jdbc:mysql gets MySQL's backtick quoting (under
    // jdbc:mariadb column names are quoted "id", which MariaDB reads as text). MariaDB's driver takes the
    // scheme with permitMysqlScheme.
    case 'mariadb':
      return `jdbc:mysql://${c('host')}:${c('port')}/${c('schema')}?permitMysqlScheme`;
    default:
      return `jdbc:${type}://${c('host')}:${c('port')}/${c('schema')}`;
  }
}
