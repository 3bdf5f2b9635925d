// The specs behind the golden renders (fixtures/golden/<pack>/<case>): each pack × source × strategy × Airflow
// line, and the file formats of the airflow-sql pack. Shared by the render tests and the DagBag tier.
import assert from 'node:assert/strict';
import { evaluateSpec } from '../../src/pipeline-spec/evaluate.ts';
import { patchFromObject } from '../../src/pipeline-spec/patch.ts';
import { defaultRepoConfig } from '../../src/pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../../src/pipeline-spec/schema.ts';

export const columns = [
  { name: 'customer_id', type: 'uuid', key: true, nullable: false },
  { name: 'email', type: 'varchar(100)' },
  { name: 'country', type: 'char(2)' },
  { name: 'updated_at', type: 'timestamp' },
];

type Source = 'postgres' | 'mysql' | 's3';

export function specFor(strategy: string, airflow: 2 | 3, source: Source | 'postgres' | 'mysql', pack = 'airflow-sql'): PipelineSpec {
  const sources: Record<Source, Record<string, unknown>> = {
    postgres: { type: 'postgres', conn_id: 'orders_pg', table: 'public.customers', columns },
    mysql: { type: 'mysql', conn_id: 'shop_mysql', table: 'shop.customers', columns },
    s3: { type: 's3', conn_id: 'landing_s3', system: 'landing', bucket: 'landing', path: 'exports/customers/{{ data_interval_start | ds }}.csv', format: 'csv', columns },
  };
  const object = {
    dag_id: `${source}_customers_${strategy}`,
    description: `Customers from the ${source} orders database, loaded with ${strategy}`,
    schedule: '0 6 * * *',
    timezone: 'Europe/Berlin',
    start_date: '2026-01-01',
    airflow_version: airflow,
    pack,
    source: sources[source],
    target: { conn_id: 'lake', table: 'raw_orders.customers', ...(pack === 'spark-docker' ? { location: 's3a://lake/raw/orders/customers', format: 'parquet' } : {}) },
    load: { strategy, ...(strategy === 'incremental' || strategy === 'append' ? { watermark: 'updated_at' } : {}), ...(strategy === 'scd2' || strategy === 'incremental' ? { keys: ['customer_id'] } : {}) },
    quality: [
      { check: 'row_count', min: 1 },
      { check: 'not_null', columns: ['customer_id'] },
      { check: 'accepted_values', column: 'country', values: ['DE', 'FR', 'US'] },
      { check: 'sql', name: 'no_future_rows', sql: 'SELECT count(*) FROM {{ target }} WHERE updated_at > now()' },
    ],
    notify: { on_failure: ['email:data-team@example.com', 'conn:slack_alerts'] },
  };
  const fields = Object.fromEntries(Object.entries(patchFromObject(object).set).map(([k, v]) => [k, { value: v, provenance: { kind: 'issue' as const } }]));
  const evaluation = evaluateSpec(fields, defaultRepoConfig);
  assert.deepEqual(evaluation.errors, []);
  return evaluation.spec as unknown as PipelineSpec;
}


export type GoldenCase = { name: string; pack: string; airflow: 2 | 3; spec: () => PipelineSpec };

/** Every golden render: its folder under fixtures/golden and the spec it renders. */
export const GOLDEN_CASES: GoldenCase[] = (() => {
  const cases: GoldenCase[] = [];
  for (const pack of ['airflow-sql', 'spark-docker']) {
    for (const source of ['postgres', 'mysql', 's3'] as const) {
      const strategies = source === 's3' ? ['snapshot', 'append', 'overwrite'] : ['overwrite', 'append', 'incremental', 'snapshot', 'scd2'];
      for (const strategy of strategies) {
        for (const airflow of [2, 3] as const) cases.push({ name: `${pack}/${source}-${strategy}-af${airflow}`, pack, airflow, spec: () => specFor(strategy, airflow, source, pack) });
      }
    }
  }
  for (const format of ['json', 'jsonl', 'parquet'] as const) {
    for (const strategy of ['snapshot', 'append', 'overwrite']) {
      cases.push({
        name: `airflow-sql/s3-${format}-${strategy}-af3`,
        pack: 'airflow-sql',
        airflow: 3,
        spec: () => {
          const full = specFor(strategy, 3, 'postgres');
          return { ...full, source: { type: 's3', conn_id: 'landing_s3', system: 'landing', bucket: 'landing', path: `exports/customers/{{ data_interval_start | ds }}.${format}`, format, columns } } as unknown as PipelineSpec;
        },
      });
    }
  }
  // Many files a run: a glob of parts, and a run without files skipped.
  for (const pack of ['airflow-sql', 'spark-docker']) {
    for (const airflow of [2, 3] as const) {
      cases.push({
        name: `${pack}/s3-glob-skip-af${airflow}`,
        pack,
        airflow,
        spec: () => {
          const full = specFor('snapshot', airflow, 's3', pack);
          return { ...full, source: { ...full.source, path: 'readings/dt={{ data_interval_start | ds }}/part-*.parquet', format: 'parquet', if_empty: 'skip' } } as unknown as PipelineSpec;
        },
      });
    }
  }
  return cases;
})();
