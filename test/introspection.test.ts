// Source introspection against the machine's real PostgreSQL and MariaDB servers (fixture schemas written by
// the test through its own admin connection). In CI these tests must run: an unreachable server fails them.
// Elsewhere they are skipped with the reason printed.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { operations, SourceError } from '../src/sources/introspect.ts';
import { createMariadbFixtures, createPostgresFixtures, mariadbCount, PG_URL, postgresCount, reachable } from './support/source-fixtures.ts';

const inCI = process.env.CI === 'true';

const servers = [
  {
    kind: 'postgres' as const,
    env: { AIRFLOW_CONN_SHOP_PG: PG_URL },
    connId: 'shop_pg',
    schema: 'dw_fixture',
    create: createPostgresFixtures,
    count: postgresCount,
    version: /PostgreSQL 1\d/,
    types: { customer_id: 'uuid', email: 'character varying(100)', updated_at: 'timestamp without time zone' },
    serial: 'order_id',
    auditCount: 'SELECT count(*) AS n FROM dw_fixture.audit',
  },
  {
    kind: 'mariadb' as const,
    // Airflow's JSON form of a connection.
    env: { AIRFLOW_CONN_SHOP_DB: JSON.stringify({ conn_type: 'mysql', host: '127.0.0.1', port: 3306, login: 'root', schema: 'dw_fixture' }) },
    connId: 'shop_db',
    schema: 'dw_fixture',
    create: createMariadbFixtures,
    count: mariadbCount,
    version: /MariaDB/,
    types: { customer_id: 'char(36)', email: 'varchar(100)', updated_at: 'datetime' },
    serial: 'order_id',
    auditCount: 'SELECT count(*) AS n FROM dw_fixture.audit',
  },
];

