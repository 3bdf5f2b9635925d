// Source introspection, the operations the bot (and any MCP client) can ask for: test a connection, list
// tables, describe one, sample rows (masked and cut short), estimate rows, find watermark candidates, and
// propose the target's DDL in a pack's dialect. Errors are told in plain words, redacted.
import { defaultRepoConfig, type RepoConfig } from '../pipeline-spec/repo-config.ts';
import { redact } from '../redact.ts';
import { renderPipeline } from '../render/render.ts';
import type { SourceFacts } from '../pipeline-spec/source-facts.ts';
import { isSensitiveColumn } from '../pipeline-spec/sensitive-columns.ts';
import { specFromObject } from '../pipeline-spec/standalone.ts';
import { ConnectionError, connectionFor, connectionVariable, type SourceConnection } from './connections.ts';
import { openClickhouse } from './clickhouse.ts';
import { openMysql } from './mysql.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';
import { parseTableRef, type ColumnInfo, type SourceInspector, type TableInfo } from './types.ts';

export const MAX_SAMPLE_ROWS = 20;
const MAX_VALUE_LENGTH = 120;

/** Why a source could not be inspected, in words a data engineer can act on (never a password). */
export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(redact(message), options);
    this.name = 'SourceError';
  }
}

const openers: Record<SourceConnection['kind'], (c: SourceConnection) => Promise<SourceInspector>> = {
  postgres: openPostgres,
  mysql: openMysql,
  sqlite: openSqlite,
  clickhouse: openClickhouse,
};

export function describeSourceError(err: unknown, connection?: SourceConnection): string {
  const e = err as { code?: string; errno?: number; message?: string };
  const where = connection?.host ? `${connection.host}${connection.port ? `:${connection.port}` : ''}` : 'the server';
  switch (e.code) {
    case 'ECONNREFUSED':
      return `nothing answers at ${where} (connection refused)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host ${connection?.host ?? ''} is not known`;
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return `${where} did not answer in time`;
    case '28P01':
    case '28000':
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return 'the login or password was refused';
    case '3D000':
    case 'ER_BAD_DB_ERROR':
      return `the database ${connection?.database ?? ''} does not exist`;
    case '57014':
    case 'ER_QUERY_TIMEOUT':
    case 'ER_STATEMENT_TIMEOUT':
      return 'a statement took longer than 10 s and was stopped';
    case '25006':
    case 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION':
      return 'the session is read-only: nothing can be written';
    case 'SQLITE_CANTOPEN':
      return `the SQLite file ${connection?.path ?? ''} cannot be opened`;
  }
  if (/max_statement_time|maximum statement execution time/i.test(e.message ?? '')) return 'a statement took longer than 10 s and was stopped';
  return (e.message ?? String(err)).split('\n')[0]!;
}

/** Runs `work` on a read-only session of the source `connId`; the session is closed afterwards. */
export async function withSource<T>(connId: string, work: (source: SourceInspector, connection: SourceConnection) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  let connection: SourceConnection | undefined;
  try {
    connection = connectionFor(connId, env);
  } catch (err) {
    throw new SourceError((err as Error).message, { cause: err });
  }
  if (!connection) throw new SourceError(`the bot was given no connection ${connId} (${connectionVariable(connId)} is not set)`);
  let source: SourceInspector;
  try {
    source = await openers[connection.kind](connection);
  } catch (err) {
    if (err instanceof ConnectionError) throw new SourceError(err.message, { cause: err });
    throw new SourceError(`cannot connect to ${connId}: ${describeSourceError(err, connection)}`, { cause: err });
  }
  try {
    return await work(source, connection);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(`${connId}: ${describeSourceError(err, connection)}`, { cause: err });
  } finally {
    await source.close();
  }
}

async function describeOrFail(source: SourceInspector, connId: string, table: string): Promise<TableInfo> {
  const info = await source.describe(parseTableRef(table));
  if (!info) throw new SourceError(`${connId} has no table or view ${table}`);
  return info;
}

