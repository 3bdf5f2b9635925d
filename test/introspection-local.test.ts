// Introspection of SQLite (always: a file the test writes) and of ClickHouse through a local stand-in of its
// HTTP interface (no ClickHouse server is on the machines: the stand-in answers as ClickHouse documents it).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { connectionFor } from '../src/sources/connections.ts';
import { operations, SourceError } from '../src/sources/introspect.ts';
import { startClickhouseStandIn, type ClickhouseStandIn } from './support/clickhouse-standin.ts';
import { tempDir } from './support/harness.ts';

describe('introspection of SQLite', () => {
  const file = path.join(tempDir(), 'shop.db');
  const env = { AIRFLOW_CONN_SHOP_LITE: `sqlite:///${file}` };
  const digest = () => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  before(() => {
    const db = new Database(file);
    db.exec(`
      CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT NOT NULL, country TEXT, updated_at TEXT NOT NULL);
      CREATE INDEX customers_updated_at ON customers (updated_at);
      CREATE VIEW german AS SELECT * FROM customers WHERE country = 'DE';
      CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) SELECT max(x) AS x FROM c;
    `);
    const insert = db.prepare('INSERT INTO customers (email, country, updated_at) VALUES (?, ?, ?)');
    for (let i = 1; i <= 30; i++) insert.run(`u${i}@example.com`, 'DE', `2026-02-${String(i).padStart(2, '0')} 10:00:00`);
    db.close();
  });

  test('every operation, from a read-only file', async () => {
    const before = digest();
    assert.match((await operations.testConnection('shop_lite', env)).version, /^SQLite 3\./);
    assert.deepEqual((await operations.listTables('shop_lite', undefined, env)).map((t) => `${t.name}:${t.kind}`), ['customers:table', 'german:view', 'slow:view']);
    const info = await operations.describeTable('shop_lite', 'customers', env);
    assert.deepEqual(info.primaryKey, ['customer_id']);
    assert.equal(info.columns.find((c) => c.name === 'email')!.nullable, false);
    const sample = await operations.sampleRows('shop_lite', 'customers', 50, env);
    assert.equal(sample.rows.length, 20);
    assert.ok(sample.rows.every((r) => r.email === '****'));
    assert.deepEqual(await operations.estimateRows('shop_lite', 'customers', env), { rows: 30, method: 'statistics' });
    const candidates = await operations.watermarkCandidates('shop_lite', 'customers', env);
    assert.deepEqual(candidates.map((c) => `${c.column}:${c.min}:${c.max}`), ['customer_id:1:30']);
    assert.equal(digest(), before, 'the file is unchanged');
  });

  test('SQL in a table name names no table', async () => {
    await assert.rejects(operations.sampleRows('shop_lite', 'customers; DROP TABLE customers', 5, env), (err: Error) => err instanceof SourceError && /has no table or view/.test(err.message));
    await assert.rejects(operations.sampleRows('shop_lite', 'customers" ; DROP TABLE customers; --', 5, env), /has no table or view/);
  });

  test('a statement that runs longer than 10 s is stopped', { timeout: 30_000 }, async () => {
    const started = Date.now();
    await assert.rejects(operations.sampleRows('shop_lite', 'slow', 1, env), (err: Error) => err instanceof SourceError && /longer than 10 s/.test(err.message));
    assert.ok(Date.now() - started < 12_000, `stopped after ${Date.now() - started} ms`);
    // The next operation opens a new session as usual.
    assert.equal((await operations.estimateRows('shop_lite', 'customers', env)).rows, 30);
  });

  test('a file that is not there is not created', async () => {
    const missing = path.join(tempDir(), 'nothing.db');
    await assert.rejects(operations.testConnection('gone', { AIRFLOW_CONN_GONE: `sqlite:///${missing}` }), SourceError);
    assert.equal(fs.existsSync(missing), false);
  });
});