for (const server of servers) {
  describe(`introspection of ${server.kind}`, async () => {
    const problem = await reachable(server.kind);
    if (problem && inCI) throw new Error(`${problem}: in CI the introspection tests must run`);
    if (problem) console.warn(`\n!!! SKIPPING the ${server.kind} introspection tests: ${problem}\n`);
    const t = problem ? test.skip : test;
    const { env, connId } = server;
    const table = (name: string) => `${server.schema}.${name}`;

    before(async () => {
      if (!problem) await server.create();
    });

    t('test the connection', async () => {
      const answer = await operations.testConnection(connId, env);
      assert.match(answer.version, server.version);
    });

    t('list the tables and views of a schema', async () => {
      const tables = await operations.listTables(connId, server.schema, env);
      const names = tables.map((x) => `${x.name}:${x.kind}`);
      for (const expected of ['customers:table', 'orders:table', 'german_customers:view', 'documents:table', 'events:table']) assert.ok(names.includes(expected), `${expected} in ${names}`);
    });

    t('describe a table: columns, types, nullability, comments, primary key, indexes', async () => {
      const info = await operations.describeTable(connId, table('customers'), env);
      assert.equal(info.comment, 'Customers of the shop');
      assert.deepEqual(info.primaryKey, ['customer_id']);
      const column = (name: string) => info.columns.find((c) => c.name === name)!;
      for (const [name, type] of Object.entries(server.types)) assert.equal(column(name).type, type);
      assert.equal(column('email').nullable, false);
      assert.equal(column('full_name').nullable, true);
      assert.equal(column('email').comment, 'Contact e-mail');
      assert.ok(info.indexes.some((i) => i.name === 'customers_updated_at' && i.columns[0] === 'updated_at' && !i.unique));
    });

    t('sample rows: at most 20, personal and secret columns masked, long values cut short', async () => {
      const sample = await operations.sampleRows(connId, table('customers'), 500, env);
      assert.equal(sample.rows.length, 20);
      assert.deepEqual(sample.masked.sort(), ['email', 'full_name']);
      assert.ok(sample.rows.every((r) => r.email === '****' && r.full_name === '****' && r.country === 'DE'));
      const documents = await operations.sampleRows(connId, table('documents'), 5, env);
      const doc = documents.rows[0]!;
      assert.equal(doc.api_token, '****');
      assert.match(String(doc.body), /^x{120}… \(1000000 characters\)$/);
    });

    t('estimate the rows of a large table', async () => {
      const estimate = await operations.estimateRows(connId, table('events'), env);
      assert.ok(Math.abs(estimate.rows - 100_000) <= 10_000, `estimate ${estimate.rows}`);
    });

    t('watermark candidates: indexed timestamps (one that changes on update first) and serial keys, with their range', async () => {
      const customers = await operations.watermarkCandidates(connId, table('customers'), env);
      assert.deepEqual(customers.map((c) => c.column), ['updated_at'], 'created_at is not indexed');
      assert.match(customers[0]!.min!, /^2026-02-01 01:00:00/);
      assert.match(customers[0]!.max!, /^2026-02-03 02:00:00/);
      const orders = await operations.watermarkCandidates(connId, table('orders'), env);
      assert.deepEqual(orders.map((c) => `${c.column}:${c.kind}`), ['placed_at:timestamp', `${server.serial}:serial`]);
    });

    t('propose the target DDL in the pack\'s dialect', async () => {
      const ddl = await operations.proposeTargetDdl(connId, table('customers'), { table: 'raw_shop.customers' }, env);
      assert.match(ddl, /CREATE TABLE IF NOT EXISTS raw_shop\.customers \(/);
      assert.match(ddl, /customer_id (UUID|CHAR\(36\)) NOT NULL/);
      const spark = await operations.proposeTargetDdl(connId, table('customers'), { table: 'raw_shop.customers', pack: 'spark-docker', strategy: 'snapshot' }, env);
      assert.match(spark, /CREATE EXTERNAL TABLE IF NOT EXISTS raw_shop\.customers/);
      assert.match(spark, /PARTITIONED BY \(load_date STRING\)/);
    });

    t('read-only: a view whose reading would write fails, and nothing is written', async () => {
      await assert.rejects(operations.sampleRows(connId, table('writes_when_read'), 1, env), (err: Error) => err instanceof SourceError && /read-only|READ ONLY/i.test(err.message));
      assert.equal(await server.count(server.auditCount), 0);
    });

    t('SQL in a table name is a name that does not exist, and nothing happens', async () => {
      for (const name of [`customers; DROP TABLE ${server.schema}.orders; --`, `customers" ; DELETE FROM ${server.schema}.orders; --`, "customers' OR '1'='1", `${server.schema}.orders\`; DROP TABLE x; --`]) {
        for (const op of [operations.describeTable, operations.sampleRows, operations.estimateRows, operations.watermarkCandidates]) {
          await assert.rejects((op as (c: string, t: string, ...rest: unknown[]) => Promise<unknown>)(connId, name, ...(op === operations.sampleRows ? [5, env] : [env])), (err: Error) => err instanceof SourceError && /has no table or view/.test(err.message));
        }
      }
      assert.equal(await server.count(`SELECT count(*) AS n FROM ${server.schema}.orders`), 50);
    });

    t('a statement that runs longer than 10 s is stopped', { timeout: 30_000 }, async () => {
      const started = Date.now();
      await assert.rejects(operations.sampleRows(connId, table('slow'), 1, env), (err: Error) => err instanceof SourceError && /longer than 10 s/.test(err.message));
      assert.ok(Date.now() - started < 12_500, `stopped after ${Date.now() - started} ms`);
    });

    t('an unknown table, a refused password and an unreachable server are told in plain words, without the password', async () => {
      await assert.rejects(operations.describeTable(connId, table('nope'), env), /shop_(pg|db) has no table or view dw_fixture\.nope/);
      const badPassword = server.kind === 'postgres' ? 'postgresql://nobody:Wr0ng-Pass@127.0.0.1:5432/test' : 'mysql://nobody:Wr0ng-Pass@127.0.0.1:3306/test';
      await assert.rejects(operations.testConnection('other', { AIRFLOW_CONN_OTHER: badPassword }), (err: Error) => /cannot connect to other: (the login or password was refused|.*nobody)/.test(err.message) && !err.message.includes('Wr0ng-Pass'));
      const closed = server.kind === 'postgres' ? 'postgresql://u:Wr0ng-Pass@127.0.0.1:1/test' : 'mysql://u:Wr0ng-Pass@127.0.0.1:1/test';
      await assert.rejects(operations.testConnection('other', { AIRFLOW_CONN_OTHER: closed }), /nothing answers at 127\.0\.0\.1:1 \(connection refused\)/);
      await assert.rejects(operations.testConnection('missing', {}), /was given no connection missing \(AIRFLOW_CONN_MISSING is not set\)/);
    });
  });
}