function showValue(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value ?? null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  const text = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
  const clean = redact(text);
  return clean.length > MAX_VALUE_LENGTH ? `${clean.slice(0, MAX_VALUE_LENGTH)}… (${clean.length} characters)` : clean;
}

const TIMESTAMP_TYPE = /^(timestamp|datetime|date)\b|timestamp|^DateTime/i;
const INTEGER_TYPE = /^(bigint|int|integer|smallint|mediumint|serial|bigserial|int8|int4|u?int(8|16|32|64))\b/i;

function isSerial(column: ColumnInfo, table: TableInfo): boolean {
  if (!INTEGER_TYPE.test(column.type)) return false;
  return /nextval\(|identity|auto_increment/i.test(column.default ?? '') || (table.primaryKey.length === 1 && table.primaryKey[0] === column.name);
}

export type WatermarkCandidate = { column: string; type: string; kind: 'timestamp' | 'serial'; min: string | null; max: string | null };

export const operations = {
  async testConnection(connId: string, env?: NodeJS.ProcessEnv) {
    return withSource(connId, async (source, connection) => ({ connId, kind: connection.kind, version: await source.version() }), env);
  },

  async listTables(connId: string, schema?: string, env?: NodeJS.ProcessEnv) {
    return withSource(connId, (source) => source.listTables(schema), env);
  },

  async describeTable(connId: string, table: string, env?: NodeJS.ProcessEnv) {
    return withSource(connId, (source) => describeOrFail(source, connId, table), env);
  },

  async sampleRows(connId: string, table: string, limit = 10, env?: NodeJS.ProcessEnv) {
    return withSource(connId, async (source) => {
      const info = await describeOrFail(source, connId, table);
      const sample = await source.sample(info, Math.max(1, Math.min(MAX_SAMPLE_ROWS, Math.floor(limit))));
      const masked = sample.columns.filter(isSensitiveColumn);
      return {
        columns: sample.columns,
        masked,
        rows: sample.rows.map((row) => Object.fromEntries(sample.columns.map((c) => [c, masked.includes(c) && row[c] !== null ? '****' : showValue(row[c])]))),
      };
    }, env);
  },

  async estimateRows(connId: string, table: string, env?: NodeJS.ProcessEnv) {
    return withSource(connId, async (source) => source.estimateRows(await describeOrFail(source, connId, table)), env);
  },

  /** Timestamp or serial columns that lead an index (a watermark must be cheap to range over), with their range. */
  async watermarkCandidates(connId: string, table: string, env?: NodeJS.ProcessEnv): Promise<WatermarkCandidate[]> {
    return withSource(connId, async (source) => {
      const info = await describeOrFail(source, connId, table);
      return findWatermarkCandidates(source, info);
    }, env);
  },

  /** The target's CREATE TABLE as the pack would write it, from the source table's columns. */
  async proposeTargetDdl(connId: string, table: string, target: DdlTarget, env?: NodeJS.ProcessEnv) {
    return withSource(
      connId,
      async (source, connection) => {
        const info = await describeOrFail(source, connId, table);
        // An incremental load without a watermark given takes the best indexed candidate, as the card suggests.
        const needsWatermark = target.strategy === 'incremental' && !target.watermark;
        const watermark = needsWatermark ? (await findWatermarkCandidates(source, info))[0]?.column : target.watermark;
        if (needsWatermark && !watermark) {
          throw new SourceError(`an incremental load needs a watermark, and ${table} has no indexed timestamp or serial column: pass \`watermark\` (the column that tells new rows from old ones)`);
        }
        return targetDdl(info, { connId, sourceType: connection.kind, sourceTable: table, ...target, watermark });
      },
      env,
    );
  },
};

/** What the card shows of a source table: its columns and key, its size, its watermark candidates. */
export async function inspectForCard(connId: string, table: string, env: NodeJS.ProcessEnv = process.env): Promise<SourceFacts> {
  const at = Date.now();
  if (!env[connectionVariable(connId)]?.trim()) return { connId, table, at, notGiven: true, error: `the bot was given no ${connectionVariable(connId)}` };
  try {
    return await withSource(connId, async (source) => {
      const info = await describeOrFail(source, connId, table);
      const estimate = await source.estimateRows(info);
      const watermarks = await findWatermarkCandidates(source, info);
      return {
        connId,
        table,
        at,
        columns: info.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, ...(info.primaryKey.includes(c.name) ? { key: true } : {}), ...(c.comment ? { comment: c.comment } : {}) })),
        primaryKey: info.primaryKey,
        rows: estimate.rows,
        watermarks: watermarks.map((w) => ({ column: w.column, kind: w.kind, min: w.min, max: w.max })),
      };
    }, env);
  } catch (err) {
    return { connId, table, at, error: err instanceof SourceError ? err.message : redact(describeSourceError(err)) };
  }
}

