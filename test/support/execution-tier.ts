// The execution tier: generated pipelines of the airflow-sql pack run in a real Airflow against the machine's
// PostgreSQL and MariaDB. Each case renders a spec, writes its files into the runner's DAGs folder, fills the
// source with fixtures, and runs the DAG for interval 1, again for interval 1, then for interval 2 after the
// source changed; after each run the target holds exactly what the strategy promises (docs/pipeline-spec.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { evaluateSpec } from '../../src/pipeline-spec/evaluate.ts';
import { patchFromObject } from '../../src/pipeline-spec/patch.ts';
import { defaultRepoConfig } from '../../src/pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../../src/pipeline-spec/schema.ts';
import { renderPipeline, type RenderResult } from '../../src/render/render.ts';
import { GOLDEN_CASES } from './golden-specs.ts';
import { repoRoot } from './harness.ts';
import { AirflowRunner, skipUnlessAirflow, type AirflowLine, type RunAnswer } from './airflow.ts';
import { S3Server } from './s3-server.ts';
import { fileSourceCases, S3_CONN_ID } from './s3-tier.ts';
import { AIRFLOW_URIS, connect, type Database, type Engine, type Row } from './warehouse.ts';

export type Strategy = 'overwrite' | 'append' | 'append_watermark' | 'incremental' | 'incremental_keys' | 'snapshot' | 'scd2';
export const STRATEGY_CASES: Strategy[] = ['overwrite', 'append', 'append_watermark', 'incremental', 'incremental_keys', 'snapshot', 'scd2'];
const ENGINES: Engine[] = ['postgres', 'mariadb'];

/** Runs at 06:00 UTC load the day before: interval 1 is 03-01 06:00 to 03-02 06:00, interval 2 the next day. */
export const INTERVALS = [
  { start: '2026-03-01 06:00:00', end: '2026-03-02 06:00:00', runAfter: '2026-03-02T06:00:00+00:00', date: '2026-03-01' },
  { start: '2026-03-02 06:00:00', end: '2026-03-03 06:00:00', runAfter: '2026-03-03T06:00:00+00:00', date: '2026-03-02' },
  { start: '2026-03-03 06:00:00', end: '2026-03-04 06:00:00', runAfter: '2026-03-04T06:00:00+00:00', date: '2026-03-03' },
];

export type SourceRow = { id: number; customer: string; amount: string | null; status: string | null; updated_at: string };

/** A key, values with NULLs and unicode text, and `updated_at`: one row before interval 1, three inside it. */
export const INITIAL_ROWS: SourceRow[] = [
  { id: 1, customer: 'Zoë Ångström', amount: '10.00', status: 'paid', updated_at: '2026-02-28 12:00:00' },
  { id: 2, customer: 'Łukasz 東京', amount: '20.50', status: 'open', updated_at: '2026-03-01 07:00:00' },
  { id: 3, customer: 'Ñandú', amount: null, status: null, updated_at: '2026-03-01 23:30:00' },
  { id: 4, customer: 'Ольга', amount: '5.25', status: 'paid', updated_at: '2026-03-02 05:59:59' },
];
/** Inside interval 2: an update of row 2 and a new row 5. */
export const UPDATED_ROW: SourceRow = { id: 2, customer: 'Łukasz 東京', amount: '21.00', status: 'paid', updated_at: '2026-03-02 09:00:00' };
export const NEW_ROW: SourceRow = { id: 5, customer: 'Ørjan', amount: '7.00', status: 'open', updated_at: '2026-03-02 10:00:00' };

export const SOURCE_COLUMNS = {
  postgres: [
    { name: 'id', type: 'integer', key: true, nullable: false },
    { name: 'customer', type: 'varchar(100)', nullable: false },
    { name: 'amount', type: 'numeric(10,2)' },
    { name: 'status', type: 'varchar(20)' },
    { name: 'updated_at', type: 'timestamp', nullable: false },
  ],
  mariadb: [
    { name: 'id', type: 'int(11)', key: true, nullable: false },
    { name: 'customer', type: 'varchar(100)', nullable: false },
    { name: 'amount', type: 'decimal(10,2)' },
    { name: 'status', type: 'varchar(20)' },
    { name: 'updated_at', type: 'datetime', nullable: false },
  ],
};

