// What a pipeline is made of, worked out from a complete spec once, for every template pack: where its files
// go, its schedule and data window, the SQL it runs and the tasks that run it.
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import { pipelineFolder } from '../pipeline-spec/layout.ts';
import { copiedColumns } from '../pipeline-spec/sensitive-columns.ts';
import { DATABASE_TYPES, type PipelineSpec, type TargetType } from '../pipeline-spec/schema.ts';
import { dialectOf, mapColumnType, type Dialect } from './dialect.ts';
import { en } from '../i18n/en/index.ts';
import type { RenderProblem } from '../i18n/en/render.ts';
import type { Messages } from '../i18n/index.ts';

/** A spec the pack cannot render: the field, and why (a message key, told in English or in the reader's language). */
export class RenderError extends Error {
  readonly pack: string;
  readonly field: string;
  readonly problem: RenderProblem;
  readonly params: Record<string, unknown>;
  constructor(pack: string, field: string, problem: RenderProblem, params: Record<string, unknown> = {}) {
    super(`${pack}: ${field}: ${en.render[problem](params)}`);
    this.name = 'RenderError';
    this.pack = pack;
    this.field = field;
    this.problem = problem;
    this.params = params;
  }

  /** The reason in the reader's language. */
  describe(m: Messages): string {
    return `${this.pack}: ${this.field}: ${m.render[this.problem](this.params)}`;
  }
}

export type Column = { name: string; type: string; nullable?: boolean; key?: boolean; comment?: string };

export type Task = { id: string; kind: 'ddl' | 'prepare' | 'list' | 'load' | 'merge' | 'check'; label: string; upstream: string[] };

/** The files a run of a file source reads: one key, every key under a prefix, or the keys a glob matches. */
export type FileSet = { bucket: string; path: string; kind: 'key' | 'prefix' | 'glob'; ifEmpty: 'fail' | 'skip' };

/** A key ending in `/` is a prefix; one with `*`, `?` or `[` a glob (matched on the keys listed under its fixed part). */
export function fileSetOf(bucket: string, path: string, ifEmpty: 'fail' | 'skip' = 'fail'): FileSet {
  const kind = path.endsWith('/') ? 'prefix' : /[*?[]/.test(path.replace(/\{\{[^}]*\}\}/g, '')) ? 'glob' : 'key';
  return { bucket, path, kind, ifEmpty };
}

export type Plan = {
  spec: PipelineSpec & { start_date: string };
  pack: string;
  airflow: 2 | 3;
  folder: string;
  dagFile: string;
  docFile: string;
  sqlDir: string;
  /** `sql/<dag_id>`: the .sql files as the DAG refers to them (relative to its folder). */
  sqlRef: string;
  schedule: { kind: 'manual' } | { kind: 'cron'; cron: string; written: string };
  /** Whether the SQL is scoped to the run's data interval (then Airflow 3 needs CronDataIntervalTimetable). */
  windowed: boolean;
  sameConnection: boolean;
  sourceIsDatabase: boolean;
  /** For a file source: what each run lists and loads. */
  files: FileSet | undefined;
  target: { table: string; schema: string; name: string; stage: string; conn_id: string; type: TargetType; tableSql: string; stageSql: string; createSchema: boolean };
  /** The target's SQL (every statement but the extract), and the source's (the extract). */
  dialect: Dialect;
  sourceDialect: Dialect;
  columns: Column[] | undefined;
  /** The columns with their types in the target's engine. */
  targetColumns: Column[] | undefined;
  /** The columns the load names (undefined when a transform decides them). */
  loadedColumns: string[] | undefined;
  keys: string[];
  /** The SELECT run on the source: the window filter and the transform applied. */
  extractSql: string;
  /** A SQL condition selecting the rows this run wrote in the target (for scoped deletes and checks). */
  runScope: string | undefined;
  tags: string[];
  notify: { emails: string[]; connections: string[] };
  tasks: Task[];
  checks: {
    /** Aggregates (SQLTableCheckOperator), each holding on an empty run; over the run's rows when scoped. */
    table: Record<string, { statement: string; scope: string | undefined }>;
    custom: Array<{ id: string; name: string; sql: string }>;
  };
};

const PRESET_CRON: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
};

function literalList(values: Array<string | number>, dialect: Dialect): string {
  return values.map((v) => (typeof v === 'number' ? String(v) : dialect.literal(v))).join(', ');
}

