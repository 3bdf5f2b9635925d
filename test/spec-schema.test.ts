// The spec's rules, table-driven: a valid base spec, each case changing one thing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultRepoConfig, parseRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { messages } from '../src/i18n/index.ts';
import { describeProblem } from '../src/pipeline-spec/describe-problem.ts';
import { evaluateSpec, systemFromConnId } from '../src/pipeline-spec/evaluate.ts';
import { applyPatch, checkPatch, patchFromObject, type SpecFields } from '../src/pipeline-spec/patch.ts';

const base = {
  dag_id: 'orders_customers_daily',
  description: 'Daily copy of customers',
  schedule: '0 6 * * *',
  source: { type: 'postgres', conn_id: 'orders_pg', table: 'public.customers' },
  target: { conn_id: 'lake', table: 'raw_orders.customers' },
  load: { strategy: 'snapshot' },
};

type Case = [title: string, change: Record<string, unknown>, expected: 'valid' | { error: string; path?: string } | { missing: string }];

const cases: Case[] = [
  ['the base spec', {}, 'valid'],
  ['version 1', { version: 1 }, 'valid'],
  ['version 2', { version: 2 }, { error: '@version', path: 'version' }],
  ['dag_id with digits and _', { dag_id: 'a1_b2_c3' }, 'valid'],
  ['dag_id too short', { dag_id: 'ab' }, { error: '@dag_id', path: 'dag_id' }],
  ['dag_id with a capital', { dag_id: 'Orders' }, { error: '@dag_id', path: 'dag_id' }],
  ['dag_id starting with a digit', { dag_id: '1orders' }, { error: '@dag_id', path: 'dag_id' }],
  ['dag_id with a path traversal', { dag_id: '../x' }, { error: '@dag_id', path: 'dag_id' }],
  ['dag_id with a slash', { dag_id: 'a/b_c' }, { error: '@dag_id', path: 'dag_id' }],
  ['dag_id of 101 characters', { dag_id: `a${'b'.repeat(100)}` }, { error: '@dag_id', path: 'dag_id' }],
  ['dag_id as a number', { dag_id: 123 }, { error: '@type_string', path: 'dag_id' }],
  ['no dag_id', { dag_id: undefined }, { missing: 'dag_id' }],
  ['no description', { description: undefined }, { missing: 'description' }],
  ['empty description', { description: '  ' }, { error: '@empty', path: 'description' }],
  ['no schedule', { schedule: undefined }, { missing: 'schedule' }],
  ['schedule @hourly', { schedule: '@hourly' }, 'valid'],
  ['schedule @yearly', { schedule: '@yearly' }, 'valid'],
  ['schedule manual', { schedule: 'manual' }, 'valid'],
  ['schedule every 15 minutes on weekdays', { schedule: '*/15 8-18 * * 1-5' }, 'valid'],
  ['schedule with six fields', { schedule: '0 0 6 * * *' }, { error: '@cron_fields', path: 'schedule' }],
  ['schedule with four fields', { schedule: '0 6 * *' }, { error: '@cron_fields', path: 'schedule' }],
  ['schedule with minute 61', { schedule: '61 6 * * *' }, { error: '@cron_range', path: 'schedule' }],
  ['schedule with hour 25', { schedule: '0 25 * * *' }, { error: '@cron_range', path: 'schedule' }],
  ['schedule @fortnightly', { schedule: '@fortnightly' }, { error: '@schedule', path: 'schedule' }],
  ['schedule in words', { schedule: 'every day' }, { error: '@cron_fields', path: 'schedule' }],
  ['timezone Europe/Moscow', { timezone: 'Europe/Moscow' }, 'valid'],
  ['timezone Mars/Olympus', { timezone: 'Mars/Olympus' }, { error: '@timezone', path: 'timezone' }],
  ['timezone as an offset', { timezone: '+03:00' }, { error: '@timezone', path: 'timezone' }],
  ['start_date', { start_date: '2026-01-01' }, 'valid'],
  ['start_date 2026-02-30', { start_date: '2026-02-30' }, { error: '@date', path: 'start_date' }],
  ['start_date in another format', { start_date: '01.01.2026' }, { error: '@date', path: 'start_date' }],
  ['layer dm', { layer: 'dm' }, 'valid'],
  ['layer gold', { layer: 'gold' }, { error: '@one_of', path: 'layer' }],
  ['catchup as text', { catchup: 'yes' }, { error: '@type_boolean', path: 'catchup' }],
  ['retries 0', { retries: 0 }, 'valid'],
  ['retries -1', { retries: -1 }, { error: '@min', path: 'retries' }],
  ['retries 2.5', { retries: 2.5 }, { error: '@type_integer', path: 'retries' }],
  ['retry_delay 30s', { retry_delay: '30s' }, 'valid'],
  ['retry_delay 5 minutes', { retry_delay: '5 minutes' }, { error: '@duration', path: 'retry_delay' }],
  ['timeout 0h', { timeout: '0h' }, { error: '@duration', path: 'timeout' }],
  ['airflow_version 2', { airflow_version: 2 }, 'valid'],
  ['airflow_version 4', { airflow_version: 4 }, { error: '@airflow_version', path: 'airflow_version' }],
  ['tags', { tags: ['orders', 'pii'] }, 'valid'],
  ['a tag with a space', { tags: ['two words'] }, { error: '@tag', path: 'tags.0' }],
  ['an unknown top-level field', { schedul: '0 6 * * *' }, { error: '@unrecognized_keys' }],
  ['source type oracle', { source: { ...base.source, type: 'oracle' } }, 'valid'],
  ['source type excel', { source: { ...base.source, type: 'excel' } }, { error: '@one_of', path: 'source.type' }],
  ['no source type', { source: { conn_id: 'orders_pg', table: 'public.customers' } }, { missing: 'source.type' }],
  ['no source conn_id', { source: { type: 'postgres', table: 'public.customers' } }, { missing: 'source.conn_id' }],
  ['conn_id that is a URL', { source: { ...base.source, conn_id: 'postgres://db/orders' } }, { error: '@conn_id', path: 'source.conn_id' }],
  ['a password URL anywhere', { description: 'from postgres://etl:s3cret@db/orders' }, { error: '@url_with_password', path: 'description' }],
  ['a database source without table or query', { source: { type: 'postgres', conn_id: 'orders_pg' } }, { missing: 'source.table' }],
  ['a database source with a query', { source: { type: 'postgres', conn_id: 'orders_pg', query: 'SELECT * FROM public.customers' } }, 'valid'],
  ['table and query together', { source: { ...base.source, query: 'SELECT 1' } }, { error: '@table_and_query', path: 'source.query' }],
  ['a query that is no SELECT', { source: { type: 'postgres', conn_id: 'orders_pg', query: 'DELETE FROM t' } }, { error: '@select', path: 'source.query' }],
  ['a table with a space', { source: { ...base.source, table: 'public.my table' } }, { error: '@source_table', path: 'source.table' }],
  ['s3 with bucket, path and format', { source: { type: 's3', conn_id: 'aws', bucket: 'landing', path: 'exports/*.csv', format: 'csv' } }, 'valid'],
  ['s3 without a bucket', { source: { type: 's3', conn_id: 'aws', path: 'exports/*.csv', format: 'csv' } }, { missing: 'source.bucket' }],
  ['s3 without a format', { source: { type: 's3', conn_id: 'aws', bucket: 'landing', path: 'x/*.csv' } }, { missing: 'source.format' }],
  ['s3 with an xls format', { source: { type: 's3', conn_id: 'aws', bucket: 'landing', path: 'x', format: 'xls' } }, { error: '@one_of', path: 'source.format' }],
  ['s3 with an incremental load', { source: { type: 's3', conn_id: 'aws', bucket: 'landing', path: 'x', format: 'csv' }, load: { strategy: 'incremental', watermark: 'ts' } }, { error: '@file_strategy', path: 'load.strategy' }],
  ['http with an endpoint', { source: { type: 'http', conn_id: 'crm_api', endpoint: '/v1/customers', records_path: 'data.items', pagination: { type: 'page', param: 'page', size: 100 } } }, 'valid'],
  ['http without an endpoint', { source: { type: 'http', conn_id: 'crm_api' } }, { missing: 'source.endpoint' }],
  ['http pagination of an unknown type', { source: { type: 'http', conn_id: 'crm_api', endpoint: '/v1', pagination: { type: 'scroll' } } }, { error: '@one_of', path: 'source.pagination.type' }],
  ['kafka without a topic', { source: { type: 'kafka', conn_id: 'events', format: 'json' } }, { missing: 'source.topic' }],
  ['an unknown source field', { source: { ...base.source, tabel: 'x' } }, { error: '@unrecognized_keys' }],
  ['columns', { source: { ...base.source, columns: [{ name: 'id', type: 'uuid', key: true, nullable: false }] } }, 'valid'],
  ['a column without a type', { source: { ...base.source, columns: [{ name: 'id' }] } }, { error: '@type_string', path: 'source.columns.0.type' }],
  ['target table without a schema', { target: { conn_id: 'lake', table: 'customers' } }, { error: '@target_table', path: 'target.table' }],
  ['no target table', { target: { conn_id: 'lake' } }, { missing: 'target.table' }],
  ['target partition_by', { target: { ...base.target, partition_by: ['load_date'] } }, 'valid'],
  ['no load strategy', { load: {} }, { missing: 'load.strategy' }],
  ['strategy merge', { load: { strategy: 'merge' } }, { error: '@one_of', path: 'load.strategy' }],
  ['incremental with a watermark', { load: { strategy: 'incremental', watermark: 'updated_at', keys: ['id'] } }, 'valid'],
  ['incremental without a watermark', { load: { strategy: 'incremental' } }, { missing: 'load.watermark' }],
  ['scd2 with keys', { load: { strategy: 'scd2', keys: ['customer_id'] } }, 'valid'],
  ['scd2 without keys', { load: { strategy: 'scd2' } }, { missing: 'load.keys' }],
  ['append without a watermark', { load: { strategy: 'append' } }, 'valid'],
  ['keys that are not a list', { load: { strategy: 'scd2', keys: 'id' } }, { error: '@type_list', path: 'load.keys' }],
  ['transform as a SELECT over source', { transform: { sql: 'SELECT id, lower(email) AS email FROM source' } }, 'valid'],
  ['transform that is no query', { transform: { sql: 'lowercase the emails' } }, { error: '@select', path: 'transform.sql' }],
  ['every kind of check', { quality: [{ check: 'row_count', min: 1 }, { check: 'not_null', columns: ['id'] }, { check: 'unique', columns: ['id'] }, { check: 'accepted_values', column: 'country', values: ['US', 'DE'] }, { check: 'freshness', column: 'updated_at', max_age: '1d' }, { check: 'sql', name: 'no_future_rows', sql: 'SELECT count(*) FROM t' }] }, 'valid'],
  ['an unknown check', { quality: [{ check: 'regex', column: 'email' }] }, { error: '@check_unknown', path: 'quality.0.check' }],
  ['a row_count check without bounds', { quality: [{ check: 'row_count' }] }, { error: '@row_count_bounds', path: 'quality' }],
  ['not_null without columns', { quality: [{ check: 'not_null', columns: [] }] }, { error: '@list_empty', path: 'quality.0.columns' }],
  ['freshness with a bad max_age', { quality: [{ check: 'freshness', column: 'ts', max_age: 'a day' }] }, { error: '@duration', path: 'quality.0.max_age' }],
  ['notify by email and connection', { notify: { on_failure: ['email:data-team@example.com', 'conn:slack_alerts'] } }, 'valid'],
  ['notify a bare address', { notify: { on_failure: ['data-team@example.com'] } }, { error: '@notify', path: 'notify.on_failure.0' }],
  // Columns left out or kept on purpose.
  ...((): Case[] => {
    const cols = [{ name: 'customer_id', type: 'uuid', key: true }, { name: 'email', type: 'text' }, { name: 'updated_at', type: 'timestamp' }];
    const source = (extra: Record<string, unknown>) => ({ source: { ...base.source, columns: cols, ...extra } });
    return [
      ['a sensitive column left out', source({ exclude_columns: ['email'] }), 'valid'],
      ['a sensitive column kept on purpose', source({ keep_sensitive: ['email'] }), 'valid'],
      ['left out without known columns (the pack refuses it, naming the field)', { source: { ...base.source, exclude_columns: ['email'] } }, 'valid'],
      ['left out: a column the source does not have', source({ exclude_columns: ['emial'] }), { error: '@not_a_source_column', path: 'source.exclude_columns' }],
      ['kept: a column the source does not have', source({ keep_sensitive: ['mail'] }), { error: '@not_a_source_column', path: 'source.keep_sensitive' }],
      ['a column both left out and kept', source({ exclude_columns: ['email'], keep_sensitive: ['email'] }), { error: '@excluded_and_kept', path: 'source.keep_sensitive' }],
      ['the watermark left out', { ...source({ exclude_columns: ['updated_at'] }), load: { strategy: 'incremental', watermark: 'updated_at' } }, { error: '@uses_excluded_column', path: 'load.watermark' }],
      ['a key left out', { ...source({ exclude_columns: ['customer_id'] }), load: { strategy: 'scd2', keys: ['customer_id'] } }, { error: '@uses_excluded_column', path: 'load.keys' }],
      ['a checked column left out', { ...source({ exclude_columns: ['email'] }), quality: [{ check: 'not_null', columns: ['email'] }] }, { error: '@uses_excluded_column', path: 'quality.0' }],
      ['left out: not a list', source({ exclude_columns: 'email' }), { error: '@type_list', path: 'source.exclude_columns' }],
      ['csv with ; and no header', { source: { type: 's3', conn_id: 'landing_s3', bucket: 'landing', path: 'a/', format: 'csv', delimiter: ';', quote: "'", header: false } }, 'valid'],
      ['a delimiter of two characters', { source: { type: 's3', conn_id: 'landing_s3', bucket: 'landing', path: 'a/', format: 'csv', delimiter: ';;' } }, { error: '@one_character', path: 'source.delimiter' }],
      ['a header option on parquet files', { source: { type: 's3', conn_id: 'landing_s3', bucket: 'landing', path: 'a/', format: 'parquet', header: false } }, { error: '@csv_option', path: 'source.header' }],
      ['if_empty of another value', { source: { type: 's3', conn_id: 'landing_s3', bucket: 'landing', path: 'a/', format: 'csv', if_empty: 'warn' } }, { error: '@one_of', path: 'source.if_empty' }],
    ];
  })(),
];

