// ClickHouse, through its HTTP interface: every query runs with readonly=2 (reads only; settings may still
// be given) and max_execution_time, values and identifiers are bound as query parameters
// ({name:String}, {name:Identifier}), and results are capped by max_result_rows.
import type { SourceConnection } from './connections.ts';
import { MAX_TABLES, STATEMENT_TIMEOUT_MS, type SourceInspector, type TableInfo, type TableRef } from './types.ts';

type JsonResult = { meta: Array<{ name: string; type: string }>; data: Array<Record<string, unknown>> };

export async function openClickhouse(connection: SourceConnection): Promise<SourceInspector> {
  const protocol = connection.extra.protocol === 'https' || connection.extra.secure === 'true' || connection.extra.secure === true ? 'https' : 'http';
  const base = `${protocol}://${connection.host ?? 'localhost'}:${connection.port ?? (protocol === 'https' ? 8443 : 8123)}/`;
  const database = connection.database ?? 'default';

  async function query(sql: string, params: Record<string, string | number> = {}): Promise<JsonResult> {
    const url = new URL(base);
    url.searchParams.set('database', database);
    url.searchParams.set('readonly', '2');
    url.searchParams.set('max_execution_time', String(STATEMENT_TIMEOUT_MS / 1000));
    url.searchParams.set('max_result_rows', '10000');
    url.searchParams.set('result_overflow_mode', 'break');
    url.searchParams.set('default_format', 'JSON');
    for (const [name, value] of Object.entries(params)) url.searchParams.set(`param_${name}`, String(value));
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (connection.login) headers['X-ClickHouse-User'] = connection.login;
    if (connection.password) headers['X-ClickHouse-Key'] = connection.password;
    const response = await fetch(url, { method: 'POST', body: sql, headers, signal: AbortSignal.timeout(STATEMENT_TIMEOUT_MS + 2_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`ClickHouse answered ${response.status}: ${text.trim().split('\n')[0]}`);
    return JSON.parse(text) as JsonResult;
  }

  return {
    async version() {
      return `ClickHouse ${String((await query('SELECT version() AS v')).data[0]!.v)}`;
    },
    async listTables(schema) {
      const result = await query(`SELECT database, name, engine FROM system.tables WHERE database = {db:String} ORDER BY name LIMIT ${MAX_TABLES}`, { db: schema ?? database });
      return result.data.map((r) => ({ schema: String(r.database), name: String(r.name), kind: /View/.test(String(r.engine)) ? ('view' as const) : ('table' as const) }));
    },
    async describe(ref: TableRef) {
      const db = ref.schema ?? database;
      const table = (await query('SELECT engine, comment, sorting_key, primary_key FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db, t: ref.name })).data[0];
      if (!table) return undefined;
      const columns = (await query(
        'SELECT name, type, comment FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
        { db, t: ref.name },
      )).data;
      // The keys in their own order (a range is cheap on the sorting key's first column only).
      const keyColumns = (expression: unknown) => String(expression ?? '').split(',').map((c) => c.trim()).filter((c) => columns.some((col) => col.name === c));
      const primaryKey = keyColumns(table.primary_key);
      const sorting = keyColumns(table.sorting_key);
      return {
        schema: db,
        name: ref.name,
        kind: /View/.test(String(table.engine)) ? 'view' : 'table',
        comment: String(table.comment ?? '') || undefined,
        columns: columns.map((c) => ({ name: String(c.name), type: String(c.type), nullable: /^Nullable\(/.test(String(c.type)), comment: String(c.comment ?? '') || undefined })),
        primaryKey,
        indexes: sorting.length ? [{ name: 'sorting key', columns: sorting, unique: false, primary: true }] : [],
      } satisfies TableInfo;
    },
    async sample(table, limit) {
      const result = await query('SELECT * FROM {db:Identifier}.{t:Identifier} LIMIT {n:UInt32}', { db: table.schema ?? database, t: table.name, n: limit });
      return { columns: result.meta.map((m) => m.name), rows: result.data };
    },
    async estimateRows(table) {
      const row = (await query('SELECT total_rows FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: table.schema ?? database, t: table.name })).data[0];
      if (row && row.total_rows !== null && row.total_rows !== undefined) return { rows: Number(row.total_rows), method: 'statistics' };
      const count = (await query('SELECT count() AS n FROM {db:Identifier}.{t:Identifier}', { db: table.schema ?? database, t: table.name })).data[0]!;
      return { rows: Number(count.n), method: 'count' };
    },
    async minMax(table, column) {
      const row = (await query('SELECT toString(min({c:Identifier})) AS min, toString(max({c:Identifier})) AS max FROM {db:Identifier}.{t:Identifier}', { c: column, db: table.schema ?? database, t: table.name })).data[0]!;
      return { min: row.min === null ? null : String(row.min), max: row.max === null ? null : String(row.max) };
    },
    async close() {},
  };
}