function sqlValue(value: string | number | null): string {
  return value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

/** A row of a source without constraints: its key may be NULL. */
export type LooseRow = Omit<SourceRow, 'id'> & { id: number | null };

/** The source table; `loose` leaves out its constraints, so that it can hold the bad rows the checks must catch. */
export async function createSource(db: Database, schema: string, rows: LooseRow[], loose = false): Promise<void> {
  await db.resetSchema(schema);
  const types = db.engine === 'postgres' ? ['integer', 'varchar(100)', 'numeric(10,2)', 'varchar(20)', 'timestamp'] : ['int', 'varchar(100)', 'decimal(10,2)', 'varchar(20)', 'datetime'];
  const strict = loose ? ['', ''] : [' PRIMARY KEY', ' NOT NULL'];
  await db.exec(`CREATE TABLE ${schema}.orders (id ${types[0]}${strict[0]}, customer ${types[1]}${strict[1]}, amount ${types[2]}, status ${types[3]}, updated_at ${types[4]} NOT NULL)`);
  for (const row of rows) await insertRow(db, schema, row);
}

export async function insertRow(db: Database, schema: string, row: LooseRow): Promise<void> {
  await db.exec(`INSERT INTO ${schema}.orders (id, customer, amount, status, updated_at) VALUES (${[row.id, row.customer, row.amount, row.status, row.updated_at].map(sqlValue).join(', ')})`);
}

export async function updateRow(db: Database, schema: string, row: SourceRow): Promise<void> {
  await db.exec(`UPDATE ${schema}.orders SET amount = ${sqlValue(row.amount)}, status = ${sqlValue(row.status)}, updated_at = ${sqlValue(row.updated_at)} WHERE id = ${row.id}`);
}

/** The spec a data engineer would write for the case (through the same evaluation the bot uses). */
export function caseSpec(options: { airflow: AirflowLine; dagId: string; strategy: Strategy; source: Engine; target: Engine; sourceSchema: string; targetSchema: string; sameConnection: boolean; loose?: boolean; quality?: unknown[]; transform?: string; extra?: Record<string, unknown> }): PipelineSpec {
  const { strategy } = options;
  const load: Record<string, unknown> = { strategy: strategy.replace(/_.*$/, '') };
  if (strategy === 'append_watermark' || strategy.startsWith('incremental')) load.watermark = 'updated_at';
  if (strategy === 'incremental_keys' || strategy === 'scd2') load.keys = ['id'];
  // A key among the columns makes an incremental load upsert on it: the case without keys has none.
  const sourceColumns = SOURCE_COLUMNS[options.source]
    .map((c) => (strategy === 'incremental' ? { ...c, key: undefined } : c))
    .map((c) => (options.loose ? { ...c, nullable: undefined } : c));
  const object = {
    dag_id: options.dagId,
    description: `Orders, ${strategy}, ${options.source} to ${options.target}`,
    schedule: '0 6 * * *',
    start_date: '2026-03-01',
    airflow_version: options.airflow,
    retries: 0,
    source: { type: options.source === 'mariadb' ? 'mariadb' : 'postgres', conn_id: `src_${options.source}`, system: 'shop', table: `${options.sourceSchema}.orders`, columns: sourceColumns },
    target: { type: options.target, conn_id: options.sameConnection ? `src_${options.source}` : `wh_${options.target}`, table: `${options.targetSchema}.orders` },
    load,
    ...(options.quality ? { quality: options.quality } : {}),
    ...(options.transform ? { transform: { sql: options.transform } } : {}),
    ...options.extra,
  };
  return specOf(object);
}

/** A spec written as an object, evaluated as the bot evaluates an issue's spec (defaults applied); it must be valid. */
export function specOf(object: Record<string, unknown>): PipelineSpec {
  const fields = Object.fromEntries(Object.entries(patchFromObject(object).set).map(([k, v]) => [k, { value: v, provenance: { kind: 'issue' as const } }]));
  const evaluation = evaluateSpec(fields, defaultRepoConfig);
  assert.deepEqual(evaluation.errors, [], 'the case spec is valid');
  assert.deepEqual(evaluation.missing, [], 'the case spec is complete');
  return evaluation.spec as unknown as PipelineSpec;
}

/** Writes a render's DAG files (not the repository test) into the runner's DAGs folder; returns the DAG file. */
export function deploy(runner: AirflowRunner, result: RenderResult, folder: string): string {
  const root = path.join(runner.dagsFolder, folder);
  fs.rmSync(root, { recursive: true, force: true });
  for (const file of result.files) {
    if (!file.path.startsWith('dags/')) continue;
    const target = path.join(root, file.path.slice('dags/'.length));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
  }
  return path.join(root, result.plan.dagFile.slice('dags/'.length));
}

export function undeploy(runner: AirflowRunner, folder: string): void {
  fs.rmSync(path.join(runner.dagsFolder, folder), { recursive: true, force: true });
}

/** Renders the spec into the runner's DAGs folder for the time of `use` (given the DAG file), then removes it. */
export async function withDeployed<T>(runner: AirflowRunner, folder: string, spec: PipelineSpec, use: (dagFile: string, result: RenderResult) => Promise<T>): Promise<T> {
  const result = renderPipeline(spec, defaultRepoConfig, { today: '2026-03-01' });
  try {
    return await use(deploy(runner, result, folder), result);
  } finally {
    undeploy(runner, folder);
  }
}

type Expected = Row[];
const sortRows = (rows: Row[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const asRow = (row: SourceRow, extra: Row = {}): Row => ({ id: row.id, customer: row.customer, amount: row.amount, status: row.status, updated_at: row.updated_at, ...extra });
const inWindow = (row: SourceRow, i: number) => row.updated_at >= INTERVALS[i]!.start && row.updated_at < INTERVALS[i]!.end;

/** What the target holds after the runs of intervals 0..upTo, given the source as each run saw it. */
export function expectedRows(strategy: Strategy, sourceAt: SourceRow[][], upTo: number): Expected {
  const runs = sourceAt.slice(0, upTo + 1);
  switch (strategy) {
    case 'overwrite':
      return runs.at(-1)!.map((r) => asRow(r));
    case 'append':
      return runs.flatMap((rows, i) => rows.map((r) => asRow(r, { loaded_for: INTERVALS[i]!.start })));
    case 'append_watermark':
    case 'incremental':
      return runs.flatMap((rows, i) => rows.filter((r) => inWindow(r, i)).map((r) => asRow(r)));
    case 'incremental_keys': {
      const byKey = new Map<number, Row>();
      runs.forEach((rows, i) => rows.filter((r) => inWindow(r, i)).forEach((r) => byKey.set(r.id, asRow(r))));
      return [...byKey.values()];
    }
    case 'snapshot':
      return runs.flatMap((rows, i) => rows.map((r) => asRow(r, { load_date: INTERVALS[i]!.date })));
    case 'scd2': {
      const versions: Row[] = [];
      runs.forEach((rows, i) => {
        for (const r of rows) {
          const current = versions.find((v) => v.id === r.id && v.is_current);
          const row = asRow(r);
          if (current && ['customer', 'amount', 'status', 'updated_at'].every((k) => current[k] === row[k])) continue;
          if (current) Object.assign(current, { valid_to: INTERVALS[i]!.start, is_current: false });
          versions.push({ ...row, valid_from: INTERVALS[i]!.start, valid_to: null, is_current: true });
        }
      });
      return versions;
    }
  }
}

export async function targetRows(db: Database, table: string, strategy: Strategy): Promise<Row[]> {
  const extra = strategy === 'append' ? ', loaded_for' : strategy === 'snapshot' ? ', load_date' : strategy === 'scd2' ? ', valid_from, valid_to, is_current' : '';
  const rows = await db.rows(`SELECT id, customer, amount, status, updated_at${extra} FROM ${table}`);
  return rows.map((r) => ('is_current' in r ? { ...r, is_current: r.is_current === true || r.is_current === 1 } : r));
}

export function assertRows(actual: Row[], expected: Row[], message: string): void {
  assert.deepEqual(sortRows(actual), sortRows(expected), message);
}

export function assertSucceeded(answer: RunAnswer, what: string, log: string): void {
  assert.equal(answer.state, 'success', `${what}: the run ended ${answer.state}; tasks ${JSON.stringify(answer.tasks)}\n${log}`);
}

/** The tier for one Airflow line: every strategy × source engine × target engine, and the data checks. */
export function executionTier(line: AirflowLine): void {
  const skip = skipUnlessAirflow(line);
  describe(`Airflow ${line} runs the generated pipelines`, { skip }, () => {
    let runner: AirflowRunner;
    let s3: S3Server;
    const db: Partial<Record<Engine, Database>> = {};
    before(async () => {
      s3 = await S3Server.start(line);
      runner = await AirflowRunner.start(line, {
        src_postgres: AIRFLOW_URIS.postgres,
        src_mariadb: AIRFLOW_URIS.mariadb,
        wh_postgres: AIRFLOW_URIS.postgres,
        wh_mariadb: AIRFLOW_URIS.mariadb,
        [S3_CONN_ID]: s3.connection(),
      });
      for (const engine of ENGINES) db[engine] = await connect(engine);
    });
    after(async () => {
      await runner?.close();
      await s3?.close();
      for (const engine of ENGINES) await db[engine]?.close();
    });

    fileSourceCases(line, { runner: () => runner, db: (engine) => db[engine]!, s3: () => s3 });

    for (const strategy of STRATEGY_CASES) {
      for (const source of ENGINES) {
        for (const target of ENGINES) {
          const name = `${strategy}, ${source} to ${target}`;
          test(`${name}: interval 1 twice, then interval 2 after an update and an insert, rows exactly as promised`, async () => {
            const tag = `af${line}_${strategy}_${source.slice(0, 2)}${target.slice(0, 2)}`;
            const sourceSchema = `dw_${tag}_src`;
            const targetSchema = `dw_${tag}_wh`;
            const sameConnection = source === target;
            const spec = caseSpec({ airflow: line, dagId: `orders_${tag}`, strategy, source, target, sourceSchema, targetSchema, sameConnection });
            await createSource(db[source]!, sourceSchema, INITIAL_ROWS);
            await db[target]!.resetSchema(targetSchema);
            await withDeployed(runner, tag, spec, async (dagFile, result) => {
              const sourceAt: SourceRow[][] = [INITIAL_ROWS, INITIAL_ROWS];
              for (const attempt of ['first', 'second']) {
                const answer = await runner.run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter);
                if (result.plan.windowed) assert.deepEqual(answer.interval.map((t) => t.slice(0, 19).replace('T', ' ')), [INTERVALS[0]!.start, INTERVALS[0]!.end], 'the run loads interval 1');
                assertSucceeded(answer, `${name}, interval 1 (${attempt} run)`, runner.logTail());
                assertRows(await targetRows(db[target]!, `${targetSchema}.orders`, strategy), expectedRows(strategy, sourceAt, 0), `${name}: after the ${attempt} run of interval 1`);
              }
              await updateRow(db[source]!, sourceSchema, UPDATED_ROW);
              await insertRow(db[source]!, sourceSchema, NEW_ROW);
              sourceAt[1] = [...INITIAL_ROWS.map((r) => (r.id === UPDATED_ROW.id ? UPDATED_ROW : r)), NEW_ROW];
              const answer = await runner.run(dagFile, spec.dag_id!, INTERVALS[1]!.runAfter);
              assertSucceeded(answer, `${name}, interval 2`, runner.logTail());
              assertRows(await targetRows(db[target]!, `${targetSchema}.orders`, strategy), expectedRows(strategy, sourceAt, 1), `${name}: after interval 2`);
            });
          });
        }
      }
    }

    test(`every golden render for Airflow ${line} imports into its DagBag with the tasks and dependencies of its plan`, async () => {
      const cases = GOLDEN_CASES.filter((c) => c.airflow === line);
      assert.ok(cases.length >= 20, 'both packs, every source and strategy');
      for (const { name, spec } of cases) {
        const plan = renderPipeline(spec(), defaultRepoConfig, { today: '2026-11-24' }).plan;
        const answer = await runner.importFolder(path.join(repoRoot, 'fixtures/golden', name, 'dags'));
        assert.deepEqual(answer.import_errors, {}, `${name} imports without errors`);
        const planned = Object.fromEntries(plan.tasks.map((t) => [t.id, [...t.upstream].sort()]));
        assert.deepEqual(answer.dags[plan.spec.dag_id!], planned, `${name}: the DAG's tasks and their upstream tasks are the plan's`);
      }
    });

    for (const [source, target] of [['postgres', 'mariadb'], ['mariadb', 'postgres']] as Array<[Engine, Engine]>) {
      const pair = `${source.slice(0, 2)}${target.slice(0, 2)}`;
      test(`a transform, ${source} to ${target}: the target holds the transformed rows`, async () => {
        const tag = `af${line}_transform_${pair}`;
        const transform = 'SELECT id, UPPER(customer) AS customer, amount, status, updated_at FROM source WHERE status IS NOT NULL';
        const spec = caseSpec({ airflow: line, dagId: `orders_${tag}`, strategy: 'overwrite', source, target, sourceSchema: `dw_${tag}_src`, targetSchema: `dw_${tag}_wh`, sameConnection: false, transform });
        await createSource(db[source]!, `dw_${tag}_src`, INITIAL_ROWS);
        await db[target]!.resetSchema(`dw_${tag}_wh`);
        await withDeployed(runner, tag, spec, async (dagFile) => {
          assertSucceeded(await runner.run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter), `transform, ${source} to ${target}`, runner.logTail());
          const expected = INITIAL_ROWS.filter((r) => r.status !== null).map((r) => asRow({ ...r, customer: r.customer.toUpperCase() }));
          assertRows(await targetRows(db[target]!, `dw_${tag}_wh.orders`, 'overwrite'), expected, 'the transformed rows');
        });
      });

      test(`a lookback, ${source} to ${target}: a row that arrived late for interval 1 is loaded by interval 2`, async () => {
        const tag = `af${line}_lookback_${pair}`;
        const spec = caseSpec({ airflow: line, dagId: `orders_${tag}`, strategy: 'incremental_keys', source, target, sourceSchema: `dw_${tag}_src`, targetSchema: `dw_${tag}_wh`, sameConnection: false, extra: { load: { strategy: 'incremental', watermark: 'updated_at', keys: ['id'], lookback: '1d' } } });
        await createSource(db[source]!, `dw_${tag}_src`, INITIAL_ROWS);
        await db[target]!.resetSchema(`dw_${tag}_wh`);
        await withDeployed(runner, tag, spec, async (dagFile) => {
          assertSucceeded(await runner.run(dagFile, spec.dag_id!, INTERVALS[0]!.runAfter), 'interval 1', runner.logTail());
          const late: SourceRow = { id: 6, customer: 'Late', amount: '1.00', status: 'open', updated_at: '2026-03-01 12:00:00' };
          await insertRow(db[source]!, `dw_${tag}_src`, late);
          await updateRow(db[source]!, `dw_${tag}_src`, UPDATED_ROW);
          assertSucceeded(await runner.run(dagFile, spec.dag_id!, INTERVALS[1]!.runAfter), 'interval 2', runner.logTail());
          // Interval 1 read back to 02-28 06:00 (row 1 too); interval 2 re-read interval 1 and found the late row.
          const expected = [...INITIAL_ROWS.map((r) => (r.id === UPDATED_ROW.id ? UPDATED_ROW : r)), late].map((r) => asRow(r));
          assertRows(await targetRows(db[target]!, `dw_${tag}_wh.orders`, 'incremental_keys'), expected, 'interval 2 upserted the late row and the update');
        });
      });
    }

    for (const engine of ENGINES) {
      const tag = `af${line}_checks_${engine.slice(0, 2)}`;
      const quality = [
        { check: 'row_count', min: 1, scope: 'table' },
        { check: 'not_null', columns: ['id', 'customer'] },
        { check: 'unique', columns: ['id'] },
        { check: 'unique', columns: ['customer', 'status'] },
        { check: 'accepted_values', column: 'status', values: ['open', 'paid'] },
        { check: 'freshness', column: 'updated_at', max_age: '12h' },
        { check: 'sql', name: 'no_negative_amounts', sql: 'SELECT COUNT(*) FROM {{ target }} WHERE amount < 0' },
      ];
      const spec = () => caseSpec({ airflow: line, dagId: `orders_${tag}`, strategy: 'append_watermark', source: engine, target: engine, sourceSchema: `dw_${tag}_src`, targetSchema: `dw_${tag}_wh`, sameConnection: true, loose: true, quality });
      const runWith = async (rows: LooseRow[] | undefined, interval = 0): Promise<RunAnswer> => {
        if (rows) {
          await createSource(db[engine]!, `dw_${tag}_src`, rows, true);
          await db[engine]!.resetSchema(`dw_${tag}_wh`);
        }
        return withDeployed(runner, tag, spec(), (dagFile) => runner.run(dagFile, `orders_${tag}`, INTERVALS[interval]!.runAfter));
      };
      const bad: Array<[string, LooseRow[], string]> = [
        ['a NULL key', [...INITIAL_ROWS, { ...NEW_ROW, id: null, updated_at: '2026-03-01 08:00:00' }], 'check_table'],
        ['a duplicate key', [...INITIAL_ROWS, { ...NEW_ROW, id: 2, updated_at: '2026-03-01 08:00:00' }], 'check_table'],
        ['a value outside accepted_values', [...INITIAL_ROWS, { ...NEW_ROW, status: 'refunded', updated_at: '2026-03-01 08:00:00' }], 'check_table'],
        ['stale rows (the newest is 23 hours old at the window end)', INITIAL_ROWS.filter((r) => r.id <= 2), 'check_table'],
        ['a row the custom sql check counts', [...INITIAL_ROWS, { ...NEW_ROW, amount: '-1.00', updated_at: '2026-03-01 08:00:00' }], 'check_no_negative_amounts'],
        ['the same customer and status twice', [...INITIAL_ROWS, { ...INITIAL_ROWS[1]!, id: 9, updated_at: '2026-03-01 09:00:00' }], 'check_unique_customer_status'],
      ];
      test(`data checks on ${engine}: good data passes (a NULL in a multi-column unique check, an empty interval); bad data fails the run`, async () => {
        const good = await runWith(INITIAL_ROWS);
        assertSucceeded(good, `${engine}, good data`, runner.logTail());
        // The next interval has no rows at all: normal data, which no check may fail on.
        const quiet = await runWith(undefined, 2);
        assertSucceeded(quiet, `${engine}, an interval without rows`, runner.logTail());
        for (const [what, rows, task] of bad) {
          const answer = await runWith(rows);
          assert.equal(answer.state, 'failed', `${engine}, ${what}: the run must fail; tasks ${JSON.stringify(answer.tasks)}`);
          assert.equal(answer.tasks[task], 'failed', `${engine}, ${what}: ${task} fails; tasks ${JSON.stringify(answer.tasks)}`);
        }
      });
    }
  });
}
