// The pipeline spec, version 1: one zod schema enforcing every rule. Messages
// are keys ("@…") that format.ts turns into sentences in the user's language, naming the field.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { closestName } from '../closest-name.ts';
import { findSecrets } from './secrets.ts';
import { sqlTextProblem } from './sql-text.ts';

export const SOURCE_TYPES = ['postgres', 'mysql', 'mariadb', 'mssql', 'oracle', 'clickhouse', 'sqlite', 's3', 'sftp', 'http', 'kafka'] as const;
export const DATABASE_TYPES = ['postgres', 'mysql', 'mariadb', 'mssql', 'oracle', 'clickhouse', 'sqlite'] as const;
/** The engines a target may be (the packs write SQL in each one's dialect). */
export const TARGET_TYPES = ['postgres', 'mysql', 'mariadb'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
export const FILE_FORMATS = ['csv', 'json', 'jsonl', 'parquet', 'xml', 'avro'] as const;
export const LAYERS = ['raw', 'stage', 'dm', 'sandbox'] as const;
export const STRATEGIES = ['overwrite', 'append', 'incremental', 'snapshot', 'scd2'] as const;
export const STRATEGY_ALIASES: Record<string, (typeof STRATEGIES)[number]> = { full: 'snapshot', partition: 'incremental' };
export const SCHEDULE_PRESETS = ['@hourly', '@daily', '@weekly', '@monthly', '@yearly'] as const;
export const PAGINATION_TYPES = ['none', 'page', 'offset', 'cursor', 'next_url'] as const;
export const CHECKS = ['row_count', 'not_null', 'unique', 'accepted_values', 'freshness', 'sql'] as const;

const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const qualifiedTable = /^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$/;
const optionallyQualifiedTable = /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;
export const DURATION = /^[1-9]\d*[smhd]$/;

const text = (max = 10_000) => z.string({ error: '@type_string' }).trim().min(1, '@empty').max(max, '@too_long');
const pathSegment = (pattern: RegExp, key: string) => z.string({ error: '@type_string' }).regex(pattern, key);
// Airflow's connection ids; the first character a letter or digit (`.` and `..` are no ids).
const connId = z.string({ error: '@type_string' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,249}$/, '@conn_id');
const duration = z.string({ error: '@type_string' }).regex(DURATION, '@duration');
const column = z.string({ error: '@type_string' }).regex(identifier, '@column');
const columns = z.array(column, { error: '@type_list' }).min(1, '@list_empty');

/** SQL from a request: one statement that only reads (see sql-text.ts). */
const sqlQuery = text(100_000).superRefine((sql, ctx) => {
  const problem = sqlTextProblem(sql);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.key, params: problem.params });
});

/**
 * A column's type as engines write it: words (`timestamp with time zone`), arguments of numbers, words or
 * plain quoted values (`numeric(12, 2)`, `enum('new','paid')`), `[]` for arrays. Nothing that could end the
 * statement it is written into.
 */
export const COLUMN_TYPE = /^[A-Za-z_][A-Za-z0-9_]*( [A-Za-z_][A-Za-z0-9_]*)*( ?\( ?(\d+|[A-Za-z_]+|'[A-Za-z0-9 _.:\/-]*')( ?, ?(\d+|[A-Za-z_]+|'[A-Za-z0-9 _.:\/-]*'))* ?\))?( [A-Za-z_][A-Za-z0-9_]*)*(\[\])*$/;

