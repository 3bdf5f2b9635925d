import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { Worker } from '../src/queue/worker.ts';
import { CheckAgainLater } from '../src/errors.ts';
import type { LeasedJob, NewDelivery, Store, StoreEngine } from '../src/store/store.ts';
import { waitFor } from './support/harness.ts';
import { openTestStore, postgresUnavailable } from './support/test-database.ts';

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
    metrics: createMetrics(async () => 0),
    run,
    onFailed: async (job) => void failed.push(job.id),
    concurrency: 2,
    maxAttempts,
    leaseMs: 5_000,
    pollMs: 20,
  });
}

/** A new, empty store of the engine, with one job queued in it. */
async function withOneJob(engine: StoreEngine, delivery: NewDelivery) {
  const t = await openTestStore(engine);
  const [queued] = await t.store.enqueue([delivery]);
  assert.ok(queued && !queued.duplicate);
  return { t, store: t.store, queued };
}

const pgSkip = await postgresUnavailable();

for (const engine of ['sqlite', 'postgres'] as StoreEngine[]) {
  describe(`the worker on ${engine}`, { skip: engine === 'postgres' && pgSkip }, () => {
    test('a lease left by a process on another host runs again once it expires', async () => {
      const { t, store, queued } = await withOneJob(engine, newDelivery('a'));
      const abandoned = await store.leaseNext('other-host:123:dead', Date.now(), -1);
      assert.equal(abandoned?.id, queued.jobId);

      const runs: number[] = [];
      const w = worker(store, async (job) => void runs.push(job.attempts));
      await w.start();
      await waitFor(() => runs.length === 1, { what: 'the abandoned job to run again' });
      await w.drain(1_000);
      assert.deepEqual(runs, [2]);
      assert.equal((await store.job(queued.jobId))!.status, 'succeeded');
      await t.dispose();
    });

    test('a job abandoned on its last attempt fails and is reported instead of running again', async () => {
      const { t, store, queued } = await withOneJob(engine, newDelivery('b'));
      for (let i = 0; i < 2; i++) {
        await store.leaseNext('other-host:123:dead', Date.now(), -1);
        await store.expireLeases(Date.now(), 3);
      }
      await store.leaseNext('other-host:123:dead', Date.now(), -1);
      const failed: number[] = [];
      let ran = false;
      const w = worker(store, async () => void (ran = true), failed);
      await w.start();
      await waitFor(() => failed.length === 1, { what: 'the failure report' });
      await w.drain(1_000);
      assert.equal(ran, false);
      assert.equal((await store.job(queued.jobId))!.status, 'failed');
      await t.dispose();
    });

    test('a job whose lease arrives after shutdown began goes back to the queue without running', async () => {
      const { t, store, queued } = await withOneJob(engine, newDelivery('late'));
      let shutdownBegan!: () => void;
      const began = new Promise<void>((resolve) => (shutdownBegan = resolve));
      // The store answers the lease only once the drain has begun.
      const slow = Object.create(store, {
        leaseNext: { value: async (...args: Parameters<Store['leaseNext']>) => (await began, store.leaseNext(...args)) },
      }) as Store;
      let ran = false;
      const w = worker(slow, async () => void (ran = true));
      await w.start();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const drained = w.drain(1_000);
      shutdownBegan();
      await drained;
      await waitFor(async () => (await store.job(queued.jobId))?.status === 'queued', { what: 'the job back in the queue' });
      assert.equal(ran, false);
      assert.equal((await store.job(queued.jobId))!.attempts, 0, 'the lease given back is not an attempt');
      await t.dispose();
    });

    test('a job waiting for a retry holds back the later jobs of its resource, not those of others', async () => {
      const t = await openTestStore(engine);
      const store = t.store;
      const [first, second, other] = await store.enqueue([newDelivery('c1', '42#5'), newDelivery('c2', '42#5'), newDelivery('c3', '42#6')]);
      const firstJob = (await store.leaseNext('me:1:x', Date.now(), 5_000))!;
      assert.equal(firstJob.id, (first as { jobId: number }).jobId);
      await store.reschedule(firstJob.id, 'me:1:x', Date.now() + 60_000, 'GitLab answered 503');
      const next = await store.leaseNext('me:1:x', Date.now(), 5_000);
      assert.equal(next?.id, (other as { jobId: number }).jobId);
      assert.equal(await store.leaseNext('me:1:x', Date.now(), 5_000), undefined, `job ${(second as { jobId: number }).jobId} must wait`);
      await t.dispose();
    });

    test('a control job (/cancel) is leased before earlier work of other resources', async () => {
      const t = await openTestStore(engine);
      const store = t.store;
      const [, , control] = (await store.enqueue([newDelivery('k1', '42#5'), newDelivery('k2', '42#6'), newDelivery('k3', '42#5~control')])) as Array<{ jobId: number }>;
      assert.equal((await store.leaseNext('me:1:x', Date.now(), 5_000))?.id, control!.jobId);
      await t.dispose();
    });

    test('a batch with a delivery twice, and a batch that repeats an earlier one, store each delivery once', async () => {
      const t = await openTestStore(engine);
      const store = t.store;
      const results = await store.enqueue([newDelivery('d1'), newDelivery('d2'), newDelivery('d1')]);
      assert.deepEqual(results.map((r) => r.duplicate), [false, false, true]);
      assert.deepEqual((await store.enqueue([newDelivery('d2'), newDelivery('d3')])).map((r) => r.duplicate), [true, false]);
      const ids = results.filter((r) => !r.duplicate).map((r) => (r as { jobId: number }).jobId);
      assert.ok(ids[0]! < ids[1]!, 'jobs are made in arrival order');
      assert.equal(await store.queueDepth(), 3);
      // The same event by meaning (one note sent by two hooks, each with its own key), in one batch or later.
      const sameNote = (key: string) => ({ ...newDelivery(key), meaningKey: 'note:42:777' });
      assert.deepEqual((await store.enqueue([sameNote('m1'), sameNote('m2')])).map((r) => r.duplicate), [false, true]);
      assert.deepEqual((await store.enqueue([sameNote('m3')])).map((r) => r.duplicate), [true]);
      assert.equal(await store.queueDepth(), 4);
      await t.dispose();
    });

    test('pruning forgets finished deliveries and keeps the ones still waiting', async () => {
      const t = await openTestStore(engine);
      const store = t.store;
      const [done, waiting] = (await store.enqueue([newDelivery('p1', '42#7'), newDelivery('p2', '42#8')])) as Array<{ jobId: number; deliveryId: number }>;
      const job = (await store.leaseNext('me:1:x', Date.now(), 5_000))!;
      assert.equal(job.id, done!.jobId);
      await store.finish(job.id, 'me:1:x', 'succeeded', Date.now());
      assert.equal(await store.prune(Date.now() + 1), 1);
      assert.equal(await store.delivery(done!.deliveryId), undefined);
      assert.equal(await store.job(done!.jobId), undefined);
      assert.equal((await store.job(waiting!.jobId))?.status, 'queued');
      // Pruned, the first delivery's key can be seen again: dedupe lasts as long as the retention.
      assert.equal((await store.enqueue([newDelivery('p1', '42#7')]))[0]!.duplicate, false);
      await t.dispose();
    });

    test('a change to a conversation is not lost to another written at the same moment', async () => {
      const t = await openTestStore(engine);
      const store = t.store;
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.updateConversation<{ seen: number[] }>('42#9', (c) => ({ seen: [...(c?.seen ?? []), i] }))));
      const final = await store.conversation<{ seen: number[] }>('42#9');
      assert.deepEqual([...final!.seen].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
      await assert.rejects(store.updateConversation('42#9', () => {
        throw new Error('bad change');
      }), /bad change/);
      assert.equal((await store.conversation<{ seen: number[] }>('42#9'))!.seen.length, 20, 'a change that throws writes nothing');
      await t.dispose();
    });

    test('a job that waits for something outside runs again after its delay, more often than its attempts allow, and survives a restart', async () => {
      const t = await openTestStore(engine);
      let store: Store = t.store;
      const [queued] = await store.enqueue([newDelivery('wait', '42!7~deploy')]);
      assert.ok(queued && !queued.duplicate);
      const runs: number[] = [];
      const failed: number[] = [];
      const checks = async () => {
        runs.push(Date.now());
        if (runs.length < 6) throw new CheckAgainLater(40, 'Airflow has not parsed the DAG yet');
      };
      let w = worker(store, checks, failed, 2);
      await w.start();
      await waitFor(() => runs.length >= 3, { what: 'three checks' });
      await w.drain(1_000);
      await store.close();
      // A restart: the wait is in the queue, not in a timer of the process that stopped.
      store = await t.reopen();
      w = worker(store, checks, failed, 2);
      await w.start();
      await waitFor(async () => (await store.job(queued.jobId))!.status === 'succeeded', { what: 'the job to succeed after its checks' });
      await w.drain(1_000);
      assert.equal(runs.length, 6);
      assert.deepEqual(failed, [], 'waiting is not failing');
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]! - runs[i - 1]! >= 35, `check ${i + 1} came ${runs[i]! - runs[i - 1]!} ms after the one before`);
      assert.equal((await store.job(queued.jobId))!.attempts, 1, 'the waits did not count as attempts');
      await t.dispose();
    });
  });
}
