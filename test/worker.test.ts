import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { Worker } from '../src/queue/worker.ts';
import { CheckAgainLater } from '../src/errors.ts';
import { openDatabases } from '../src/store/db.ts';
import { Store, type LeasedJob } from '../src/store/store.ts';
import { tempDir, waitFor } from './support/harness.ts';

function newDelivery(key: string, resourceKey = '42#1') {
  return {
    idempotencyKey: key,
    meaningKey: undefined,
    eventHeader: 'Note Hook',
    eventUuid: undefined,
    webhookUuid: undefined,
    names: ['note', 'note.issue'],
    resourceKey,
    projectId: 42,
    confidential: false,
    body: '{}',
    receivedAt: Date.now(),
  };
}

function worker(store: Store, run: (job: LeasedJob) => Promise<void>, failed: number[] = [], maxAttempts = 3) {
  return new Worker({
    store,
    log: createLogger('silent'),
    metrics: createMetrics(() => 0),
    run,
    onFailed: async (job) => void failed.push(job.id),
    concurrency: 2,
    maxAttempts,
    leaseMs: 5_000,
    pollMs: 20,
  });
}

test('a lease left by a process on another host runs again once it expires', async () => {
  const store = new Store(openDatabases(tempDir()));
  const [queued] = store.enqueue([newDelivery('a')]);
  assert.ok(queued && !queued.duplicate);
  const abandoned = store.leaseNext('other-host:123:dead', Date.now(), -1);
  assert.equal(abandoned?.id, queued.jobId);

  const runs: number[] = [];
  const w = worker(store, async (job) => void runs.push(job.attempts));
  w.start();
  await waitFor(() => runs.length === 1, { what: 'the abandoned job to run again' });
  await w.drain(1_000);
  assert.deepEqual(runs, [2]);
  assert.equal(store.job(queued.jobId)!.status, 'succeeded');
  store.close();
});

test('a job abandoned on its last attempt fails and is reported instead of running again', async () => {
  const store = new Store(openDatabases(tempDir()));
  const [queued] = store.enqueue([newDelivery('b')]);
  assert.ok(queued && !queued.duplicate);
  for (let i = 0; i < 2; i++) {
    store.leaseNext('other-host:123:dead', Date.now(), -1);
    store.expireLeases(Date.now(), 3);
  }
  store.leaseNext('other-host:123:dead', Date.now(), -1);
  const failed: number[] = [];
  let ran = false;
  const w = worker(store, async () => void (ran = true), failed);
  w.start();
  await waitFor(() => failed.length === 1, { what: 'the failure report' });
  await w.drain(1_000);
  assert.equal(ran, false);
  assert.equal(store.job(queued.jobId)!.status, 'failed');
  store.close();
});

test('a job waiting for a retry holds back the later jobs of its resource, not those of others', async () => {
  const store = new Store(openDatabases(tempDir()));
  const [first, second, other] = store.enqueue([newDelivery('c1', '42#5'), newDelivery('c2', '42#5'), newDelivery('c3', '42#6')]);
  const firstJob = store.leaseNext('me:1:x', Date.now(), 5_000)!;
  assert.equal(firstJob.id, (first as { jobId: number }).jobId);
  store.reschedule(firstJob.id, 'me:1:x', Date.now() + 60_000, 'GitLab answered 503');
  const next = store.leaseNext('me:1:x', Date.now(), 5_000);
  assert.equal(next?.id, (other as { jobId: number }).jobId);
  assert.equal(store.leaseNext('me:1:x', Date.now(), 5_000), undefined, `job ${(second as { jobId: number }).jobId} must wait`);
  store.close();
});

test('pruning forgets finished deliveries and keeps the ones still waiting', () => {
  const store = new Store(openDatabases(tempDir()));
  const [done, waiting] = store.enqueue([newDelivery('p1', '42#7'), newDelivery('p2', '42#8')]) as Array<{ jobId: number; deliveryId: number }>;
  const job = store.leaseNext('me:1:x', Date.now(), 5_000)!;
  assert.equal(job.id, done!.jobId);
  store.finish(job.id, 'me:1:x', 'succeeded', Date.now());
  assert.equal(store.prune(Date.now() + 1), 1);
  assert.equal(store.delivery(done!.deliveryId), undefined);
  assert.equal(store.job(done!.jobId), undefined);
  assert.equal(store.job(waiting!.jobId)?.status, 'queued');
  // Pruned, the first delivery's key can be seen again: dedupe lasts as long as the retention.
  assert.equal(store.enqueue([newDelivery('p1', '42#7')])[0]!.duplicate, false);
  store.close();
});

test('a job that waits for something outside runs again after its delay, more often than its attempts allow, and survives a restart', async () => {
  const dir = tempDir();
  let store = new Store(openDatabases(dir));
  const [queued] = store.enqueue([newDelivery('wait', '42!7~deploy')]);
  assert.ok(queued && !queued.duplicate);
  const runs: number[] = [];
  const failed: number[] = [];
  const checks = async () => {
    runs.push(Date.now());
    if (runs.length < 6) throw new CheckAgainLater(40, 'Airflow has not parsed the DAG yet');
  };
  let w = worker(store, checks, failed, 2);
  w.start();
  await waitFor(() => runs.length >= 3, { what: 'three checks' });
  await w.drain(1_000);
  store.close();
  // A restart: the wait is in the queue, not in a timer of the process that stopped.
  store = new Store(openDatabases(dir));
  w = worker(store, checks, failed, 2);
  w.start();
  await waitFor(() => store.job(queued.jobId)!.status === 'succeeded', { what: 'the job to succeed after its checks' });
  await w.drain(1_000);
  assert.equal(runs.length, 6);
  assert.deepEqual(failed, [], 'waiting is not failing');
  for (let i = 1; i < runs.length; i++) assert.ok(runs[i]! - runs[i - 1]! >= 35, `check ${i + 1} came ${runs[i]! - runs[i - 1]!} ms after the one before`);
  assert.equal(store.job(queued.jobId)!.attempts, 1, 'the waits did not count as attempts');
  store.close();
});