/** An email address of the kind a notifier sends to (no quoting, no comments, no templates). */
export const EMAIL_ADDRESS = /^[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Airflow's template syntax: a request never writes templates (see jinjaProblem). */
const JINJA = /\{\{|\{%|\{#/;

/** The run's dates a file path may use: `{{ ds }}`, `{{ data_interval_start | ds_nodash }}`, `{{ data_interval_start.strftime('%Y/%m') }}`. */
export const PATH_DATE = /^\{\{ ?(ds|ds_nodash|ts|ts_nodash|data_interval_start|data_interval_end|logical_date)( ?\| ?(ds|ds_nodash|ts|ts_nodash))?(\.strftime\('[%A-Za-z0-9 /_.:=-]*'\))? ?\}\}$/;

/**
 * Why a string of a request holds a template it may not: Airflow renders templated fields (and .sql files)
 * with Jinja, where `{{ conn.x.password }}` would reach a secret. A file path may name the run's dates, and a
 * custom check's SQL `{{ target }}`; nothing else may hold `{{`, `{%` or `{#`.
 */
function jinjaProblem(value: string, path: (string | number)[]): string | undefined {
  const where = path.join('.');
  if (where === 'source.path') {
    const rest = value.replace(/\{\{[^{}]*\}\}/g, (expression) => (PATH_DATE.test(expression) ? '' : '{{'));
    return JINJA.test(rest) ? '@jinja_path' : undefined;
  }
  const rest = /^quality\.\d+\.sql$/.test(where) ? value.replace(/\{\{\s*target\s*\}\}/g, '') : value;
  return JINJA.test(rest) ? '@jinja' : undefined;
}

/** Why a schedule is not one: undefined when it is a 5-field cron, a preset or "manual". */
export function scheduleProblem(schedule: string): { key: string; params?: Record<string, unknown> } | undefined {
  const value = schedule.trim();
  if (value === 'manual' || (SCHEDULE_PRESETS as readonly string[]).includes(value)) return undefined;
  if (value.startsWith('@')) return { key: '@schedule' };
  const fields = value.split(/\s+/);
  if (fields.length !== 5) return { key: '@cron_fields', params: { count: fields.length } };
  try {
    CronExpressionParser.parse(value, { tz: 'UTC' });
    return undefined;
  } catch (err) {
    return cronFieldProblem(fields) ?? { key: '@cron_invalid', params: { problem: (err as Error).message } };
  }
}

const CRON_FIELDS = ['minute', 'hour', 'day_of_month', 'month', 'day_of_week'] as const;

/** The first field of a cron that the parser refuses on its own, with what is wrong in it. */
function cronFieldProblem(fields: string[]): { key: string; params: Record<string, unknown> } | undefined {
  for (const [i, field] of fields.entries()) {
    const alone = CRON_FIELDS.map((_, j) => (j === i ? field : '*')).join(' ');
    try {
      CronExpressionParser.parse(alone, { tz: 'UTC' });
    } catch (err) {
      const message = (err as Error).message;
      const params = { field: CRON_FIELDS[i], part: field };
      const range = message.match(/expected range (\d+)-(\d+)/);
      if (range) return { key: '@cron_range', params: { ...params, min: range[1], max: range[2] } };
      if (/cannot repeat at every 0/.test(message)) return { key: '@cron_step_zero', params };
      if (/Invalid range/.test(message)) return { key: '@cron_bad_range', params };
      return { key: '@cron_bad_value', params };
    }
  }
  return undefined;
}

export function isTimezone(name: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const schedule = z.string({ error: '@type_string' }).superRefine((value, ctx) => {
  const problem = scheduleProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.key, params: problem.params });
});

const timezone = z.string({ error: '@type_string' }).refine(isTimezone, '@timezone');

const isoDate = z
  .string({ error: '@type_string' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, '@date')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), '@date');

const sourceColumn = z.strictObject(
  {
    name: column,
    type: text(100).regex(COLUMN_TYPE, '@column_type'),
    nullable: z.boolean({ error: '@type_boolean' }).optional(),
    key: z.boolean({ error: '@type_boolean' }).optional(),
    comment: z.string({ error: '@type_string' }).max(1000, '@too_long').optional(),
  },
  { error: '@type_object' },
);

export const sourceSchema = z.strictObject(
  {
    type: z.enum(SOURCE_TYPES, { error: '@one_of' }),
    conn_id: connId,
    system: pathSegment(/^[a-z0-9_]{1,64}$/, '@path_segment'),
    table: z.string({ error: '@type_string' }).regex(optionallyQualifiedTable, '@source_table'),
    query: sqlQuery,
    bucket: z.string({ error: '@type_string' }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, '@bucket'),
    path: text(1024),
    format: z.enum(FILE_FORMATS, { error: '@one_of' }),
    if_empty: z.enum(['fail', 'skip'], { error: '@one_of' }),
    delimiter: z.string({ error: '@type_string' }).length(1, '@one_character'),
    quote: z.string({ error: '@type_string' }).length(1, '@one_character'),
    header: z.boolean({ error: '@type_boolean' }),
    endpoint: z.string({ error: '@type_string' }).regex(/^\/\S*$/, '@endpoint'),
    records_path: z.string({ error: '@type_string' }).regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, '@records_path'),
    pagination: z.strictObject(
      {
        type: z.enum(PAGINATION_TYPES, { error: '@one_of' }),
        param: z.string({ error: '@type_string' }).min(1, '@empty').optional(),
        size: z.number({ error: '@type_number' }).int('@type_integer').min(1, '@min').max(10_000, '@max').optional(),
      },
      { error: '@type_object' },
    ),
    topic: z.string({ error: '@type_string' }).regex(/^[A-Za-z0-9._-]{1,249}$/, '@topic'),
    columns: z.array(sourceColumn, { error: '@type_list' }).min(1, '@list_empty'),
    exclude_columns: columns,
    keep_sensitive: columns,
  },
  { error: '@type_object' },
).partial();

export const targetSchema = z.strictObject(
  {
    conn_id: connId,
    type: z.enum(TARGET_TYPES, { error: '@one_of' }),
    table: z.string({ error: '@type_string' }).regex(qualifiedTable, '@target_table'),
    create_schema: z.boolean({ error: '@type_boolean' }),
    format: z.string({ error: '@type_string' }).regex(/^[a-z0-9_]+$/, '@format'),
    location: z.string({ error: '@type_string' }).regex(/^[a-z][a-z0-9+.-]*:\/\/[A-Za-z0-9._~\/=:@%+-]+$/, '@location'),
    partition_by: columns,
  },
  { error: '@type_object' },
).partial();

export const loadSchema = z.strictObject(
  {
    strategy: z.enum(STRATEGIES, { error: '@one_of' }),
    watermark: column,
    keys: columns,
    lookback: duration,
  },
  { error: '@type_object' },
).partial();

const check = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape, { error: '@type_object' });
export const qualityCheckSchema = z.discriminatedUnion(
  'check',
  [
    check({
      check: z.literal('row_count'),
      min: z.number({ error: '@type_number' }).int('@type_integer').min(0, '@min').optional(),
      max: z.number({ error: '@type_number' }).int('@type_integer').min(0, '@min').optional(),
      // run: the rows this run wrote (the default); table: the whole target.
      scope: z.enum(['run', 'table'], { error: '@one_of' }).optional(),
    }),
    check({ check: z.literal('not_null'), columns }),
    check({ check: z.literal('unique'), columns }),
    check({ check: z.literal('accepted_values'), column, values: z.array(z.union([z.string(), z.number()]), { error: '@type_list' }).min(1, '@list_empty') }),
    check({ check: z.literal('freshness'), column, max_age: duration }),
    check({ check: z.literal('sql'), name: pathSegment(/^[a-z][a-z0-9_]{0,62}$/, '@check_name'), sql: sqlQuery }),
  ],
  { error: '@check_unknown' },
);

export const specShape = {
  version: z.literal(1, { error: '@version' }),
  dag_id: pathSegment(/^[a-z][a-z0-9_]{2,99}$/, '@dag_id'),
  description: text(2_000),
  owner: text(100),
  tags: z.array(z.string({ error: '@type_string' }).regex(/^[\w.-]{1,50}$/, '@tag'), { error: '@type_list' }).max(20, '@max'),
  layer: z.enum(LAYERS, { error: '@one_of' }),
  schedule,
  timezone,
  start_date: isoDate,
  catchup: z.boolean({ error: '@type_boolean' }),
  retries: z.number({ error: '@type_number' }).int('@type_integer').min(0, '@min').max(100, '@max'),
  retry_delay: duration,
  timeout: duration,
  pack: pathSegment(/^[a-z0-9][a-z0-9_-]{0,62}$/, '@pack'),
  airflow_version: z.union([z.literal(2), z.literal(3)], { error: '@airflow_version' }),
  source: sourceSchema,
  target: targetSchema,
  load: loadSchema,
  transform: z.strictObject({ sql: sqlQuery }, { error: '@type_object' }).partial(),
  quality: z.array(qualityCheckSchema, { error: '@type_list' }),
  notify: z.strictObject(
    {
      on_failure: z
        .array(
          z.string({ error: '@type_string' }).refine((v) => (v.startsWith('email:') ? EMAIL_ADDRESS.test(v.slice(6)) : /^conn:[A-Za-z0-9][A-Za-z0-9_.-]{0,249}$/.test(v)), '@notify'),
          { error: '@type_list' },
        )
        .min(1, '@list_empty'),
    },
    { error: '@type_object' },
  ).partial(),
};

/** Fields a complete spec must have (more depend on the source type, see requirementsOf). */
export const REQUIRED = ['dag_id', 'description', 'schedule', 'source.type', 'source.conn_id', 'target.conn_id', 'target.table', 'load.strategy'] as const;

export type PipelineSpec = z.infer<z.ZodObject<typeof specShape>>;

/** Required fields that depend on other fields: what the source type needs, what the strategy needs. */
export function requirementsOf(spec: Partial<PipelineSpec>): Array<{ path: string; alternatives?: string[] }> {
  const needs: Array<{ path: string; alternatives?: string[] }> = [];
  const type = spec.source?.type;
  if (type && (DATABASE_TYPES as readonly string[]).includes(type)) needs.push({ path: 'source.table', alternatives: ['source.query'] });
  if (type === 's3') needs.push({ path: 'source.bucket' }, { path: 'source.path' }, { path: 'source.format' });
  if (type === 'sftp') needs.push({ path: 'source.path' }, { path: 'source.format' });
  if (type === 'http') needs.push({ path: 'source.endpoint' });
  if (type === 'kafka') needs.push({ path: 'source.topic' }, { path: 'source.format' });
  if (spec.load?.strategy === 'incremental') needs.push({ path: 'load.watermark' });
  if (spec.load?.strategy === 'scd2') needs.push({ path: 'load.keys' });
  return needs;
}

function get(spec: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), spec);
}