export async function findWatermarkCandidates(source: SourceInspector, info: TableInfo): Promise<WatermarkCandidate[]> {
  const leading = new Set(info.indexes.map((i) => i.columns[0]).filter((c): c is string => !!c));
  const candidates: WatermarkCandidate[] = [];
  for (const column of info.columns) {
    const kind = TIMESTAMP_TYPE.test(column.type) ? 'timestamp' : isSerial(column, info) ? 'serial' : undefined;
    if (!kind || !leading.has(column.name)) continue;
    const range = await source.minMax(info, column.name);
    candidates.push({ column: column.name, type: column.type, kind, ...range });
  }
  // A column that changes on update is the better watermark; then timestamps before serials.
  const rank = (c: WatermarkCandidate) => (/updat|modif|chang/i.test(c.column) ? 0 : c.kind === 'timestamp' ? 1 : 2);
  return candidates.sort((a, b) => rank(a) - rank(b));
}

export type DdlTarget = { table: string; pack?: string; strategy?: string; watermark?: string; keys?: string[]; location?: string };

export function targetDdl(
  info: TableInfo,
  input: { connId: string; sourceType: string; sourceTable: string } & DdlTarget,
  config: RepoConfig = defaultRepoConfig,
): string {
  const strategy = input.strategy ?? 'overwrite';
  const keys = input.keys?.length ? input.keys : info.primaryKey;
  if (strategy === 'scd2' && !keys.length) {
    throw new SourceError(`scd2 keeps the history of each row by its key, and ${input.sourceTable} has no primary key: pass \`keys\` (the columns that identify a row)`);
  }
  const [schema = 'schema', name = 'table'] = input.table.split('.');
  const placeholder = input.pack === 'spark-docker' && !input.location ? `s3a://your-lake/${schema}/${name}` : undefined;
  const object = {
    dag_id: 'ddl_proposal',
    description: 'DDL proposal',
    schedule: '@daily',
    start_date: '2026-01-01',
    pack: input.pack ?? config.pack,
    source: {
      type: input.sourceType,
      conn_id: input.connId,
      table: input.sourceTable,
      columns: info.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, ...(info.primaryKey.includes(c.name) ? { key: true } : {}) })),
    },
    target: { conn_id: 'target', table: input.table, ...(input.pack === 'spark-docker' ? { location: input.location ?? placeholder } : {}) },
    load: { strategy, ...(keys.length ? { keys } : {}), ...(input.watermark ? { watermark: input.watermark } : {}) },
  };
  const checked = specFromObject(object, config);
  if ('problems' in checked) throw new SourceError(`no DDL can be proposed: ${checked.problems.join('; ')}`);
  const rendered = renderPipeline(checked.spec, config, { today: '2026-01-01' });
  const ddl = rendered.files.find((f) => /(^|\/)ddl\.sql$/.test(f.path));
  if (!ddl) throw new SourceError(`the pack ${object.pack} writes no DDL file`);
  return placeholder ? `-- LOCATION below is a placeholder: pass \`location\` (the table's folder in the lake, s3a://…) for the real one.\n${ddl.content}` : ddl.content;
}
