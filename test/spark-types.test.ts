// The lake's types for source columns, per engine (the real-Spark tier checks them against Spark's reads), and
// the spark-docker pack without a column list.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderPipeline, RenderError } from '../src/render/render.ts';
import { defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { sparkType } from '../src/render/spark-types.ts';
import { specOf } from './support/execution-tier.ts';

describe("the lake's column types", () => {
  test('PostgreSQL', () => {
    const cases: Array<[string, string]> = [
      ['integer', 'INT'], ['bigint', 'BIGINT'], ['numeric(12,4)', 'DECIMAL(12,4)'], ['numeric', 'DECIMAL(38,18)'], ['real', 'FLOAT'],
      ['double precision', 'DOUBLE'], ['boolean', 'BOOLEAN'], ['date', 'DATE'], ['timestamp without time zone', 'TIMESTAMP'],
      ['timestamp with time zone', 'TIMESTAMP'], ['timestamptz', 'TIMESTAMP'], ['bytea', 'BINARY'], ['jsonb', 'STRING'], ['uuid', 'STRING'], ['money', 'STRING'],
    ];
    for (const [type, lake] of cases) assert.equal(sparkType(type, 'postgres'), lake, type);
  });

  test('MariaDB and MySQL', () => {
    const cases: Array<[string, string]> = [
      ['int(11)', 'INT'], ['tinyint(1)', 'BOOLEAN'], ['tinyint(4)', 'INT'], ['int unsigned', 'BIGINT'], ['bigint(20)', 'DECIMAL(20,0)'],
      ['decimal(12,4)', 'DECIMAL(12,4)'], ['double', 'DOUBLE'], ['float', 'FLOAT'], ['datetime', 'TIMESTAMP'], ['timestamp', 'TIMESTAMP'],
      ['date', 'DATE'], ['blob', 'BINARY'], ['varbinary(16)', 'BINARY'], ['longtext', 'STRING'], ['json', 'STRING'], ['enum(\'a\',\'b\')', 'STRING'],
    ];
    for (const [type, lake] of cases) {
      assert.equal(sparkType(type, 'mariadb'), lake, type);
      assert.equal(sparkType(type, 'mysql'), lake, type);
    }
  });
});

describe('spark-docker without source.columns', () => {
  const spec = (source: Record<string, unknown>, strategy = 'snapshot') =>
    specOf({ dag_id: 'no_columns', description: 'x', schedule: '0 6 * * *', start_date: '2026-03-01', pack: 'spark-docker', source, target: { conn_id: 'lake', table: 'raw.no_columns', location: 's3a://lake/raw/no_columns' }, load: { strategy, ...(strategy === 'scd2' ? { keys: ['id'] } : {}) } });

  test('a table, files with a header and scd2 render; the DDL makes only the database and the doc says the job creates the table', () => {
    for (const [source, strategy] of [
      [{ type: 'postgres', conn_id: 'src', table: 'public.orders' }, 'overwrite'],
      [{ type: 'postgres', conn_id: 'src', table: 'public.orders' }, 'scd2'],
      [{ type: 's3', conn_id: 'files', system: 'partners', bucket: 'partner-drop', path: 'orders/{{ ds }}/*.csv', format: 'csv' }, 'snapshot'],
      [{ type: 's3', conn_id: 'files', system: 'partners', bucket: 'partner-drop', path: 'orders/{{ ds }}.parquet', format: 'parquet' }, 'append'],
    ] as Array<[Record<string, unknown>, string]>) {
      const files = renderPipeline(spec(source, strategy), defaultRepoConfig, { today: '2026-03-01' }).files;
      const ddl = files.find((f) => f.path.endsWith('/ddl.sql'))!.content;
      assert.doesNotMatch(ddl, /CREATE EXTERNAL TABLE/);
      assert.match(ddl, /CREATE DATABASE IF NOT EXISTS raw;/);
      assert.match(files.find((f) => f.path.endsWith('no_columns.md'))!.content, /\| Columns \| taken from the source when the job runs/);
      assert.match(files.find((f) => f.path.endsWith('/load.py'))!.content, /create_table\(spark, frame, args\.location\)/);
    }
  });

  test('a CSV without a header still needs its columns', () => {
    assert.throws(
      () => renderPipeline(spec({ type: 's3', conn_id: 'files', system: 'partners', bucket: 'partner-drop', path: 'orders/{{ ds }}.csv', format: 'csv', header: false }), defaultRepoConfig, { today: '2026-03-01' }),
      (err: unknown) => err instanceof RenderError && err.field === 'source.columns',
    );
  });
});