/** The schema of a whole spec: every field optional here; what is missing is told apart from what is wrong. */
export const specSchema = z.strictObject(specShape, { error: '@type_object' }).partial().superRefine((spec, ctx) => {
  const source = spec.source ?? {};
  if (source.table !== undefined && source.query !== undefined) {
    ctx.addIssue({ code: 'custom', message: '@table_and_query', path: ['source', 'query'] });
  }
  for (const need of requirementsOf(spec as Partial<PipelineSpec>)) {
    if ([need.path, ...(need.alternatives ?? [])].every((p) => get(spec, p) === undefined)) {
      ctx.addIssue({ code: 'custom', message: '@missing', path: need.path.split('.'), params: { alternatives: need.alternatives } });
    }
  }
  const isFileSource = source.type === 's3' || source.type === 'sftp';
  if (isFileSource && spec.load?.strategy && !['snapshot', 'append', 'overwrite'].includes(spec.load.strategy)) {
    ctx.addIssue({ code: 'custom', message: '@file_strategy', path: ['load', 'strategy'] });
  }
  checkColumnChoices(spec as Partial<PipelineSpec>, ctx);
  // The CSV dialect means nothing for other formats: said, not ignored.
  for (const option of ['delimiter', 'quote', 'header'] as const) {
    if (source[option] !== undefined && source.format !== undefined && source.format !== 'csv') ctx.addIssue({ code: 'custom', message: '@csv_option', path: ['source', option] });
  }
  const row = (spec.quality ?? []).find((q) => q.check === 'row_count' && q.min === undefined && q.max === undefined);
  if (row) ctx.addIssue({ code: 'custom', message: '@row_count_bounds', path: ['quality'] });
  // A URL with a password is never part of a spec, wherever it is written.
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') {
      const jinja = jinjaProblem(value, path);
      if (jinja) ctx.addIssue({ code: 'custom', message: jinja, path });
      for (const finding of findSecrets(value)) {
        ctx.addIssue({ code: 'custom', message: finding.kind === 'uri' ? '@url_with_password' : '@secret_in_spec', path, params: { masked: finding.masked } });
      }
    } else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(spec, []);
});

