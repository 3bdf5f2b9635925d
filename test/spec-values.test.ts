// Values of a request that end up inside SQL: a query is one statement that only reads (read as PostgreSQL and
// as MySQL read it), a column type follows a type's grammar, a literal means its value on the engine that
// reads it — checked against the machine's PostgreSQL and MariaDB, where a wrong literal would let a bad row
// pass its check.
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, test } from 'node:test';
import { COLUMN_TYPE, specSchema } from '../src/pipeline-spec/schema.ts';
import { sqlTextProblem } from '../src/pipeline-spec/sql-text.ts';
import { dialectOf, mapColumnType } from '../src/render/dialect.ts';
import { postgresUnavailable } from './support/test-database.ts';

describe('SQL from a request is one statement that only reads', () => {
  const accepted = [
    'SELECT id, lower(email) AS email FROM source',
    "WITH a AS (SELECT * FROM t WHERE s ~ '\\d+') SELECT count(*) FILTER (WHERE x > 1) FROM a",
    "SELECT * FROM t WHERE note = 'a;b' AND \"odd;name\" = 1 -- a comment; with a semicolon\n",
    'SELECT 1;',
    "SELECT replace(name, 'a', 'b'), updated_at FROM shop.orders WHERE d >= NOW() - INTERVAL 1 DAY",
    "SELECT E'it\\'s' AS quoted",
  ];
  for (const sql of accepted) test(`accepted: ${JSON.stringify(sql).slice(0, 70)}`, () => assert.equal(sqlTextProblem(sql), undefined));

  const refused: Array<[string, string]> = [
    ['SELECT * FROM t; DROP TABLE x', '@sql_statements'],
    // PostgreSQL ends the literal at `\'`; MySQL does not: either reading with a second statement is refused.
    ["SELECT * FROM t WHERE a = 'a\\' ; DROP TABLE x; -- '", '@sql_statements'],
    ["SELECT * FROM t WHERE a = 'x\\'; DELETE FROM t; #'", '@sql_unterminated'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', '@sql_writes'],
    ['SELECT * INTO newt FROM t', '@sql_writes'],
    ['SELECT * FROM t FOR UPDATE', '@sql_writes'],
    ['SELECT 1 /* unclosed', '@sql_unterminated'],
    ["SELECT 'unclosed", '@sql_unterminated'],
    ['DELETE FROM t', '@select'],
    ['SELECT $$a;b$$', '@sql_statements'],
  ];
  for (const [sql, key] of refused) test(`refused (${key}): ${JSON.stringify(sql).slice(0, 60)}`, () => assert.equal(sqlTextProblem(sql)?.key, key));

  test('the spec refuses stacked statements in source.query, transform.sql and a sql check, naming the field', () => {
    const result = specSchema.safeParse({
      source: { type: 'postgres', conn_id: 'x', query: 'SELECT 1; DROP TABLE t' },
      transform: { sql: 'SELECT * FROM source; DELETE FROM t' },
      quality: [{ check: 'sql', name: 'x', sql: 'SELECT 0; TRUNCATE t' }],
    });
    assert.equal(result.success, false);
    const paths = result.error!.issues.filter((i) => i.message === '@sql_statements').map((i) => i.path.join('.'));
    assert.deepEqual(paths.sort(), ['quality.0.sql', 'source.query', 'transform.sql']);
  });
});

describe('a column type follows the grammar of types', () => {
  for (const type of ['integer', 'varchar(100)', 'numeric(12, 2)', 'NUMERIC(12,2)', 'timestamp with time zone', 'timestamp(6) without time zone', 'int[]', "enum('new','paid')", 'decimal(12,2) unsigned', 'double precision', 'character varying(20)']) {
    test(`accepted: ${type}`, () => assert.match(type, COLUMN_TYPE));
  }
  for (const type of ['INT); CREATE TABLE x (y INT', 'int -- x', "enum('a'); DROP TABLE t; --')", 'text/*', 'varchar(10)\nDROP']) {
    test(`refused: ${JSON.stringify(type)}`, () => {
      assert.doesNotMatch(type, COLUMN_TYPE);
      // And never copied into the DDL as written, even past the spec.
      assert.notEqual(mapColumnType(type, 'postgres', dialectOf('postgres')), type.toUpperCase());
    });
  }

  test('connection ids are ids: `.`, `..` and leading punctuation are refused', () => {
    for (const conn_id of ['.', '..', '-x', '.hidden']) {
      const result = specSchema.safeParse({ source: { conn_id } });
      assert.equal(result.success, false, conn_id);
    }
    assert.equal(specSchema.safeParse({ source: { conn_id: 'orders-pg.v2' } }).success, true);
  });
});

const BAD_ROW = 'ZZ';
const HOSTILE_VALUES = ['a\\', ') OR SLEEP(0)=0 OR (1=1 #', "x'; DROP TABLE t; --", "it's", 'ok'];

describe('accepted_values literals on the engines themselves: a bad row is still found', () => {
  test('MariaDB (backslash escapes on)', async (t) => {
    let connection: mysql.Connection;
    try {
      connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    } catch (err) {
      if (process.env.CI === 'true') throw err;
      return t.skip(`MariaDB is not reachable: ${(err as Error).message}`);
    }
    try {
      await connection.query('DROP TABLE IF EXISTS dw_literals');
      await connection.query('CREATE TABLE dw_literals (v VARCHAR(100))');
      await connection.query('INSERT INTO dw_literals VALUES (?), (?), (?)', ['ok', "it's", BAD_ROW]);
      const list = HOSTILE_VALUES.map(dialectOf('mariadb').literal).join(', ');
      const [rows] = await connection.query(`SELECT SUM(CASE WHEN v NOT IN (${list}) THEN 1 ELSE 0 END) AS bad FROM dw_literals`);
      assert.equal(Number((rows as Array<{ bad: number }>)[0]!.bad), 1);
      const [values] = await connection.query(`SELECT ${HOSTILE_VALUES.map(dialectOf('mariadb').literal).map((l, i) => `${l} AS v${i}`).join(', ')}`);
      assert.deepEqual(Object.values((values as Array<Record<string, string>>)[0]!), HOSTILE_VALUES);
    } finally {
      await connection.query('DROP TABLE IF EXISTS dw_literals');
      await connection.end();
    }
  });

  test('PostgreSQL, with standard_conforming_strings on and off', async (t) => {
    const unavailable = await postgresUnavailable();
    if (unavailable) return t.skip(unavailable);
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await client.connect();
    try {
      for (const setting of ['on', 'off']) {
        await client.query(`SET standard_conforming_strings = ${setting}`);
        const literals = HOSTILE_VALUES.map(dialectOf('postgres').literal);
        const result = await client.query(`SELECT ${literals.map((l, i) => `${l} AS v${i}`).join(', ')}`);
        assert.deepEqual(Object.values(result.rows[0]), HOSTILE_VALUES, `standard_conforming_strings = ${setting}`);
      }
    } finally {
      await client.end();
    }
  });
});
