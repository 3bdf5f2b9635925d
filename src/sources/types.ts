// What every source inspector answers, whatever the database behind it.

export type TableRef = { schema?: string; name: string };

export type ColumnInfo = { name: string; type: string; nullable: boolean; comment?: string; default?: string };
export type IndexInfo = { name: string; columns: string[]; unique: boolean; primary: boolean };
export type TableInfo = {
  schema?: string;
  name: string;
  kind: 'table' | 'view';
  comment?: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  indexes: IndexInfo[];
};

export type RowSample = { columns: string[]; rows: Array<Record<string, unknown>> };

/**
 * A read-only session on one source. Every statement is built from catalog facts with bound parameters and
 * quoted identifiers, runs with a statement timeout, and returns bounded results.
 */
export interface SourceInspector {
  /** The server's version: the connection works. */
  version(): Promise<string>;
  listTables(schema?: string): Promise<Array<{ schema?: string; name: string; kind: 'table' | 'view' }>>;
  /** Undefined when there is no such table or view. */
  describe(table: TableRef): Promise<TableInfo | undefined>;
  /** Rows of a table the caller has described (so its name is a catalog fact). */
  sample(table: TableInfo, limit: number): Promise<RowSample>;
  estimateRows(table: TableInfo): Promise<{ rows: number; method: 'statistics' | 'count' }>;
  minMax(table: TableInfo, column: string): Promise<{ min: string | null; max: string | null }>;
  close(): Promise<void>;
}

export const STATEMENT_TIMEOUT_MS = 10_000;
export const MAX_TABLES = 1_000;

/** `schema.table` or `table` → a reference (quotes are not part of names here). */
export function parseTableRef(text: string): TableRef {
  const trimmed = text.trim();
  const dot = trimmed.lastIndexOf('.');
  return dot > 0 ? { schema: trimmed.slice(0, dot), name: trimmed.slice(dot + 1) } : { name: trimmed };
}
