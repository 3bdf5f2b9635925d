// The machine's PostgreSQL and MariaDB as sources and targets of generated pipelines: admin connections of
// the tests' own, and rows read back as plain values (text for timestamps and decimals, booleans as such)
// so that both engines compare alike.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MARIADB, PG_URL } from './source-fixtures.ts';

export type Engine = 'postgres' | 'mariadb';
export type Row = Record<string, string | number | boolean | null>;

/** Airflow connection URIs for the same servers. */
export const AIRFLOW_URIS: Record<Engine, string> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
  mariadb: 'mysql://root@127.0.0.1:3306/test',
};

const TEXT_TYPES = new Set([1082, 1083, 1114, 1184, 1700]); // date, time, timestamp, timestamptz, numeric

export interface Database {
  engine: Engine;
  exec(sql: string): Promise<void>;
  rows(sql: string): Promise<Row[]>;
  /** Drops and creates a schema (a database in MariaDB). */
  resetSchema(name: string): Promise<void>;
  close(): Promise<void>;
}

function normalize(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.replace(/(\d{2}:\d{2}:\d{2})(\.0+)?(\+00(:00)?)?$/, '$1');
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

export async function connect(engine: Engine): Promise<Database> {
  if (engine === 'postgres') {
    const client = new pg.Client({
      connectionString: PG_URL,
      types: { getTypeParser: ((oid: number, format: 'text' | 'binary') => (TEXT_TYPES.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    });
    await client.connect();
    await client.query("SET TIME ZONE 'UTC'");
    return {
      engine,
      exec: async (sql) => void (await client.query(sql)),
      rows: async (sql) => (await client.query(sql)).rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normalize(v)]))),
      resetSchema: async (name) => void (await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`)),
      close: () => client.end(),
    };
  }
  const db = await mysql.createConnection({ ...MARIADB, dateStrings: true, decimalNumbers: false, multipleStatements: true, timezone: 'Z', charset: 'utf8mb4' });
  await db.query("SET time_zone = '+00:00'");
  return {
    engine,
    exec: async (sql) => void (await db.query(sql)),
    rows: async (sql) => ((await db.query(sql))[0] as Array<Record<string, unknown>>).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normalize(v)]))),
    resetSchema: async (name) => void (await db.query(`DROP DATABASE IF EXISTS ${name}; CREATE DATABASE ${name} CHARACTER SET utf8mb4`)),
    close: () => db.end(),
  };
}
