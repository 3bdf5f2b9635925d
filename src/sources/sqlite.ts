// SQLite, through better-sqlite3, in a child process: the file is opened read-only (it must exist) with
// query_only on, and a statement still running after 10 s is stopped by killing the process. (better-sqlite3
// runs a statement synchronously in native code: neither a timer nor ending a worker thread can stop it.)
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ChildRpc, ChildTimeout } from '../child-rpc.ts';
import type { SourceConnection } from './connections.ts';
import { ConnectionError } from './connections.ts';
import { MAX_TABLES, STATEMENT_TIMEOUT_MS, type SourceInspector, type TableInfo, type TableRef } from './types.ts';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The inspection, on the worker's side. */
export function sqliteInspection(file: string): SourceInspector {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');

  return {
    async version() {
      return `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}`;
    },
    async listTables() {
      const rows = db.prepare(`SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT ${MAX_TABLES}`).all() as Array<{ name: string; type: string }>;
      return rows.map((r) => ({ name: r.name, kind: r.type === 'view' ? ('view' as const) : ('table' as const) }));
    },
    async describe(ref: TableRef) {
      const table = db.prepare(`SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?`).get(ref.name) as { name: string; type: string } | undefined;
      if (!table) return undefined;
      const columns = db.prepare('SELECT name, type, "notnull" AS not_null, dflt_value AS dflt, pk FROM pragma_table_info(?)').all(ref.name) as Array<{ name: string; type: string; not_null: number; dflt: string | null; pk: number }>;
      const indexList = db.prepare('SELECT name, "unique" AS isUnique, origin FROM pragma_index_list(?)').all(ref.name) as Array<{ name: string; isUnique: number; origin: string }>;
      const indexes = indexList.map((i) => ({
        name: i.name,
        columns: (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(i.name) as Array<{ name: string }>).map((c) => c.name),
        unique: i.isUnique === 1,
        primary: i.origin === 'pk',
      }));
      const primaryKey = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      // An INTEGER PRIMARY KEY is the rowid: indexed without an index of its own.
      if (primaryKey.length && !indexes.some((i) => i.primary)) indexes.push({ name: 'rowid', columns: primaryKey, unique: true, primary: true });
      return {
        name: ref.name,
        kind: table.type === 'view' ? 'view' : 'table',
        columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.not_null === 0 && c.pk === 0, default: c.dflt ?? undefined })),
        primaryKey,
        indexes,
      } satisfies TableInfo;
    },
    async sample(table, limit) {
      const statement = db.prepare(`SELECT * FROM ${quote(table.name)} LIMIT ?`);
      const rows = statement.all(limit) as Array<Record<string, unknown>>;
      return { columns: statement.columns().map((c) => c.name), rows };
    },
    async estimateRows(table) {
      if (table.kind === 'table') {
        try {
          const row = db.prepare(`SELECT max(_rowid_) AS n FROM ${quote(table.name)}`).get() as { n: number | null };
          return { rows: row.n ?? 0, method: 'statistics' };
        } catch {
          // A WITHOUT ROWID table: counted.
        }
      }
      return { rows: (db.prepare(`SELECT count(*) AS n FROM ${quote(table.name)}`).get() as { n: number }).n, method: 'count' };
    },
    async minMax(table, column) {
      const row = db.prepare(`SELECT CAST(min(${quote(column)}) AS TEXT) AS min, CAST(max(${quote(column)}) AS TEXT) AS max FROM ${quote(table.name)}`).get() as { min: string | null; max: string | null };
      return row;
    },
    async close() {
      db.close();
    },
  };
}

export async function openSqlite(connection: SourceConnection): Promise<SourceInspector> {
  if (!connection.path) throw new ConnectionError(`${connection.connId}: the SQLite connection names no database file`);
  const child = new ChildRpc(fileURLToPath(new URL('./sqlite-child.ts', import.meta.url)), [connection.path]);
  const call = async <T>(method: keyof SourceInspector, ...args: unknown[]): Promise<T> => {
    try {
      return await child.request<T>({ method, args }, STATEMENT_TIMEOUT_MS);
    } catch (err) {
      // Told as the databases with a statement timeout tell it.
      if (err instanceof ChildTimeout) throw Object.assign(new Error('statement timeout'), { code: 'ER_STATEMENT_TIMEOUT' });
      throw err;
    }
  };
  try {
    // The file opens (or fails to) before the inspector is handed out.
    await call('version');
  } catch (err) {
    child.kill();
    throw err;
  }
  return {
    version: () => call('version'),
    listTables: (schema) => call('listTables', schema),
    describe: (ref) => call('describe', ref),
    sample: (table, limit) => call('sample', table, limit),
    estimateRows: (table) => call('estimateRows', table),
    minMax: (table, column) => call('minMax', table, column),
    close: async () => child.kill(),
  };
}
