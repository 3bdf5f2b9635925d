// The execution tier's file sources: a day's export in S3 (csv, json, jsonl, parquet) loaded by the airflow-sql
// pack into PostgreSQL and MariaDB, through moto's S3 server on loopback. Each case writes interval 1's file, runs
// interval 1 twice, writes interval 2's file (an update and an insert) and runs interval 2; the target then holds
// exactly what the strategy promises for the files the runs read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AirflowLine, AirflowRunner } from './airflow.ts';
import {
  assertRows,
  assertSucceeded,
  expectedRows,
  INITIAL_ROWS,
  INTERVALS,
  NEW_ROW,
  SOURCE_COLUMNS,
  specOf,
  targetRows,
  UPDATED_ROW,
  withDeployed,
  type SourceRow,
  type Strategy,
} from './execution-tier.ts';
import type { S3Server } from './s3-server.ts';
import type { Database, Engine } from './warehouse.ts';

export const FILE_FORMATS = ['csv', 'json', 'jsonl', 'parquet'] as const;
type FileFormat = (typeof FILE_FORMATS)[number];
const FILE_STRATEGIES: Strategy[] = ['overwrite', 'append', 'append_watermark', 'snapshot'];
export const S3_CONN_ID = 'landing_s3';
const BUCKET = 'landing';

/** A CSV as spreadsheets and exporters write it: a byte-order mark, columns in an order of their own, quoted values, empty fields for NULL. */
function csvText(rows: SourceRow[]): string {
  const order = ['updated_at', 'id', 'status', 'customer', 'amount'] as const;
  const field = (value: string | number | null) => (value === null ? '' : /[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));
  return `\ufeff${[order.join(','), ...rows.map((r) => order.map((c) => field(r[c])).join(','))].join('\r\n')}\r\n`;
}

/** JSON as an API export writes it: numbers as numbers, timestamps in ISO 8601. */
function jsonRecord(row: SourceRow): Record<string, unknown> {
  return { id: row.id, customer: row.customer, amount: row.amount === null ? null : Number(row.amount), status: row.status, updated_at: row.updated_at.replace(' ', 'T') };
}

async function writeExport(runner: AirflowRunner, s3: S3Server, key: string, format: FileFormat, rows: SourceRow[]): Promise<void> {
  const where = { endpoint: s3.endpoint, bucket: BUCKET, key };
  if (format === 'csv') return runner.putObject({ ...where, text: csvText(rows) });
  if (format === 'json') return runner.putObject({ ...where, text: JSON.stringify(rows.map(jsonRecord), null, 2) });
  if (format === 'jsonl') return runner.putObject({ ...where, text: `${rows.map((r) => JSON.stringify(jsonRecord(r))).join('\n')}\n` });
  const columns = [
    { name: 'id', type: 'int32' as const },
    { name: 'customer', type: 'string' as const },
    { name: 'amount', type: 'decimal' as const },
    { name: 'status', type: 'string' as const },
    { name: 'updated_at', type: 'timestamp' as const },
  ];
  return runner.putObject({ ...where, parquet: { columns, rows } });
}

function fileSpec(line: AirflowLine, tag: string, format: FileFormat, strategy: Strategy, target: Engine, source: { path?: string; if_empty?: 'fail' | 'skip'; delimiter?: string; quote?: string; header?: boolean } = {}) {
  return specOf({
    dag_id: `orders_${tag}`,
    description: `Orders exported to S3 as ${format}, ${strategy}, into ${target}`,
    schedule: '0 6 * * *',
    start_date: '2026-03-01',
    airflow_version: line,
    retries: 0,
    source: { type: 's3', conn_id: S3_CONN_ID, system: 'shop', bucket: BUCKET, path: `${tag}/orders/{{ data_interval_start | ds }}.${format}`, format, columns: SOURCE_COLUMNS.postgres, ...source },
    target: { type: target, conn_id: `wh_${target}`, table: `dw_${tag}_wh.orders` },
    load: { strategy: strategy.replace(/_.*$/, ''), ...(strategy === 'append_watermark' ? { watermark: 'updated_at' } : {}) },
  });
}

type Tier = { runner: () => AirflowRunner; db: (engine: Engine) => Database; s3: () => S3Server };

