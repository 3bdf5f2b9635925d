// The spark-docker pack's jobs in real Spark: the rendered ddl.sql, load.py and quality.py run with the
// arguments and environment variables the DAG's DockerOperator tasks give them (read from the rendered DAG,
// its templates filled in as Airflow fills them), against the machine's PostgreSQL and MariaDB, into a lake
// in a local folder (s3a:// in production). Each strategy: interval 1 twice, then interval 2 after the source
// changed; the table's rows per load_date partition are what the strategy promises.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../src/pipeline-spec/schema.ts';
import { renderPipeline } from '../src/render/render.ts';
import { createSource, INITIAL_ROWS, INTERVALS, NEW_ROW, specOf, SOURCE_COLUMNS, UPDATED_ROW, updateRow, insertRow, type SourceRow } from './support/execution-tier.ts';
import { tempDir } from './support/harness.ts';
import { SparkRunner, skipUnlessSpark } from './support/spark-tier.ts';
import { connect, type Database, type Engine } from './support/warehouse.ts';

type Strategy = 'overwrite' | 'append' | 'snapshot' | 'incremental' | 'scd2';
const STRATEGIES: Strategy[] = ['overwrite', 'append', 'snapshot', 'incremental', 'scd2'];
const CONNECTIONS: Record<Engine, { host: string; port: string; schema: string; login: string; password: string; type: string }> = {
  postgres: { host: '127.0.0.1', port: '5432', schema: 'test', login: 'postgres', password: '', type: 'postgres' },
  mariadb: { host: '127.0.0.1', port: '3306', schema: 'test', login: 'root', password: '', type: 'mariadb' },
};

/** As Airflow renders the run's dates: `{{ data_interval_start }}` is the ISO form with its offset. */
const iso = (text: string) => `${text.replace(' ', 'T')}+00:00`;

/** The Jinja of the DAG's task fields, filled in for one connection and one run. */
function fillTemplates(text: string, engine: Engine, connId: string, interval: (typeof INTERVALS)[number]): string {
  const conn = CONNECTIONS[engine];
  return text
    .replace(/\{\{ data_interval_start \| ds \}\}/g, interval.date)
    .replace(/\{\{ data_interval_start \}\}/g, iso(interval.start))
    .replace(/\{\{ data_interval_end \}\}/g, iso(interval.end))
    .replace(new RegExp(`\\{\\{ conn\\.get\\('${connId}'\\)\\.(\\w+) \\}\\}`, 'g'), (_all, field: 'host' | 'port' | 'schema' | 'login' | 'password') => conn[field]);
}

/** A task's spark-submit arguments and environment, as the rendered DAG gives them (Python string literals, read as JSON). */
function taskOf(dag: string, job: 'load.py' | 'quality.py'): { args: string[]; env: Record<string, string> } {
  const command = dag.match(new RegExp(`command=\\["spark-submit", JOBS \\+ "/${job.replace('.', '\\.')}", ([^\\n]*)\\],\\n`))?.[1];
  assert.ok(command, `the DAG runs ${job}`);
  const env: Record<string, string> = {};
  const block = dag.match(/SOURCE_ENV = \{\n([\s\S]*?)\n\}/)?.[1] ?? '';
  for (const [, key, value] of block.matchAll(/"(\w+)": "([^"\n]*)"/g)) env[key!] = value!;
  return { args: JSON.parse(`[${command}]`) as string[], env };
}

/** A task's arguments and environment, filled in for one connection and one run. */
function filled(task: { args: string[]; env: Record<string, string> }, engine: Engine, connId: string, interval: (typeof INTERVALS)[number]): { args: string[]; env: Record<string, string> } {
  return {
    args: task.args.map((arg) => fillTemplates(arg, engine, connId, interval)),
    env: Object.fromEntries(Object.entries(task.env).map(([k, v]) => [k, fillTemplates(v, engine, connId, interval)])),
  };
}

type Lake = Record<string, unknown>;
const row = (r: SourceRow, extra: Lake = {}): Lake => ({ id: r.id, customer: r.customer, amount: r.amount, status: r.status, updated_at: r.updated_at, ...extra });
const inWindow = (r: SourceRow, i: number) => r.updated_at >= INTERVALS[i]!.start && r.updated_at < INTERVALS[i]!.end;

