// PostgreSQL, through pg: every transaction of the session is read-only and every statement times out
// (both set when the connection starts, before the first query).
import pg from 'pg';
import type { SourceConnection } from './connections.ts';
import { MAX_TABLES, STATEMENT_TIMEOUT_MS, type SourceInspector, type TableInfo, type TableRef } from './types.ts';

export async function openPostgres(connection: SourceConnection): Promise<SourceInspector> {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user: connection.login,
    password: connection.password,
    database: connection.database,
    connectionTimeoutMillis: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 2_000,
    application_name: 'dagwright-introspection',
    options: `-c default_transaction_read_only=on -c statement_timeout=${STATEMENT_TIMEOUT_MS}`,
    ssl: connection.extra.sslmode && connection.extra.sslmode !== 'disable' ? { rejectUnauthorized: connection.extra.sslmode === 'verify-full' } : undefined,
  });
  client.on('error', () => undefined);
  await client.connect();
  const ident = (name: string) => client.escapeIdentifier(name);
  const qualified = (t: TableInfo) => `${ident(t.schema ?? 'public')}.${ident(t.name)}`;

  return {
    async version() {
      return (await client.query<{ version: string }>('SELECT version()')).rows[0]!.version;
    },
    async listTables(schema) {
      const result = await client.query<{ table_schema: string; table_name: string; table_type: string }>(
        `SELECT table_schema, table_name, table_type FROM information_schema.tables
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND ($1::text IS NULL OR table_schema = $1)
         ORDER BY 1, 2 LIMIT ${MAX_TABLES}`,
        [schema ?? null],
      );
      return result.rows.map((r) => ({ schema: r.table_schema, name: r.table_name, kind: r.table_type === 'VIEW' ? ('view' as const) : ('table' as const) }));
    },
    async describe(ref: TableRef) {
      const schema = ref.schema ?? 'public';
      const table = await client.query<{ oid: number; relkind: string; comment: string | null }>(
        `SELECT c.oid, c.relkind, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
        [schema, ref.name],
      );
      const row = table.rows[0];
      if (!row) return undefined;
      const columns = await client.query<{ name: string; type: string; nullable: boolean; comment: string | null; default: string | null }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
                col_description(a.attrelid, a.attnum) AS comment, pg_get_expr(d.adbin, d.adrelid) AS default
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [row.oid],
      );
      const indexes = await client.query<{ name: string; unique: boolean; primary: boolean; columns: string[] }>(
        `SELECT i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
                array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid WHERE ix.indrelid = $1 ORDER BY i.relname`,
        [row.oid],
      );
      const primary = indexes.rows.find((i) => i.primary);
      return {
        schema,
        name: ref.name,
        kind: row.relkind === 'v' || row.relkind === 'm' ? 'view' : 'table',
        comment: row.comment ?? undefined,
        columns: columns.rows.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, comment: c.comment ?? undefined, default: c.default ?? undefined })),
        primaryKey: primary?.columns ?? [],
        indexes: indexes.rows.map((i) => ({ name: i.name, columns: i.columns, unique: i.unique, primary: i.primary })),
      };
    },
    async sample(table, limit) {
      const result = await client.query({ text: `SELECT * FROM ${qualified(table)} LIMIT $1`, values: [limit], rowMode: 'array' });
      const columns = result.fields.map((f) => f.name);
      return { columns, rows: (result.rows as unknown[][]).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) };
    },
    async estimateRows(table) {
      const stats = await client.query<{ reltuples: number }>(
        `SELECT c.reltuples::float8 AS reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
        [table.schema ?? 'public', table.name],
      );
      const estimate = stats.rows[0]?.reltuples ?? -1;
      // Never analysed (-1) or a view: counted, within the statement timeout.
      if (estimate >= 0 && table.kind === 'table') return { rows: Math.round(estimate), method: 'statistics' };
      const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(table)}`);
      return { rows: Number(count.rows[0]!.n), method: 'count' };
    },
    async minMax(table, column) {
      const result = await client.query<{ min: string | null; max: string | null }>(`SELECT min(${ident(column)})::text AS min, max(${ident(column)})::text AS max FROM ${qualified(table)}`);
      return result.rows[0]!;
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
