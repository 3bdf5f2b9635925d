// MySQL and MariaDB, through mysql2: the session's transactions are read-only and statements time out
// (max_statement_time on MariaDB, max_execution_time on MySQL), both set before the first query.
import mysql from 'mysql2/promise';
import type { SourceConnection } from './connections.ts';
import { MAX_TABLES, STATEMENT_TIMEOUT_MS, type SourceInspector, type TableInfo, type TableRef } from './types.ts';

const SYSTEM_SCHEMAS = ['information_schema', 'mysql', 'performance_schema', 'sys'];

export async function openMysql(connection: SourceConnection): Promise<SourceInspector> {
  const db = await mysql.createConnection({
    host: connection.host,
    port: connection.port,
    user: connection.login,
    password: connection.password,
    database: connection.database,
    connectTimeout: STATEMENT_TIMEOUT_MS,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
  });
  db.on('error', () => undefined);
  const [[{ version }]] = (await db.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  const mariadb = /mariadb/i.test(version);
  await db.query(mariadb ? `SET SESSION max_statement_time = ${STATEMENT_TIMEOUT_MS / 1000}` : `SET SESSION max_execution_time = ${STATEMENT_TIMEOUT_MS}`);
  await db.query('SET SESSION TRANSACTION READ ONLY');
  const run = async <T>(sql: string, values: unknown[] = []) => (await db.query({ sql, values, timeout: STATEMENT_TIMEOUT_MS + 2_000 }))[0] as T;
  const schemaOf = (ref: { schema?: string }) => ref.schema ?? connection.database;
  const qualified = (t: TableInfo) => `${mysql.escapeId(t.schema!)}.${mysql.escapeId(t.name)}`;

  return {
    async version() {
      return version;
    },
    async listTables(schema) {
      const rows = await run<Array<{ s: string; n: string; t: string }>>(
        `SELECT table_schema AS s, table_name AS n, table_type AS t FROM information_schema.tables
         WHERE table_schema NOT IN (?) AND (? IS NULL OR table_schema = ?) ORDER BY 1, 2 LIMIT ${MAX_TABLES}`,
        [SYSTEM_SCHEMAS, schema ?? null, schema ?? null],
      );
      return rows.map((r) => ({ schema: r.s, name: r.n, kind: r.t === 'VIEW' ? ('view' as const) : ('table' as const) }));
    },
    async describe(ref: TableRef) {
      const schema = schemaOf(ref);
      if (!schema) return undefined;
      const [table] = await run<Array<{ t: string; c: string | null }>>('SELECT table_type AS t, table_comment AS c FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [schema, ref.name]);
      if (!table) return undefined;
      const columns = await run<Array<{ name: string; type: string; nullable: string; comment: string; dflt: string | null }>>(
        `SELECT column_name AS name, column_type AS type, is_nullable AS nullable, column_comment AS comment, column_default AS dflt
         FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position`,
        [schema, ref.name],
      );
      const stats = await run<Array<{ name: string; nonUnique: number | string; col: string }>>(
        `SELECT index_name AS name, non_unique AS nonUnique, column_name AS col FROM information_schema.statistics
         WHERE table_schema = ? AND table_name = ? ORDER BY index_name, seq_in_index`,
        [schema, ref.name],
      );
      const byName = new Map<string, { columns: string[]; unique: boolean }>();
      for (const s of stats) {
        const index = byName.get(s.name) ?? { columns: [], unique: Number(s.nonUnique) === 0 };
        index.columns.push(s.col);
        byName.set(s.name, index);
      }
      const indexes = [...byName].map(([name, i]) => ({ name, columns: i.columns, unique: i.unique, primary: name === 'PRIMARY' }));
      return {
        schema,
        name: ref.name,
        kind: table.t === 'VIEW' ? 'view' : 'table',
        comment: table.c || undefined,
        columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable === 'YES', comment: c.comment || undefined, default: c.dflt ?? undefined })),
        primaryKey: indexes.find((i) => i.primary)?.columns ?? [],
        indexes,
      };
    },
    async sample(table, limit) {
      const [rows, fields] = (await db.query({ sql: `SELECT * FROM ${qualified(table)} LIMIT ?`, values: [limit], timeout: STATEMENT_TIMEOUT_MS + 2_000 })) as unknown as [Array<Record<string, unknown>>, Array<{ name: string }>];
      return { columns: fields.map((f) => f.name), rows };
    },
    async estimateRows(table) {
      const [row] = await run<Array<{ n: string | null }>>('SELECT table_rows AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [table.schema, table.name]);
      if (row?.n !== null && row?.n !== undefined && table.kind === 'table') return { rows: Number(row.n), method: 'statistics' };
      const [count] = await run<Array<{ n: string }>>(`SELECT count(*) AS n FROM ${qualified(table)}`);
      return { rows: Number(count!.n), method: 'count' };
    },
    async minMax(table, column) {
      const [row] = await run<Array<{ min: string | null; max: string | null }>>(
        `SELECT CAST(min(${mysql.escapeId(column)}) AS CHAR) AS min, CAST(max(${mysql.escapeId(column)}) AS CHAR) AS max FROM ${qualified(table)}`,
      );
      return row!;
    },
    async close() {
      await db.end().catch(() => undefined);
    },
  };
}
