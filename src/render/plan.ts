// What a pipeline is made of, worked out from a complete spec once, for every template pack: where its files
// go, its schedule and data window, the SQL it runs and the tasks that run it.
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import { pipelineFolder } from '../pipeline-spec/layout.ts';
import { DATABASE_TYPES, type PipelineSpec } from '../pipeline-spec/schema.ts';
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

export type Task = { id: string; kind: 'ddl' | 'prepare' | 'load' | 'merge' | 'check'; label: string; upstream: string[] };

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
  target: { table: string; schema: string; name: string; stage: string; conn_id: string };
  columns: Column[] | undefined;
  keys: string[];
  /** The SELECT run on the source: the window filter and the transform applied. */
  extractSql: string;
  /** A SQL condition selecting the rows this run wrote in the target (for scoped deletes and checks). */
  runScope: string | undefined;
  tags: string[];
  notify: { emails: string[]; connections: string[] };
  tasks: Task[];
  checks: {
    column: Record<string, Record<string, { equal_to?: number; geq_to?: number }>>;
    table: Record<string, string>;
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

const WINDOW_START = "'{{ data_interval_start }}'";
const WINDOW_END = "'{{ data_interval_end }}'";
const RUN_DATE = "'{{ data_interval_start | ds }}'";

function quoteList(values: Array<string | number>): string {
  return values.map((v) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`)).join(', ');
}

const durationSql: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day' };
function interval(duration: string): string {
  const amount = duration.slice(0, -1);
  return `INTERVAL '${amount} ${durationSql[duration.slice(-1)]}${amount === '1' ? '' : 's'}'`;
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
  if (pack !== 'spark-docker' && source.type === 's3' && /[*?[]/.test(source.path ?? '')) fail('source.path', 'oneFilePerRun');
  if (source.type === 's3' && !source.columns?.length) fail('source.columns', 'fileColumns');

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
  const keys = spec.load.keys ?? (source.columns ?? []).filter((c) => c.key).map((c) => c.name);
  if (strategy === 'scd2' && !source.columns?.length) fail('source.columns', 'scd2Columns');

  const relation = source.table ?? (source.query ? `(${source.query.trim().replace(/;\s*$/, '')}) AS source_query` : `s3://${source.bucket}/${source.path}`);
  const where = usesWatermark ? `\nWHERE ${watermark} >= ${WINDOW_START}\n  AND ${watermark} < ${WINDOW_END}` : '';
  const base = `SELECT *\nFROM ${relation}${where}`;
  let extractSql = spec.transform?.sql ? `WITH source AS (\n${indent(base, 4)}\n)\n${spec.transform.sql.trim().replace(/;\s*$/, '')}` : base;
  if (strategy === 'snapshot') extractSql = `SELECT extracted.*, CAST(${RUN_DATE} AS DATE) AS load_date\nFROM (\n${indent(extractSql, 4)}\n) AS extracted`;
  if (strategy === 'append' && !watermark) extractSql = `SELECT extracted.*, CAST(${WINDOW_START} AS TIMESTAMP) AS loaded_for\nFROM (\n${indent(extractSql, 4)}\n) AS extracted`;

  const runScope =
    strategy === 'snapshot'
      ? `load_date = CAST(${RUN_DATE} AS DATE)`
      : strategy === 'append' && !watermark
        ? `loaded_for = CAST(${WINDOW_START} AS TIMESTAMP)`
        : usesWatermark
          ? `${watermark} >= ${WINDOW_START} AND ${watermark} < ${WINDOW_END}`
          : strategy === 'scd2'
            ? 'is_current'
            : undefined;

  const columnChecks: Plan['checks']['column'] = {};
  const tableChecks: Plan['checks']['table'] = {};
  const custom: Plan['checks']['custom'] = [];
  for (const check of spec.quality ?? []) {
    switch (check.check) {
      case 'row_count':
        if (check.min !== undefined) tableChecks.row_count_min = `COUNT(*) >= ${check.min}`;
        if (check.max !== undefined) tableChecks.row_count_max = `COUNT(*) <= ${check.max}`;
        break;
      case 'not_null':
        for (const c of check.columns) (columnChecks[c] ??= {}).null_check = { equal_to: 0 };
        break;
      case 'unique':
        if (check.columns.length === 1) (columnChecks[check.columns[0]!] ??= {}).unique_check = { equal_to: 0 };
        else tableChecks[`unique_${check.columns.join('_')}`] = `COUNT(*) = COUNT(DISTINCT ${check.columns.join(" || '|' || ")})`;
        break;
      case 'accepted_values':
        tableChecks[`accepted_values_${check.column}`] = `SUM(CASE WHEN ${check.column} NOT IN (${quoteList(check.values)}) THEN 1 ELSE 0 END) = 0`;
        break;
      case 'freshness':
        tableChecks[`freshness_${check.column}`] = `MAX(${check.column}) >= CAST(${WINDOW_END} AS TIMESTAMP) - ${interval(check.max_age)}`;
        break;
      case 'sql':
        custom.push({ id: `check_${check.name}`, name: check.name, sql: check.sql.replace(/\{\{\s*target\s*\}\}/g, target.table).trim().replace(/;\s*$/, '') });
        break;
    }
  }

  if (pack === 'spark-docker') {
    if (!source.columns?.length) fail('source.columns', 'externalColumns');
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
  const columns = source.columns as Column[] | undefined;
  if (pack !== 'spark-docker' && columns?.length) add({ id: 'create_target', kind: 'ddl', label: `create ${target.table}`, upstream: [] });
  const first = tasks.length ? ['create_target'] : [];
  // Files are read into the stage table first, then published into the target with the run's marker.
  const sqlPack = pack !== 'spark-docker';
  const needsStage = (strategy === 'incremental' && keys.length > 0) || strategy === 'scd2' || !sourceIsDatabase;
  if (sqlPack && !sourceIsDatabase) add({ id: 'clear_stage', kind: 'prepare', label: `empty ${target.stage}`, upstream: first });
  if (sqlPack) add({ id: 'load', kind: 'load', label: needsStage ? `extract into ${target.stage}` : `load ${target.table}`, upstream: sourceIsDatabase ? first : ['clear_stage'] });
  let last = 'load';
  if (sqlPack && needsStage) {
    const label = !sourceIsDatabase ? `publish the run's rows into ${target.table}` : strategy === 'scd2' ? `close and insert versions in ${target.table}` : `upsert into ${target.table}`;
    add({ id: 'merge', kind: 'merge', label, upstream: ['load'] });
    last = 'merge';
  }
  if (sqlPack && Object.keys(columnChecks).length) add({ id: 'check_columns', kind: 'check', label: 'column checks', upstream: [last] });
  if (sqlPack && Object.keys(tableChecks).length) add({ id: 'check_table', kind: 'check', label: 'table checks', upstream: [last] });
  if (sqlPack) for (const c of custom) add({ id: c.id, kind: 'check', label: c.name, upstream: [last] });

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
    target,
    columns,
    keys,
    extractSql,
    runScope,
    tags: [...new Set([...(spec.tags ?? []), spec.layer!, system])],
    notify,
    tasks,
    checks: { column: columnChecks, table: tableChecks, custom },
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