describe('introspection of ClickHouse (through a stand-in of its HTTP interface)', () => {
  let standIn: ClickhouseStandIn;
  const password = 'Ch-Secret-Pass-42';
  let env: Record<string, string>;
  before(async () => {
    standIn = await startClickhouseStandIn({
      page_views: {
        engine: 'MergeTree',
        comment: 'Page views',
        sortingKey: 'viewed_at, view_id',
        primaryKey: 'viewed_at',
        columns: [
          { name: 'view_id', type: 'UInt64', comment: '' },
          { name: 'user_email', type: 'Nullable(String)', comment: 'who' },
          { name: 'viewed_at', type: "DateTime('UTC')", comment: '' },
        ],
        rows: Array.from({ length: 25 }, (_, i) => ({ view_id: String(i + 1), user_email: `u${i}@example.com`, viewed_at: `2026-03-${String(i + 1).padStart(2, '0')} 00:00:00` })),
      },
    });
    env = { AIRFLOW_CONN_CH: `clickhouse://reader:${password}@127.0.0.1:${standIn.port}/analytics` };
  });
  after(() => standIn.close());

  test('every operation, read-only, with parameters bound and the password in a header', async () => {
    assert.equal((await operations.testConnection('ch', env)).version, 'ClickHouse 24.8.1.1');
    assert.deepEqual((await operations.listTables('ch', undefined, env)).map((t) => t.name), ['page_views']);
    const info = await operations.describeTable('ch', 'page_views', env);
    assert.deepEqual(info.primaryKey, ['viewed_at']);
    assert.deepEqual(info.indexes[0]!.columns, ['viewed_at', 'view_id']);
    assert.equal(info.columns.find((c) => c.name === 'user_email')!.nullable, true);
    const sample = await operations.sampleRows('ch', 'page_views', 40, env);
    assert.equal(sample.rows.length, 20);
    assert.ok(sample.rows.every((r) => r.user_email === '****'));
    assert.deepEqual(await operations.estimateRows('ch', 'page_views', env), { rows: 25, method: 'statistics' });
    const candidates = await operations.watermarkCandidates('ch', 'page_views', env);
    assert.deepEqual(candidates.map((c) => `${c.column}:${c.min}:${c.max}`), ['viewed_at:2026-03-01 00:00:00:2026-03-25 00:00:00'], 'only the sorting key\'s first column is cheap to range over');
    for (const r of standIn.requests) {
      assert.equal(r.params.get('readonly'), '2');
      assert.equal(r.params.get('max_execution_time'), '10');
      assert.equal(r.user, 'reader');
      assert.equal(r.key, password);
      assert.equal(r.params.toString().includes(password), false, 'the password is not in the URL');
    }
    assert.ok(standIn.requests.some((r) => r.query.includes('{t:Identifier}')), 'table names travel as parameters');
  });

  test('SQL in a table name names no table', async () => {
    await assert.rejects(operations.sampleRows('ch', 'page_views`; DROP TABLE page_views; --', 5, env), /has no table or view/);
  });
});

describe('connections as Airflow writes them', () => {
  test('URI and JSON forms, percent-encoding, and the kinds that can be inspected', () => {
    const uri = connectionFor('a', { AIRFLOW_CONN_A: 'postgresql://etl%40corp:p%40ss%2Fw@db.internal:6432/orders?sslmode=require' })!;
    assert.deepEqual({ ...uri, extra: { ...uri.extra } }, { connId: 'a', kind: 'postgres', host: 'db.internal', port: 6432, login: 'etl@corp', password: 'p@ss/w', database: 'orders', extra: { sslmode: 'require' } });
    const json = connectionFor('b', { AIRFLOW_CONN_B: JSON.stringify({ conn_type: 'mysql', host: 'h', port: 3307, login: 'u', password: 'p', schema: 'shop', extra: { charset: 'utf8mb4' } }) })!;
    assert.equal(json.kind, 'mysql');
    assert.equal(json.database, 'shop');
    assert.equal(connectionFor('c', {}), undefined);
    assert.throws(() => connectionFor('d', { AIRFLOW_CONN_D: 'snowflake://u:p@acct/db' }), /connections of type "snowflake" cannot be inspected/);
    assert.throws(() => connectionFor('e', { AIRFLOW_CONN_E: '{not json' }), (err: Error) => /AIRFLOW_CONN_E starts like JSON but is not valid JSON/.test(err.message));
  });
});