/** What the lake table holds after the runs of intervals 0..upTo (each row with its load_date partition). */
function expected(strategy: Strategy, sourceAt: SourceRow[][], upTo: number): Lake[] {
  const runs = sourceAt.slice(0, upTo + 1);
  const date = (i: number) => INTERVALS[i]!.date;
  switch (strategy) {
    case 'overwrite':
      return runs.at(-1)!.map((r) => row(r, { load_date: date(upTo) }));
    case 'append':
      return runs.flatMap((rows, i) => rows.filter((r) => inWindow(r, i)).map((r) => row(r, { load_date: date(i) })));
    case 'snapshot':
      return runs.flatMap((rows, i) => rows.map((r) => row(r, { load_date: date(i) })));
    case 'incremental': {
      const byKey = new Map<number, Lake>();
      runs.forEach((rows, i) => rows.filter((r) => inWindow(r, i)).forEach((r) => byKey.set(r.id, row(r, { load_date: date(i) }))));
      return [...byKey.values()];
    }
    case 'scd2': {
      const versions: Lake[] = [];
      runs.forEach((rows, i) => {
        for (const r of rows) {
          const current = versions.find((v) => v.id === r.id && v.is_current);
          if (current && ['customer', 'amount', 'status', 'updated_at'].every((k) => current[k] === row(r)[k])) continue;
          if (current) Object.assign(current, { valid_to: INTERVALS[i]!.start, is_current: false });
          versions.push(row(r, { valid_from: INTERVALS[i]!.start, valid_to: null, is_current: true, load_date: date(i) }));
        }
      });
      return versions;
    }
  }
}

type Metrics = { table: string; run_date: string; results: Array<{ check: string; value: unknown; passed: boolean }> };

/** Where the data checks post their metrics (METRICS_URL): every body received. */
async function metricsReceiver(): Promise<{ url: string; received: Metrics[]; close(): void }> {
  const received: Metrics[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Metrics);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, received, close: () => server.close() };
}

