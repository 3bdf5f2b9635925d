// The store the tests run against: SQLite by default, the machine's PostgreSQL with DAGWRIGHT_TEST_STORE=postgres
// (npm test runs the bot's suites both ways). Each PostgreSQL store gets a schema of its own in the test
// database, dropped when the test is done with it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store, StoreEngine } from '../../src/store/store.ts';

export const TEST_PG_URL = process.env.DAGWRIGHT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The engine the bot's suites use in this run. */
export const testStoreEngine: StoreEngine = process.env.DAGWRIGHT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

let counter = 0;

/**
 * False when PostgreSQL answers; otherwise why not (tests skip with it, and print it) — except in CI, where a
 * server that is down is an error.
 */
export async function postgresUnavailable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (err) {
    const reason = `PostgreSQL at ${TEST_PG_URL} is not reachable (${(err as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL: ${reason}`);
    console.log(`# skipped: ${reason}`);
    return reason;
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export type TestDatabase = { url: string; schema: string; drop(): Promise<void> };

/** A new, empty schema in the test database, and the DATABASE_URL that uses it. */
export async function freshPostgres(label = 'store'): Promise<TestDatabase> {
  const schema = `dwt_${label.replace(/\W/g, '_')}_${process.pid}_${++counter}`;
  await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`));
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), schema, drop: () => admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined) };
}

const databaseOfDataDir = new Map<string, TestDatabase>();
// The schemas a test file's bots used go when its process does.
process.once('beforeExit', () => void Promise.all([...databaseOfDataDir.values()].map((db) => db.drop().catch(() => undefined))));

/**
 * The DATABASE_URL for a bot with this DATA_DIR when the run's engine is PostgreSQL (undefined on SQLite): a new
 * schema the first time, the same one when the bot starts again on that DATA_DIR (a restart).
 */
export async function testDatabaseUrlFor(dataDir: string): Promise<string | undefined> {
  if (testStoreEngine !== 'postgres') return undefined;
  let db = databaseOfDataDir.get(dataDir);
  if (!db) databaseOfDataDir.set(dataDir, (db = await freshPostgres('bot')));
  return db.url;
}

const quiet = createLogger('silent');

/** Rows of a query on the store a `dagwright serve` used (by its DATA_DIR and DATABASE_URL), read after it stopped. */
export async function queryServedStore<T>(env: Record<string, string>, sql: string, params: unknown[] = []): Promise<T[]> {
  const store = await openStore({ dataDir: env.DATA_DIR!, databaseUrl: env.DATABASE_URL }, quiet);
  try {
    return await store.query<T>(sql, params);
  } finally {
    await store.close();
  }
}

export type TestStore = { store: Store; reopen(): Promise<Store>; dispose(): Promise<void> };

/** A store of the given engine, empty, that can be closed and opened again (a restart) and is removed after. */
export async function openTestStore(engine: StoreEngine): Promise<TestStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-store-'));
  const db = engine === 'postgres' ? await freshPostgres() : undefined;
  const open = () => openStore({ dataDir, databaseUrl: db?.url }, quiet);
  let store = await open();
  return {
    get store() {
      return store;
    },
    reopen: async () => (store = await open()),
    dispose: async () => {
      await store.close().catch(() => undefined);
      await db?.drop();
    },
  };
}