function fieldsOf(spec: Record<string, unknown>): SpecFields {
  const clean = JSON.parse(JSON.stringify(spec));
  const patch = patchFromObject(clean);
  return Object.fromEntries(Object.entries(patch.set).map(([path, value]) => [path, { value, provenance: { kind: 'issue' as const } }]));
}

describe('the spec schema', () => {
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  for (const [title, change, expected] of cases) {
    test(title, () => {
      const spec = { ...base, ...change };
      if (expected !== 'valid' && 'error' in expected && expected.error === '@unrecognized_keys') {
        const patch = patchFromObject(JSON.parse(JSON.stringify(spec)));
        assert.ok(patch.problems.some((p) => p.key === '@unknown_field'), 'an unknown field is refused');
        return;
      }
      const evaluation = evaluateSpec(fieldsOf(spec));
      if (expected === 'valid') {
        assert.deepEqual(evaluation.errors, []);
        assert.deepEqual(evaluation.missing, []);
        assert.equal(evaluation.complete, true);
      } else if ('missing' in expected) {
        assert.ok(evaluation.missing.includes(expected.missing), `missing ${JSON.stringify(evaluation.missing)}`);
        assert.equal(evaluation.complete, false);
      } else {
        const found = evaluation.errors.find((e) => e.key === expected.error && (!expected.path || e.path === expected.path));
        assert.ok(found, `expected ${expected.error} at ${expected.path}, got ${JSON.stringify(evaluation.errors)}`);
        assert.equal(evaluation.complete, false);
      }
    });
  }

  test('a patch value is checked before it is merged: a wrong one is not applied and names its field', () => {
    const checked = checkPatch({ set: { schedule: '0 0 6 * * *', retries: 3, 'source.type': 'excel' }, unset: [], problems: [], notes: [] });
    assert.deepEqual(checked.set, { retries: 3 });
    assert.deepEqual(checked.problems.map((p) => [p.key, p.path]), [['@cron_fields', 'schedule'], ['@one_of', 'source.type']]);
  });

  test('errors are told in English and in Russian, naming the field and what is allowed', () => {
    const [cron, type] = checkPatch({ set: { schedule: '0 0 6 * * *', 'source.type': 'excel' }, unset: [], problems: [], notes: [] }).problems;
    assert.equal(describeProblem(cron!, messages('en')), '`schedule`: must be a 5-field cron (minute hour day-of-month month day-of-week); this one has 6 fields');
    assert.equal(describeProblem(cron!, messages('ru')), '`schedule`: должно быть cron из 5 полей (минута час день месяц день-недели); здесь полей: 6');
    assert.match(describeProblem(type!, messages('en')), /^`source\.type`: must be one of: postgres, mysql, .*kafka$/);
    assert.match(describeProblem(type!, messages('ru')), /^`source\.type`: должно быть одним из: postgres/);
  });

  test('defaults come from the repo config, else from Dagwright, in one place, with their provenance', () => {
    const config = parseRepoConfig('defaults: {owner: data-platform, retries: 4}\nairflow_version: 2\n').config;
    const evaluation = evaluateSpec(fieldsOf({ ...base, load: { strategy: 'scd2', keys: ['customer_id'] } }), config);
    const field = (path: string) => evaluation.fields[path];
    assert.deepEqual(field('owner'), { value: 'data-platform', provenance: { kind: 'default', from: 'repo-config' } });
    assert.deepEqual(field('retries'), { value: 4, provenance: { kind: 'default', from: 'repo-config' } });
    assert.deepEqual(field('airflow_version'), { value: 2, provenance: { kind: 'default', from: 'repo-config' } });
    assert.deepEqual(field('retry_delay'), { value: '5m', provenance: { kind: 'default', from: 'dagwright' } });
    assert.deepEqual(field('source.system')?.value, 'orders');
    assert.deepEqual(field('quality')?.value, [{ check: 'row_count', min: 1 }, { check: 'not_null', columns: ['customer_id'] }]);
    const given = evaluateSpec(applyPatch(fieldsOf(base), checkPatch({ set: { owner: 'me' }, unset: [], problems: [], notes: [] }), { kind: 'command', user: 'alice' }).fields, config);
    assert.deepEqual(given.fields.owner, { value: 'me', provenance: { kind: 'command', user: 'alice' } });
    assert.equal(defaultRepoConfig.defaults.owner, 'airflow');
  });

  test('the source system is derived from the connection id', () => {
    assert.equal(systemFromConnId('orders_pg'), 'orders');
    assert.equal(systemFromConnId('CRM-API'), 'crm');
    assert.equal(systemFromConnId('billing'), 'billing');
  });
});