const sorted = (rows: Lake[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const skip = skipUnlessSpark();

describe('the spark-docker pack in real Spark', { skip }, () => {
  let spark: SparkRunner;
  let metrics: Awaited<ReturnType<typeof metricsReceiver>>;
  const databases = new Map<Engine, Database>();
  before(async () => {
    metrics = await metricsReceiver();
    spark = await SparkRunner.start();
    for (const engine of ['postgres', 'mariadb'] as const) databases.set(engine, await connect(engine));
  });
  after(async () => {
    await spark?.close();
    metrics?.close();
    for (const db of databases.values()) await db.close();
  });

  /**
   * A spec's files written out as the repository holds them, and its DDL run: the lake is a local folder, so
   * the DDL's location is the one thing changed.
   */
  async function deploy(spec: PipelineSpec) {
    const result = renderPipeline(spec, defaultRepoConfig, { today: '2026-03-01' });
    const dir = tempDir('dagwright-spark-case-');
    for (const file of result.files) {
      fs.mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
      fs.writeFileSync(path.join(dir, file.path), file.content);
    }
    const fileOf = (suffix: string) => path.join(dir, result.files.find((f) => f.path.endsWith(suffix))!.path);
    const dag = result.files.find((f) => f.path.endsWith(`/${spec.dag_id}.py`) && !f.path.includes('/jobs/'))!.content;
    const table = spec.target.table!;
    const location = path.join(spark.lake, table.replace('.', '/'));
    const ddl = fs.readFileSync(fileOf('/ddl.sql'), 'utf8');
    await spark.sql(`DROP TABLE IF EXISTS ${table}`);
    fs.rmSync(location, { recursive: true, force: true });
    await spark.sqlFile(ddl.replace(/LOCATION '[^']*'/, `LOCATION 'file://${location}'`));
    return { dir, fileOf, dag, ddl, location };
  }

  for (const engine of ['postgres', 'mariadb'] as const) {
    for (const strategy of STRATEGIES) {
      test(`${strategy} from ${engine}: interval 1 twice, interval 2 after an update and an insert, a quiet interval 3; rows per load_date as promised, the data checks pass and post their metrics`, async () => {
        const db = databases.get(engine)!;
        const sourceSchema = `dw_spark_src_${engine.slice(0, 2)}_${strategy}`;
        const dagId = `spark_${engine.slice(0, 2)}_${strategy}`;
        const table = `dw_spark_${engine.slice(0, 2)}.${strategy}_orders`;
        const load: Record<string, unknown> = { strategy };
        if (strategy === 'append' || strategy === 'incremental') load.watermark = 'updated_at';
        if (strategy === 'incremental' || strategy === 'scd2') load.keys = ['id'];
        const spec = specOf({
          dag_id: dagId,
          description: `Orders, ${strategy}, from ${engine}, in Spark`,
          schedule: '0 6 * * *',
          start_date: '2026-03-01',
          pack: 'spark-docker',
          source: { type: engine, conn_id: `src_${engine}`, system: 'shop', table: `${sourceSchema}.orders`, columns: SOURCE_COLUMNS[engine] },
          target: { conn_id: 'lake', table, location: `s3a://lake/${table.replace('.', '/')}`, format: 'parquet' },
          load,
        });
        const { fileOf, dag } = await deploy(spec);
        const loadTask = taskOf(dag, 'load.py');
        const qualityTask = taskOf(dag, 'quality.py');

        await createSource(db, sourceSchema, INITIAL_ROWS);
        const sourceAt: SourceRow[][] = [];
        const runOnce = async (i: number) => {
          const interval = INTERVALS[i]!;
          const { args, env } = filled(loadTask, engine, `src_${engine}`, interval);
          const answer = await spark.run(fileOf('/load.py'), args, env);
          assert.equal(answer.exit, 0, `load.py for ${interval.date} failed: ${answer.error}\n${spark.output()}`);
        };
        const check = async (upTo: number, what: string) => {
          const extra = strategy === 'scd2' ? ', CAST(valid_from AS STRING) AS valid_from, CAST(valid_to AS STRING) AS valid_to, is_current' : '';
          const rows = await spark.rows<Lake>(`SELECT id, customer, CAST(amount AS STRING) AS amount, status, CAST(updated_at AS STRING) AS updated_at${extra}, load_date FROM ${table}`);
          assert.deepEqual(sorted(rows), sorted(expected(strategy, sourceAt, upTo)), what);
        };

        sourceAt.push(INITIAL_ROWS);
        await runOnce(0);
        await check(0, 'after the run of interval 1');
        await runOnce(0);
        await check(0, 'after interval 1 ran again (idempotent)');
        await updateRow(db, sourceSchema, UPDATED_ROW);
        await insertRow(db, sourceSchema, NEW_ROW);
        sourceAt.push([...INITIAL_ROWS.map((r) => (r.id === UPDATED_ROW.id ? UPDATED_ROW : r)), NEW_ROW]);
        await runOnce(1);
        await check(1, 'after the run of interval 2');
        const checkQuality = async (i: number) => {
          const interval = INTERVALS[i]!;
          const before = metrics.received.length;
          const answer = await spark.run(fileOf('/quality.py'), filled(qualityTask, engine, `src_${engine}`, interval).args, { METRICS_URL: metrics.url, DAG_RUN: `${dagId}/scheduled__${interval.runAfter}` });
          assert.equal(answer.exit, 0, `the data checks of ${interval.date} failed: ${answer.error}`);
          const posted = metrics.received.slice(before);
          assert.equal(posted.length, 1, 'one metrics post per run');
          assert.equal(posted[0]!.table, table);
          assert.deepEqual(posted[0]!.results.map((r) => r.check).sort(), spec.quality!.map((q) => q.check).sort());
          return posted[0]!;
        };
        const second = await checkQuality(1);
        assert.ok(second.results.every((r) => r.passed), JSON.stringify(second.results));

        // A day with no new rows: the windowed loads write nothing, and their checks do not fail for it.
        sourceAt.push(sourceAt[1]!);
        await runOnce(2);
        await check(2, 'after the quiet run of interval 3');
        const quiet = await checkQuality(2);
        assert.ok(quiet.results.every((r) => r.passed), `a quiet interval is normal data: ${JSON.stringify(quiet.results)}`);
      });
    }
  }

  test('data checks on bad data: the job fails naming the check, and its metrics say which and how many', async () => {
    const db = databases.get('postgres')!;
    const sourceSchema = 'dw_spark_src_po_checks';
    const table = 'dw_spark_po.checked_orders';
    const spec = specOf({
      dag_id: 'spark_po_checked',
      description: 'Orders with data checks, in Spark',
      schedule: '0 6 * * *',
      start_date: '2026-03-01',
      pack: 'spark-docker',
      source: { type: 'postgres', conn_id: 'src_postgres', system: 'shop', table: `${sourceSchema}.orders`, columns: SOURCE_COLUMNS.postgres },
      target: { conn_id: 'lake', table, location: 's3a://lake/dw_spark_po/checked_orders', format: 'parquet' },
      load: { strategy: 'snapshot' },
      quality: [
        { check: 'row_count', min: 1 },
        { check: 'accepted_values', column: 'status', values: ['paid'] },
        { check: 'unique', columns: ['id'] },
      ],
    });
    const { fileOf, dag } = await deploy(spec);
    await createSource(db, sourceSchema, INITIAL_ROWS);
    const interval = INTERVALS[0]!;
    const load = taskOf(dag, 'load.py');
    const { args, env } = filled(load, 'postgres', 'src_postgres', interval);
    const loaded = await spark.run(fileOf('/load.py'), args, env);
    assert.equal(loaded.exit, 0, String(loaded.error));
    const before = metrics.received.length;
    const checked = await spark.run(fileOf('/quality.py'), filled(taskOf(dag, 'quality.py'), 'postgres', 'src_postgres', interval).args, { METRICS_URL: metrics.url, DAG_RUN: 'spark_po_checked/manual' });
    assert.equal(checked.exit, 1);
    assert.match(String(checked.error), /^data checks failed: .*"check": "accepted_values"/);
    const posted = metrics.received.slice(before)[0]!;
    // Row 2 is 'open'; row 3's NULL status is no value outside the list (not_null would say it is missing).
    assert.deepEqual(posted.results.map((r) => [r.check, r.value, r.passed]), [['row_count', 4, true], ['accepted_values', 1, false], ['unique', 0, true]]);
  });

  const TYPES: Record<Engine, { create: string; insert: string; columns: Array<{ name: string; type: string; key?: boolean }>; tz: string }> = {
    postgres: {
      create: 'id integer PRIMARY KEY, amount numeric(12,4), ratio double precision, happened_at timestamp, happened_tz timestamptz, day date, flag boolean, note text, payload bytea, doc jsonb',
      insert: `1, 1234.5678, 0.25, '2026-03-01 07:00:00', '2026-03-01 07:00:00+02', '2026-03-01', true, 'Zoë 東京', '\\x00ff'::bytea, '{"a": 1}'`,
      columns: [['id', 'integer'], ['amount', 'numeric(12,4)'], ['ratio', 'double precision'], ['happened_at', 'timestamp'], ['happened_tz', 'timestamptz'], ['day', 'date'], ['flag', 'boolean'], ['note', 'text'], ['payload', 'bytea'], ['doc', 'jsonb']].map(([name, type]) => ({ name: name!, type: type!, ...(name === 'id' ? { key: true } : {}) })),
      tz: '2026-03-01 05:00:00',
    },
    mariadb: {
      create: 'id int PRIMARY KEY, amount decimal(12,4), ratio double, happened_at datetime, happened_tz timestamp NULL, day date, flag tinyint(1), note text, payload blob, doc json',
      insert: `1, 1234.5678, 0.25, '2026-03-01 07:00:00', '2026-03-01 05:00:00', '2026-03-01', 1, 'Zoë 東京', X'00FF', '{"a": 1}'`,
      columns: [['id', 'int(11)'], ['amount', 'decimal(12,4)'], ['ratio', 'double'], ['happened_at', 'datetime'], ['happened_tz', 'timestamp'], ['day', 'date'], ['flag', 'tinyint(1)'], ['note', 'text'], ['payload', 'blob'], ['doc', 'longtext']].map(([name, type]) => ({ name: name!, type: type!, ...(name === 'id' ? { key: true } : {}) })),
      tz: '2026-03-01 05:00:00',
    },
  };
  const LAKE_TYPES = { id: 'int', amount: 'decimal(12,4)', ratio: 'double', happened_at: 'timestamp', happened_tz: 'timestamp', day: 'date', flag: 'boolean', note: 'string', payload: 'binary', doc: 'string', load_date: 'string' };

  for (const engine of ['postgres', 'mariadb'] as const) {
    test(`${engine} types in the lake, with the columns listed (ddl.sql) and without (the job creates the table): decimals, timestamps with and without zone, dates, booleans, text, binary, json`, async () => {
      const db = databases.get(engine)!;
      const sourceSchema = `dw_spark_src_${engine.slice(0, 2)}_types`;
      await db.resetSchema(sourceSchema);
      await db.exec(`CREATE TABLE ${sourceSchema}.types (${TYPES[engine].create})`);
      await db.exec(`INSERT INTO ${sourceSchema}.types VALUES (${TYPES[engine].insert})`);
      for (const listed of [true, false]) {
        const dagId = `spark_${engine.slice(0, 2)}_types_${listed ? 'listed' : 'read'}`;
        const table = `dw_spark_${engine.slice(0, 2)}.types_${listed ? 'listed' : 'read'}`;
        const spec = specOf({
          dag_id: dagId,
          description: `Every kind of column from ${engine}, in Spark`,
          schedule: '0 6 * * *',
          start_date: '2026-03-01',
          pack: 'spark-docker',
          source: { type: engine, conn_id: `src_${engine}`, system: 'shop', table: `${sourceSchema}.types`, ...(listed ? { columns: TYPES[engine].columns } : {}) },
          target: { conn_id: 'lake', table, location: `s3a://lake/${table.replace('.', '/')}`, format: 'parquet' },
          load: { strategy: 'snapshot' },
        });
        const { fileOf, dag, ddl, location } = await deploy(spec);
        assert.equal(/CREATE EXTERNAL TABLE/.test(ddl), listed, listed ? 'the DDL creates the table' : 'without columns the DDL only makes the database');
        const load = filled(taskOf(dag, 'load.py'), engine, `src_${engine}`, INTERVALS[0]!);
        // The lake is a local folder: the location the DAG passes is the one thing changed.
        const args = load.args.map((a) => (a.startsWith('s3a://lake/') ? `file://${location}` : a));
        const answer = await spark.run(fileOf('/load.py'), args, load.env);
        assert.equal(answer.exit, 0, `load.py failed: ${answer.error}`);
        const described = await spark.rows<{ col_name: string; data_type: string }>(`DESCRIBE TABLE ${table}`);
        const types = Object.fromEntries(described.filter((d) => d.col_name && !d.col_name.startsWith('#')).map((d) => [d.col_name, d.data_type]));
        assert.deepEqual(types, LAKE_TYPES, `${listed ? 'listed' : 'read'}: the lake's types`);
        const [stored] = await spark.rows(`SELECT id, CAST(amount AS STRING) AS amount, ratio, CAST(happened_at AS STRING) AS happened_at, CAST(happened_tz AS STRING) AS happened_tz, CAST(day AS STRING) AS day, flag, note, hex(payload) AS payload, doc, load_date FROM ${table}`);
        assert.deepEqual(stored, { id: 1, amount: '1234.5678', ratio: 0.25, happened_at: '2026-03-01 07:00:00', happened_tz: TYPES[engine].tz, day: '2026-03-01', flag: true, note: 'Zoë 東京', payload: '00FF', doc: '{"a": 1}', load_date: '2026-03-01' }, `${listed ? 'listed' : 'read'}: the values`);
      }
    });
  }

  test("a day's CSV files from partners, no column list: read by the header, one partition per day, a rerun replaces it, a day without files skipped", async () => {
    const table = 'dw_spark_files.partner_orders';
    const spec = specOf({
      dag_id: 'spark_partner_orders',
      description: "Partners' order files, in Spark",
      schedule: '0 6 * * *',
      start_date: '2026-03-01',
      pack: 'spark-docker',
      source: { type: 's3', conn_id: 'partner_drop', system: 'partners', bucket: 'partner-drop', path: 'orders/{{ data_interval_start | ds }}/*.csv', format: 'csv', if_empty: 'skip' },
      target: { conn_id: 'lake', table, location: 's3a://lake/dw_spark_files/partner_orders', format: 'parquet' },
      load: { strategy: 'append' },
    });
    const { dir, fileOf, dag, location } = await deploy(spec);
    const drop = path.join(dir, 'partner-drop');
    // The bucket is a local folder: s3a://partner-drop/ and s3a://lake/… are the things pointed elsewhere.
    const write = (day: string, name: string, text: string) => {
      fs.mkdirSync(path.join(drop, 'orders', day), { recursive: true });
      fs.writeFileSync(path.join(drop, 'orders', day, name), text);
    };
    write('2026-03-01', 'acme.csv', 'order_id,partner,amount\n1,acme,10.50\n2,acme,3.25\n');
    write('2026-03-01', 'globex.csv', 'order_id,partner,amount\n7,globex,99.00\n');
    write('2026-03-02', 'acme.csv', 'order_id,partner,amount\n3,acme,4.00\n');
    const load = taskOf(dag, 'load.py');
    const run = (i: number) =>
      spark.run(
        fileOf('/load.py'),
        filled(load, 'postgres', 'partner_drop', INTERVALS[i]!).args.map((a) => a.replace('s3a://partner-drop/', `file://${drop}/`).replace(/^s3a:\/\/lake\/.*/, `file://${location}`)),
        {},
      );
    const rows = () => spark.rows<Lake>(`SELECT CAST(order_id AS STRING) AS order_id, partner, CAST(amount AS STRING) AS amount, load_date FROM ${table}`);
    for (const attempt of [1, 2]) assert.equal((await run(0)).exit, 0, `the first day, run ${attempt}`);
    // Without a column list a CSV's fields are text, exactly as written (nothing is guessed).
    assert.deepEqual(Object.fromEntries((await spark.rows<{ col_name: string; data_type: string }>(`DESCRIBE TABLE ${table}`)).filter((d) => d.col_name && !d.col_name.startsWith('#')).map((d) => [d.col_name, d.data_type])), { order_id: 'string', partner: 'string', amount: 'string', load_date: 'string' });
    assert.deepEqual(sorted(await rows()), sorted([
      { order_id: '1', partner: 'acme', amount: '10.50', load_date: '2026-03-01' },
      { order_id: '2', partner: 'acme', amount: '3.25', load_date: '2026-03-01' },
      { order_id: '7', partner: 'globex', amount: '99.00', load_date: '2026-03-01' },
    ]));
    assert.equal((await run(1)).exit, 0);
    assert.equal((await rows()).filter((r) => r.load_date === '2026-03-02').length, 1);
    const quiet = await run(2);
    assert.equal(quiet.exit, 99, 'a day without files: the task is skipped (exit code 99)');
    assert.equal((await rows()).length, 4, 'and nothing changed');
  });

  test("the partners' CSV files with their columns listed: each field lands in its column's type", async () => {
    const table = 'dw_spark_files.partner_orders_typed';
    const spec = specOf({
      dag_id: 'spark_partner_orders_typed',
      description: "Partners' order files, typed, in Spark",
      schedule: '0 6 * * *',
      start_date: '2026-03-01',
      pack: 'spark-docker',
      source: { type: 's3', conn_id: 'partner_drop', system: 'partners', bucket: 'partner-drop', path: 'orders/{{ data_interval_start | ds }}/*.csv', format: 'csv', columns: [{ name: 'order_id', type: 'integer', key: true }, { name: 'partner', type: 'varchar(20)' }, { name: 'amount', type: 'numeric(10,2)' }, { name: 'placed_at', type: 'timestamp' }] },
      target: { conn_id: 'lake', table, location: 's3a://lake/dw_spark_files/partner_orders_typed', format: 'parquet' },
      load: { strategy: 'snapshot' },
    });
    const { dir, fileOf, dag } = await deploy(spec);
    const drop = path.join(dir, 'partner-drop');
    fs.mkdirSync(path.join(drop, 'orders', '2026-03-01'), { recursive: true });
    fs.writeFileSync(path.join(drop, 'orders', '2026-03-01', 'acme.csv'), 'order_id,partner,amount,placed_at\n1,acme,10.50,2026-03-01 08:00:00\n2,acme,,2026-03-01 09:30:00\n');
    const load = taskOf(dag, 'load.py');
    const answer = await spark.run(fileOf('/load.py'), filled(load, 'postgres', 'partner_drop', INTERVALS[0]!).args.map((a) => a.replace('s3a://partner-drop/', `file://${drop}/`)), {});
    assert.equal(answer.exit, 0, String(answer.error));
    const rows = await spark.rows<Lake>(`SELECT order_id, partner, CAST(amount AS STRING) AS amount, CAST(placed_at AS STRING) AS placed_at FROM ${table}`);
    assert.deepEqual(sorted(rows), sorted([
      { order_id: 1, partner: 'acme', amount: '10.50', placed_at: '2026-03-01 08:00:00' },
      { order_id: 2, partner: 'acme', amount: null, placed_at: '2026-03-01 09:30:00' },
    ]));
    // A value that is not of its column's type fails the run; it does not become NULL.
    fs.mkdirSync(path.join(drop, 'orders', '2026-03-02'), { recursive: true });
    fs.writeFileSync(path.join(drop, 'orders', '2026-03-02', 'acme.csv'), 'order_id,partner,amount,placed_at\nA-17,acme,1.00,2026-03-02 08:00:00\n');
    const bad = await spark.run(fileOf('/load.py'), filled(load, 'postgres', 'partner_drop', INTERVALS[1]!).args.map((a) => a.replace('s3a://partner-drop/', `file://${drop}/`)), {});
    assert.equal(bad.exit, 1);
    assert.match(String(bad.error), /Malformed|FAILFAST|malformed/);
    assert.equal((await spark.rows(`SELECT * FROM ${table} WHERE load_date = '2026-03-02'`)).length, 0, 'nothing of the bad day was written');
  });
});