export function planPipeline(spec: PipelineSpec, config: RepoConfig, options: { today: string; pack: string }): Plan {
  const pack = options.pack;
  const fail = (field: string, problem: RenderProblem, params?: Record<string, unknown>): never => {
    throw new RenderError(pack, field, problem, params);
  };
  const source = spec.source;
  const strategy = spec.load.strategy;
  const sourceIsDatabase = (DATABASE_TYPES as readonly string[]).includes(source.type!);
  if (!sourceIsDatabase && source.type !== 's3') fail('source.type', 'unsupportedSource', { type: source.type });
  if (source.type === 's3' && !['snapshot', 'append', 'overwrite'].includes(strategy!)) fail('load.strategy', 'fileStrategy');
  if (source.type === 's3' && !['csv', 'json', 'jsonl', 'parquet'].includes(source.format ?? '')) fail('source.format', 'fileFormat');
  // Spark reads a file's columns from its header or its own schema; a headerless CSV needs them listed.
  const sparkReadsSchema = pack === 'spark-docker' && !(source.type === 's3' && source.format === 'csv' && source.header === false);
  if (source.type === 's3' && !source.columns?.length && !sparkReadsSchema) fail('source.columns', 'fileColumns');

  const schedule: Plan['schedule'] =
    spec.schedule === 'manual' ? { kind: 'manual' } : { kind: 'cron', cron: PRESET_CRON[spec.schedule!] ?? spec.schedule!, written: spec.schedule! };
  const watermark = spec.load.watermark;
  const usesWatermark = (strategy === 'incremental' || strategy === 'append') && !!watermark;
  const windowed =
    usesWatermark ||
    strategy === 'snapshot' ||
    strategy === 'scd2' ||
    (strategy === 'append' && !watermark) ||
    // A file key that names the run's dates is read by data interval too.
    /data_interval_/.test(source.path ?? '');
  if (windowed && schedule.kind === 'manual') fail('schedule', 'needsSchedule', { strategy });

  const [schema, name] = spec.target.table!.split('.') as [string, string];
  const target = { table: spec.target.table!, schema, name, stage: `${schema}.${name}__stage`, conn_id: spec.target.conn_id! };
  if (source.exclude_columns?.length && !source.columns?.length) fail('source.exclude_columns', 'excludeNeedsColumns');
  const columns = copiedColumns(source.columns as Column[] | undefined, source.exclude_columns);
  const keys = spec.load.keys ?? (columns ?? []).filter((c) => c.key).map((c) => c.name);
  if (strategy === 'scd2' && !source.columns?.length && pack !== 'spark-docker') fail('source.columns', 'scd2Columns');

  const sourceDialect = dialectOf(source.type!);
  const targetType = spec.target.type ?? 'postgres';
  const dialect = dialectOf(targetType);
  const lookback = spec.load.lookback;
  if (lookback && !(strategy === 'incremental' && watermark)) fail('load.lookback', 'lookbackStrategy');
  // Without a transform, the columns are named (never SELECT * into a positional INSERT).
  const loadedColumns = !spec.transform?.sql && columns?.length ? columns.map((c) => c.name) : undefined;
  const relation = source.table
    ? sourceDialect.quote(source.table)
    : source.query
      ? `(${source.query.trim().replace(/;\s*$/, '')}) AS source_query`
      : `s3://${source.bucket}/${source.path}`;
  const sq = sourceDialect.quote;
  const where = usesWatermark
    ? `\nWHERE ${sq(watermark!)} >= ${sourceDialect.bound('data_interval_start', lookback)}\n  AND ${sq(watermark!)} < ${sourceDialect.bound('data_interval_end')}`
    : '';
  // Known columns are read by name, so that a column left out never reaches the transform or the target.
  const base = `SELECT ${columns?.length ? columns.map((c) => sq(c.name)).join(', ') : '*'}\nFROM ${relation}${where}`;
  let extractSql = spec.transform?.sql ? `WITH source AS (\n${indent(base, 4)}\n)\n${spec.transform.sql.trim().replace(/;\s*$/, '')}` : base;
  const all = loadedColumns ? loadedColumns.map((c) => `extracted.${sq(c)}`).join(', ') : 'extracted.*';
  if (strategy === 'snapshot') extractSql = `SELECT ${all}, ${sourceDialect.runDate} AS load_date\nFROM (\n${indent(extractSql, 4)}\n) AS extracted`;
  if (strategy === 'append' && !watermark) extractSql = `SELECT ${all}, ${sourceDialect.timestamp(sourceDialect.bound('data_interval_start'))} AS loaded_for\nFROM (\n${indent(extractSql, 4)}\n) AS extracted`;

  const q = dialect.quote;
  const runScope =
    strategy === 'snapshot'
      ? `load_date = ${dialect.runDate}`
      : strategy === 'append' && !watermark
        ? `loaded_for = ${dialect.timestamp(dialect.bound('data_interval_start'))}`
        : usesWatermark
          ? `${q(watermark!)} >= ${dialect.bound('data_interval_start', lookback)} AND ${q(watermark!)} < ${dialect.bound('data_interval_end')}`
          : strategy === 'scd2'
            ? 'is_current'
            : undefined;

  // Every check is an aggregate that holds on an empty run (whether a run may be empty is row_count's to say).
  const tableChecks: Record<string, string> = {};
  const wholeTable = new Set<string>();
  const custom: Plan['checks']['custom'] = [];
  const scopeClause = runScope ? `\nWHERE ${runScope}` : '';
  for (const check of spec.quality ?? []) {
    switch (check.check) {
      case 'row_count':
        if (check.min !== undefined) tableChecks.row_count_min = `COUNT(*) >= ${check.min}`;
        if (check.max !== undefined) tableChecks.row_count_max = `COUNT(*) <= ${check.max}`;
        if (check.scope === 'table') wholeTable.add('row_count_min').add('row_count_max');
        break;
      case 'not_null':
        for (const c of check.columns) tableChecks[`not_null_${c}`] = `SUM(CASE WHEN ${q(c)} IS NULL THEN 1 ELSE 0 END) = 0`;
        break;
      case 'unique':
        if (check.columns.length === 1) tableChecks[`unique_${check.columns[0]}`] = `COUNT(${q(check.columns[0]!)}) = COUNT(DISTINCT ${q(check.columns[0]!)})`;
        else {
          // Rows that repeat the same combination (NULLs group together, as GROUP BY does), in any engine.
          const list = check.columns.map(q).join(', ');
          const name = `unique_${check.columns.join('_')}`.slice(0, 63);
          custom.push({ id: `check_${name}`, name, sql: `SELECT COUNT(*)\nFROM (\n    SELECT ${list}\n    FROM ${q(spec.target.table!)}${indent(scopeClause, 4)}\n    GROUP BY ${list}\n    HAVING COUNT(*) > 1\n) AS duplicates` });
        }
        break;
      case 'accepted_values':
        tableChecks[`accepted_values_${check.column}`] = `SUM(CASE WHEN ${q(check.column)} NOT IN (${literalList(check.values, dialect)}) THEN 1 ELSE 0 END) = 0`;
        break;
      case 'freshness':
        tableChecks[`freshness_${check.column}`] = `COUNT(*) = 0 OR MAX(${q(check.column)}) >= ${dialect.timestamp(dialect.bound('data_interval_end', check.max_age))}`;
        break;
      case 'sql':
        custom.push({ id: `check_${check.name}`, name: check.name, sql: check.sql.replace(/\{\{\s*target\s*\}\}/g, q(spec.target.table!)).trim().replace(/;\s*$/, '') });
        break;
    }
  }
  // SUM over no rows is NULL, which would fail the check: an empty run passes unless row_count says otherwise.
  for (const [name, statement] of Object.entries(tableChecks)) {
    if (statement.startsWith('SUM(')) tableChecks[name] = statement.replace(/^SUM\((.*)\) = 0$/, 'COALESCE(SUM($1), 0) = 0');
  }
  const scopedChecks = Object.fromEntries(Object.entries(tableChecks).map(([name, statement]) => [name, { statement, scope: wholeTable.has(name) ? undefined : runScope }]));

  if (pack === 'spark-docker') {
    if (!spec.target.location?.startsWith('s3a://')) fail('target.location', 'externalLocation');
    if (spec.target.format && !['orc', 'parquet'].includes(spec.target.format)) fail('target.format', 'externalFormat');
  }
  const tasks: Task[] = [];
  const add = (task: Task) => tasks.push(task);
  if (pack === 'spark-docker') {
    add({ id: 'create_table', kind: 'ddl', label: `create ${target.table}`, upstream: [] });
    add({ id: 'load', kind: 'load', label: `spark: ${strategy} into ${target.table}`, upstream: ['create_table'] });
    add({ id: 'repair_partitions', kind: 'merge', label: 'MSCK REPAIR TABLE', upstream: ['load'] });
    add({ id: 'check_quality', kind: 'check', label: 'spark: data checks', upstream: ['repair_partitions'] });
  }
  if (pack !== 'spark-docker' && columns?.length) add({ id: 'create_target', kind: 'ddl', label: `create ${target.table}`, upstream: [] });
  const first = tasks.length ? ['create_target'] : [];
  // Files are read into the stage table first, then published into the target with the run's marker.
  const sqlPack = pack !== 'spark-docker';
  const needsStage = (strategy === 'incremental' && keys.length > 0) || strategy === 'scd2' || !sourceIsDatabase;
  // The stage is created from the columns: without them nobody would create it.
  if (sqlPack && needsStage && !columns?.length) fail('source.columns', 'stageColumns', { strategy });
  const files = source.type === 's3' ? fileSetOf(source.bucket!, source.path!, source.if_empty) : undefined;
  if (sqlPack && files) {
    add({ id: 'clear_stage', kind: 'prepare', label: `empty ${target.stage}`, upstream: first });
    add({ id: 'list_files', kind: 'list', label: `the run's files in s3://${files.bucket}`, upstream: ['clear_stage'] });
  }
  if (sqlPack) add({ id: 'load', kind: 'load', label: files ? `each file into ${target.stage}` : needsStage ? `extract into ${target.stage}` : `load ${target.table}`, upstream: files ? ['list_files'] : first });
  let last = 'load';
  if (sqlPack && needsStage) {
    const label = !sourceIsDatabase ? `publish the run's rows into ${target.table}` : strategy === 'scd2' ? `close and insert versions in ${target.table}` : `upsert into ${target.table}`;
    add({ id: 'merge', kind: 'merge', label, upstream: ['load'] });
    last = 'merge';
  }
  if (sqlPack && Object.keys(tableChecks).length) add({ id: 'check_table', kind: 'check', label: 'table checks', upstream: [last] });
  if (sqlPack) for (const c of custom) add({ id: c.id, kind: 'check', label: c.name, upstream: [last] });

  // A folder is never named after a placeholder: a layout with {system} needs the source's system.
  if (config.layout.includes('{system}') && !spec.source.system) fail('source.system', 'needsSystem');
  const folder = pipelineFolder(spec as Record<string, any>, config);
  const notify = { emails: [] as string[], connections: [] as string[] };
  for (const target of spec.notify?.on_failure ?? []) {
    if (target.startsWith('email:')) notify.emails.push(target.slice(6));
    else notify.connections.push(target.slice(5));
  }
  const system = source.system!;
  return {
    spec: { ...spec, start_date: spec.start_date ?? options.today },
    pack,
    airflow: spec.airflow_version ?? 3,
    folder,
    dagFile: `${folder}/${spec.dag_id}.py`,
    docFile: `${folder}/${spec.dag_id}.md`,
    sqlDir: `${folder}/sql/${spec.dag_id}`,
    sqlRef: `sql/${spec.dag_id}`,
    schedule,
    // Spark jobs always get the run's window on their command line.
    windowed: windowed || (pack === 'spark-docker' && schedule.kind === 'cron'),
    sameConnection: sourceIsDatabase && source.conn_id === spec.target.conn_id,
    sourceIsDatabase,
    files,
    target: { ...target, type: targetType, tableSql: q(target.table), stageSql: q(target.stage), createSchema: spec.target.create_schema === true },
    dialect,
    sourceDialect,
    columns,
    targetColumns: columns?.map((c) => ({ ...c, type: mapColumnType(c.type, sourceIsDatabase ? source.type! : 'ansi', dialect) })),
    loadedColumns,
    keys,
    extractSql,
    runScope,
    tags: [...new Set([...(spec.tags ?? []), spec.layer!, system])],
    notify,
    tasks,
    checks: { table: scopedChecks, custom },
  };
}

export function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}

/** A Mermaid graph of the tasks, for the MR description and the pipeline's doc. */
export function mermaidGraph(tasks: Task[]): string {
  const lines = ['graph LR'];
  for (const task of tasks) lines.push(`    ${task.id}["${task.id}<br/>${task.label.replace(/"/g, "'")}"]`);
  for (const task of tasks) for (const up of task.upstream) lines.push(`    ${up} --> ${task.id}`);
  return lines.join('\n');
}