/**
 * The columns a spec leaves out or keeps on purpose: each must be a source column (when they are known), none
 * both, and none left out that the load or a check needs.
 */
function checkColumnChoices(spec: Partial<PipelineSpec>, ctx: z.core.$RefinementCtx): void {
  const source = spec.source ?? {};
  const known = source.columns?.map((c) => c.name);
  const excluded = new Set(source.exclude_columns ?? []);
  for (const field of ['exclude_columns', 'keep_sensitive'] as const) {
    // The message names the column, so the error names the field rather than a position in it.
    for (const name of source[field] ?? []) {
      if (known && !known.includes(name)) {
        ctx.addIssue({ code: 'custom', message: '@not_a_source_column', path: ['source', field], params: { column: name, suggestion: closestName(name, known) } });
      } else if (field === 'keep_sensitive' && excluded.has(name)) {
        ctx.addIssue({ code: 'custom', message: '@excluded_and_kept', path: ['source', field], params: { column: name } });
      }
    }
  }
  if (!excluded.size) return;
  const needs = (path: Array<string | number>, names: Array<string | undefined>) => {
    for (const name of names) if (name && excluded.has(name)) ctx.addIssue({ code: 'custom', message: '@uses_excluded_column', path, params: { column: name } });
  };
  needs(['load', 'watermark'], [spec.load?.watermark]);
  needs(['load', 'keys'], spec.load?.keys ?? []);
  needs(['target', 'partition_by'], spec.target?.partition_by ?? []);
  (spec.quality ?? []).forEach((check, i) => {
    if ('columns' in check) needs(['quality', i], check.columns);
    if ('column' in check) needs(['quality', i], [check.column]);
  });
}

/** The leaf fields a patch may set, as dotted paths (objects are walked; lists and scalars are leaves). */
export const FIELD_PATHS: string[] = (() => {
  const paths: string[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [key, schema] of Object.entries(shape)) {
      const inner = unwrap(schema);
      const path = prefix ? `${prefix}.${key}` : key;
      if (inner instanceof z.ZodObject && key !== 'pagination') walk(inner.shape as Record<string, z.ZodType>, path);
      else paths.push(path);
    }
  };
  walk(specShape as unknown as Record<string, z.ZodType>, '');
  return paths;
})();

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { def?: { innerType?: z.ZodType } };
  while (current.def?.innerType) current = current.def.innerType as typeof current;
  return current;
}

/** The schema of one leaf field (for checking a patch value before it is merged). */
export function fieldSchema(path: string): z.ZodType | undefined {
  let node: z.ZodType | undefined = z.strictObject(specShape);
  for (const key of path.split('.')) {
    const inner: z.ZodType | undefined = node ? unwrap(node) : undefined;
    if (!(inner instanceof z.ZodObject)) return undefined;
    node = (inner.shape as Record<string, z.ZodType>)[key];
  }
  return node ? unwrap(node) : undefined;
}
