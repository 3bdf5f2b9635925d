// The PostgreSQL store's schema against the machine's PostgreSQL: one migration runner that replicas starting
// together may all run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migratePostgres, NewerSchemaError, PG_MIGRATIONS } from '../src/store/pg-migrate.ts';

const URL = process.env.DAGWRIGHT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (err) {
    const reason = `PostgreSQL at ${URL} is not reachable (${(err as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL: ${reason}`);
    console.log(`# skipped: ${reason}`);
    return reason;
  }
}

const skip = await reachable();

describe('the PostgreSQL schema', { skip }, () => {
  const schema = `dw_store_${process.pid}`;
  const pools: pg.Pool[] = [];
  const pool = () => {
    const made = new pg.Pool({ connectionString: URL, max: 2, options: `-c search_path=${schema}` });
    pools.push(made);
    return made;
  };
  let admin: pg.Client;
  before(async () => {
    admin = new pg.Client({ connectionString: URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  });
  after(async () => {
    for (const p of pools) await p.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  test('replicas starting at once migrate it once: one applies every version, the others wait and find nothing to do', async () => {
    const results = await Promise.all([pool(), pool(), pool()].map((p) => migratePostgres(p)));
    const all = PG_MIGRATIONS.map((_, i) => i + 1);
    assert.deepEqual(results.filter((applied) => applied.length).length, 1, JSON.stringify(results));
    assert.deepEqual(results.find((applied) => applied.length), all);
    const { rows } = await admin.query(`SELECT version FROM ${schema}.dagwright_schema ORDER BY version`);
    assert.deepEqual(rows.map((r) => r.version), all);
    const tables = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
    assert.deepEqual(tables.rows.map((r) => r.table_name), ['bot_notes', 'conversations', 'dagwright_schema', 'deliveries', 'deploy_watches', 'jobs', 'reported_problems']);
    assert.deepEqual(await migratePostgres(pool()), [], 'a later start changes nothing');
  });

  test('a migration that fails leaves the schema as it was; a database from a newer Dagwright is refused with what to do', async () => {
    const broken = [...PG_MIGRATIONS, 'CREATE TABLE extra (id int); SELECT no_such_function();'];
    await assert.rejects(migratePostgres(pool(), broken), /no_such_function/);
    const extra = await admin.query(`SELECT to_regclass('${schema}.extra') AS found`);
    assert.equal(extra.rows[0].found, null, 'the failed migration left nothing');
    await admin.query(`INSERT INTO ${schema}.dagwright_schema (version) VALUES (${PG_MIGRATIONS.length + 5})`);
    const expected = `schema ${PG_MIGRATIONS.length + 5}, this one knows ${PG_MIGRATIONS.length}): upgrade Dagwright, or point DATABASE_URL elsewhere`;
    await assert.rejects(migratePostgres(pool()), (err: unknown) => err instanceof NewerSchemaError && (err as Error).message.includes(expected));
  });
});