/** The file cases, registered inside the tier's describe (the runner, databases and S3 server exist by then). */
export function fileSourceCases(line: AirflowLine, the: Tier): void {
  malformedFileCase(line, the);
  manyFilesCases(line, the);
  for (const format of FILE_FORMATS) {
    for (const strategy of FILE_STRATEGIES) {
      for (const target of ['postgres', 'mariadb'] as Engine[]) {
        const name = `S3 ${format}, ${strategy}, into ${target}`;
        test(`${name}: interval 1 twice, then interval 2's file, rows exactly as promised`, async () => {
          const tag = `af${line}_s3_${format}_${strategy}_${target.slice(0, 2)}`;
          const spec = fileSpec(line, tag, format, strategy, target);
          const runner = the.runner();
          const db = the.db(target);
          await db.resetSchema(`dw_${tag}_wh`);
          const day2 = [...INITIAL_ROWS.map((r) => (r.id === UPDATED_ROW.id ? UPDATED_ROW : r)), NEW_ROW];
          const files = [INITIAL_ROWS, day2];
          for (const [i, rows] of files.entries()) await writeExport(runner, the.s3(), `${tag}/orders/${INTERVALS[i]!.date}.${format}`, format, rows);
          await withDeployed(runner, tag, spec, async (dagFile) => {
            for (const attempt of ['first', 'second']) {
              assertSucceeded(await runner.run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter), `${name}, interval 1 (${attempt} run)`, runner.logTail());
              assertRows(await targetRows(db, `dw_${tag}_wh.orders`, strategy), expectedRows(strategy, files, 0), `${name}: after the ${attempt} run of interval 1`);
            }
            assertSucceeded(await runner.run(dagFile, spec.dag_id!, INTERVALS[1]!.runAfter), `${name}, interval 2`, runner.logTail());
            assertRows(await targetRows(db, `dw_${tag}_wh.orders`, strategy), expectedRows(strategy, files, 1), `${name}: after interval 2`);
          });
        });
      }
    }
  }
}

/** A file that lacks a column the spec names fails its run at the load, saying which column. */
function malformedFileCase(line: AirflowLine, the: Tier): void {
  test('S3 csv without a column the spec names: the load fails the run and names the column', async () => {
    const tag = `af${line}_s3_csv_malformed`;
    const spec = fileSpec(line, tag, 'csv', 'overwrite', 'postgres');
    const runner = the.runner();
    await the.db('postgres').resetSchema(`dw_${tag}_wh`);
    const text = csvText(INITIAL_ROWS).replace(/,status(?=,)/, ',state');
    await runner.putObject({ endpoint: the.s3().endpoint, bucket: BUCKET, key: `${tag}/orders/${INTERVALS[0]!.date}.csv`, text });
    await withDeployed(runner, tag, spec, async (dagFile) => {
      const answer = await runner.run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter);
      assert.equal(answer.state, 'failed', `the run fails; tasks ${JSON.stringify(answer.tasks)}`);
      assert.equal(answer.tasks.load, 'failed');
      assert.match(runner.logTail(200), /header has no column status/);
      assert.deepEqual(await the.db('postgres').rows(`SELECT * FROM dw_${tag}_wh.orders`), [], 'nothing was published');
    });
  });
}

/** Runs a DAG for an interval, twice when asked, and checks the run's end and the target's rows after each. */
async function runChecked(the: Tier, dagFile: string, dagId: string, interval: number, check: (answer: Awaited<ReturnType<AirflowRunner['run']>>) => Promise<void>, times = 2): Promise<void> {
  for (let i = 0; i < times; i++) await check(await the.runner().run(dagFile, dagId, INTERVALS[interval]!.runAfter));
}

