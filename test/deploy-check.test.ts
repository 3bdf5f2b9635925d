// Whether a merged DAG is live, judged from what Airflow says: this version (its source), not the old one;
// an import error of its file since the merge; how long the bot waits between looks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AirflowDag } from '../src/airflow/client.ts';
import { isSameFile, judgeDeploy, nextCheckIn } from '../src/airflow/deploy-check.ts';

const merged = Date.parse('2026-12-03T10:00:00Z');
const target = { dagId: 'orders', relativeFile: 'raw/shop/orders.py', source: 'NEW = 1\n', mergedAt: merged };
const dag = (over: Partial<AirflowDag> = {}): AirflowDag => ({
  dagId: 'orders',
  isPaused: true,
  isActive: true,
  lastParsedTime: '2026-12-03T10:00:05Z',
  hasImportErrors: false,
  fileloc: '/opt/airflow/dags/raw/shop/orders.py',
  fileToken: 't',
  nextRunAfter: '2026-12-04T06:00:00Z',
  bundleVersion: null,
  ...over,
});

test('Airflow 3 names files below the bundle, Airflow 2 absolutely: both are the DAG\'s file; a namesake elsewhere is not', () => {
  assert.equal(isSameFile('raw/shop/orders.py', 'raw/shop/orders.py'), true);
  assert.equal(isSameFile('/opt/airflow/dags/raw/shop/orders.py', 'raw/shop/orders.py'), true);
  assert.equal(isSameFile('/opt/airflow/dags/other/orders.py', 'raw/shop/orders.py'), false);
  assert.equal(isSameFile('raw/shop/my_orders.py', 'raw/shop/orders.py'), false);
});

test('live only when Airflow holds the merged source; a parse after the merge of the old file is not live', () => {
  assert.equal(judgeDeploy(target, { dag: dag(), dagSource: 'NEW = 1\r\n', importErrors: [] }).state, 'live');
  assert.deepEqual(judgeDeploy(target, { dag: dag(), dagSource: 'OLD = 1\n', importErrors: [] }), { state: 'waiting', reason: 'old_version' });
  assert.deepEqual(judgeDeploy(target, { dag: undefined, dagSource: undefined, importErrors: [] }), { state: 'waiting', reason: 'not_seen' });
  assert.deepEqual(judgeDeploy(target, { dag: dag({ isActive: false }), dagSource: 'NEW = 1\n', importErrors: [] }), { state: 'waiting', reason: 'not_active' });
});

test('without a source to compare, a parse after the merge counts, one before does not', () => {
  const blind = { ...target, source: undefined };
  assert.equal(judgeDeploy(blind, { dag: dag(), dagSource: undefined, importErrors: [] }).state, 'live');
  assert.equal(judgeDeploy(blind, { dag: dag({ lastParsedTime: '2026-12-03T09:59:59Z' }), dagSource: undefined, importErrors: [] }).state, 'waiting');
});

test("an import error of the DAG's file since the merge is the verdict; one from before the merge, or of another file, is not", () => {
  const error = { filename: 'raw/shop/orders.py', stackTrace: 'SyntaxError', timestamp: '2026-12-03T10:00:03Z' };
  assert.deepEqual(judgeDeploy(target, { dag: dag(), dagSource: 'OLD = 1\n', importErrors: [error] }), { state: 'import_error', error });
  assert.equal(judgeDeploy(target, { dag: dag(), dagSource: 'OLD = 1\n', importErrors: [{ ...error, timestamp: '2026-12-03T09:00:00Z' }] }).state, 'waiting');
  assert.equal(judgeDeploy(target, { dag: dag(), dagSource: 'NEW = 1\n', importErrors: [{ ...error, filename: 'raw/other.py' }] }).state, 'live');
});

test('looks come a few seconds apart at first, then at most a minute apart, never past the deadline', () => {
  assert.deepEqual([0, 1, 2, 3, 10].map((n) => nextCheckIn(n, 3_600_000)), [5_000, 7_500, 11_250, 16_875, 60_000]);
  assert.equal(nextCheckIn(10, 2_000), 2_000);
  assert.equal(nextCheckIn(0, 10_000, { firstMs: 300, maxMs: 1_500 }), 300);
});