/** Many files per run: parts a glob or a prefix names, a day without any, and a part that cannot be read. */
function manyFilesCases(line: AirflowLine, the: Tier): void {
  const parts = [INITIAL_ROWS.slice(0, 2), INITIAL_ROWS.slice(2, 3), INITIAL_ROWS.slice(3)];
  for (const target of ['postgres', 'mariadb'] as Engine[]) {
    test(`S3 parquet parts by a glob into ${target}: three parts loaded once per run (twice run), a day without parts fails naming the glob`, async () => {
      const tag = `af${line}_s3_glob_${target.slice(0, 2)}`;
      const spec = fileSpec(line, tag, 'parquet', 'append', target, { path: `${tag}/readings/dt={{ data_interval_start | ds }}/part-*.parquet` });
      const db = the.db(target);
      await db.resetSchema(`dw_${tag}_wh`);
      for (const [i, rows] of parts.entries()) await writeExport(the.runner(), the.s3(), `${tag}/readings/dt=${INTERVALS[0]!.date}/part-${i}.parquet`, 'parquet', rows);
      // What Spark writes beside its parts matches no glob of parts.
      await the.runner().putObject({ endpoint: the.s3().endpoint, bucket: BUCKET, key: `${tag}/readings/dt=${INTERVALS[0]!.date}/_SUCCESS`, text: '' });
      await withDeployed(the.runner(), tag, spec, async (dagFile) => {
        await runChecked(the, dagFile, spec.dag_id!, 0, async (answer) => {
          assertSucceeded(answer, `${tag}, interval 1`, the.runner().logTail());
          assertRows(await targetRows(db, `dw_${tag}_wh.orders`, 'append'), expectedRows('append', [INITIAL_ROWS], 0), 'the three parts, once');
        });
        await runChecked(the, dagFile, spec.dag_id!, 1, async (answer) => {
          assert.equal(answer.state, 'failed', `a day without parts fails; tasks ${JSON.stringify(answer.tasks)}`);
          assert.equal(answer.tasks.list_files, 'failed');
          assert.match(the.runner().logTail(200), new RegExp(`no file matches s3://${BUCKET}/${tag}/readings/dt=${INTERVALS[1]!.date}/part-\\*\\.parquet for this run`));
          assertRows(await targetRows(db, `dw_${tag}_wh.orders`, 'append'), expectedRows('append', [INITIAL_ROWS], 0), 'nothing changed');
        }, 1);
      });
    });

    test(`S3 csv parts under a prefix into ${target}, if_empty skip: the day's parts loaded (twice run), a day without parts skips and changes nothing`, async () => {
      const tag = `af${line}_s3_prefix_${target.slice(0, 2)}`;
      const spec = fileSpec(line, tag, 'csv', 'snapshot', target, { path: `${tag}/prices/{{ data_interval_start | ds }}/`, if_empty: 'skip' });
      const db = the.db(target);
      await db.resetSchema(`dw_${tag}_wh`);
      for (const [i, rows] of parts.entries()) await writeExport(the.runner(), the.s3(), `${tag}/prices/${INTERVALS[0]!.date}/export-${i}.csv`, 'csv', rows);
      await withDeployed(the.runner(), tag, spec, async (dagFile) => {
        const first = expectedRows('snapshot', [INITIAL_ROWS], 0);
        await runChecked(the, dagFile, spec.dag_id!, 0, async (answer) => {
          assertSucceeded(answer, `${tag}, interval 1`, the.runner().logTail());
          assertRows(await targetRows(db, `dw_${tag}_wh.orders`, 'snapshot'), first, 'the day\'s parts, once');
        });
        await runChecked(the, dagFile, spec.dag_id!, 1, async (answer) => {
          assertSucceeded(answer, `${tag}, a day without parts`, the.runner().logTail());
          assert.equal(answer.tasks.list_files, 'skipped');
          assertRows(await targetRows(db, `dw_${tag}_wh.orders`, 'snapshot'), first, 'nothing changed');
        });
      });
    });
  }

  test("S3 csv in a dialect of its own: ';' between fields, ' as the quote, no header", async () => {
    const tag = `af${line}_s3_csv_dialect`;
    const spec = fileSpec(line, tag, 'csv', 'overwrite', 'mariadb', { delimiter: ';', quote: "'", header: false });
    const rows = INITIAL_ROWS.map((r) => (r.id === 3 ? { ...r, customer: "Ñandú; O'Neil" } : r));
    const field = (value: string | number | null) => (value === null ? '' : /[;'\n]/.test(String(value)) ? `'${String(value).replace(/'/g, "''")}'` : String(value));
    const text = rows.map((r) => [r.id, r.customer, r.amount, r.status, r.updated_at].map(field).join(';')).join('\n') + '\n';
    await the.db('mariadb').resetSchema(`dw_${tag}_wh`);
    await the.runner().putObject({ endpoint: the.s3().endpoint, bucket: BUCKET, key: `${tag}/orders/${INTERVALS[0]!.date}.csv`, text });
    await withDeployed(the.runner(), tag, spec, async (dagFile) => {
      assertSucceeded(await the.runner().run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter), tag, the.runner().logTail());
      assertRows(await targetRows(the.db('mariadb'), `dw_${tag}_wh.orders`, 'overwrite'), expectedRows('overwrite', [rows], 0), 'the rows, quoted fields whole');
    });
  });

  test('S3 parts with one that is not parquet: the run fails at its load naming the key, and nothing is published', async () => {
    const tag = `af${line}_s3_badpart`;
    const spec = fileSpec(line, tag, 'parquet', 'overwrite', 'postgres', { path: `${tag}/readings/dt={{ data_interval_start | ds }}/part-*.parquet` });
    const db = the.db('postgres');
    await db.resetSchema(`dw_${tag}_wh`);
    await writeExport(the.runner(), the.s3(), `${tag}/readings/dt=${INTERVALS[0]!.date}/part-0.parquet`, 'parquet', INITIAL_ROWS);
    const bad = `${tag}/readings/dt=${INTERVALS[0]!.date}/part-1.parquet`;
    await the.runner().putObject({ endpoint: the.s3().endpoint, bucket: BUCKET, key: bad, text: csvText(INITIAL_ROWS) });
    await withDeployed(the.runner(), tag, spec, async (dagFile) => {
      const answer = await the.runner().run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter);
      assert.equal(answer.state, 'failed', `the run fails; tasks ${JSON.stringify(answer.tasks)}`);
      assert.equal(answer.tasks.merge, 'upstream_failed');
      assert.match(the.runner().logTail(300), new RegExp(`s3://${BUCKET}/${bad.replace(/[.*]/g, '\\$&')}: `));
      assert.deepEqual(await db.rows(`SELECT * FROM dw_${tag}_wh.orders`), [], 'nothing was published');
    });
  });
}
