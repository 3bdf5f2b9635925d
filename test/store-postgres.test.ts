// The PostgreSQL store against the machine's PostgreSQL, as replicas use it: one migration runner that replicas
// starting together may all run, one queue leased from by several, leases taken over from a dead replica.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PgStore } from '../src/store/pg-store.ts';
import { isTransient } from '../src/queue/failures.ts';
import type { EnqueueResult, NewDelivery } from '../src/store/store.ts';
import { migratePostgres, NewerSchemaError, PG_MIGRATIONS } from '../src/store/pg-migrate.ts';
import { postgresUnavailable, TEST_PG_URL } from './support/test-database.ts';

const URL = TEST_PG_URL;

const delivery = (key: string, resourceKey: string, receivedAt = Date.now()): NewDelivery => ({
  idempotencyKey: key,
  meaningKey: undefined,
  eventHeader: 'Note Hook',
  eventUuid: undefined,
  webhookUuid: undefined,
  names: ['note'],
  resourceKey,
  projectId: 5,
  confidential: false,
  body: '{}',
  receivedAt,
});
const jobId = (r: EnqueueResult) => (r as { jobId: number }).jobId;

const skip = await postgresUnavailable();

describe('the PostgreSQL schema', { skip }, () => {
  const schema = `dw_store_${process.pid}`;
  const pools: pg.Pool[] = [];
  const pool = () => {
    const made = new pg.Pool({ connectionString: URL, max: 2, options: `-c search_path=${schema}` });
    pools.push(made);
    return made;
  };
  let admin: pg.Client;
  before(async () => {
    admin = new pg.Client({ connectionString: URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  });
  const stores: PgStore[] = [];
  const replica = async (applicationName = 'dagwright-test') => {
    const url = new globalThis.URL(URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const store = await PgStore.open({ connectionString: url.toString(), maxConnections: 4, applicationName });
    stores.push(store);
    return store;
  };
  after(async () => {
    for (const s of stores) await s.close();
    for (const p of pools) await p.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  test('replicas starting at once migrate it once: one applies every version, the others wait and find nothing to do', async () => {
    const results = await Promise.all([pool(), pool(), pool()].map((p) => migratePostgres(p)));
    const all = PG_MIGRATIONS.map((_, i) => i + 1);
    assert.deepEqual(results.filter((applied) => applied.length).length, 1, JSON.stringify(results));
    assert.deepEqual(results.find((applied) => applied.length), all);
    const { rows } = await admin.query(`SELECT version FROM ${schema}.dagwright_schema ORDER BY version`);
    assert.deepEqual(rows.map((r) => r.version), all);
    const tables = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
    assert.deepEqual(tables.rows.map((r) => r.table_name), ['bot_notes', 'conversations', 'dagwright_schema', 'deliveries', 'deploy_watches', 'jobs', 'reported_problems']);
    assert.deepEqual(await migratePostgres(pool()), [], 'a later start changes nothing');
  });

  test('a migration that fails leaves the schema as it was; a database from a newer Dagwright is refused with what to do', async () => {
    const broken = [...PG_MIGRATIONS, 'CREATE TABLE extra (id int); SELECT no_such_function();'];
    await assert.rejects(migratePostgres(pool(), broken), /no_such_function/);
    const extra = await admin.query(`SELECT to_regclass('${schema}.extra') AS found`);
    assert.equal(extra.rows[0].found, null, 'the failed migration left nothing');
    await admin.query(`INSERT INTO ${schema}.dagwright_schema (version) VALUES (${PG_MIGRATIONS.length + 5})`);
    const expected = `schema ${PG_MIGRATIONS.length + 5}, this one knows ${PG_MIGRATIONS.length}): upgrade Dagwright, or point DATABASE_URL elsewhere`;
    await assert.rejects(migratePostgres(pool()), (err: unknown) => err instanceof NewerSchemaError && (err as Error).message.includes(expected));
    await admin.query(`DELETE FROM ${schema}.dagwright_schema WHERE version > ${PG_MIGRATIONS.length}`);
  });

  test('two replicas leasing from one queue: every job runs once, the jobs of one resource one at a time in arrival order', async () => {
    const replicas = [await replica(), await replica()];
    await admin.query(`TRUNCATE ${schema}.jobs, ${schema}.deliveries CASCADE`);
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(jobId((await replicas[i % 2]!.enqueue([delivery(`d-${i}`, `5#${i % 5}`)]))[0]!));
    assert.equal((await replicas[0]!.enqueue([delivery('d-3', '5#3')]))[0]!.duplicate, true, 'a redelivery to the other replica is a duplicate');
    const runs: Array<{ id: number; resource: string; start: number; end: number; owner: string }> = [];
    let clock = 0;
    const worker = async (store: PgStore, owner: string) => {
      for (let idle = 0; idle < 20; ) {
        const job = await store.leaseNext(owner, Date.now(), 60_000);
        if (!job) {
          idle++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        idle = 0;
        const start = ++clock;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
        const end = ++clock;
        runs.push({ id: job.id, resource: job.resource_key, start, end, owner });
        assert.equal(await store.finish(job.id, owner, 'succeeded', Date.now()), true);
      }
    };
    await Promise.all(replicas.flatMap((store, r) => [1, 2, 3].map((w) => worker(store, `replica-${r}/worker-${w}`))));
    assert.deepEqual(runs.map((r) => r.id).sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'each job ran exactly once');
    assert.ok(new Set(runs.map((r) => r.owner.split('/')[0])).size === 2, 'both replicas did work');
    for (const resource of new Set(runs.map((r) => r.resource))) {
      const ofResource = runs.filter((r) => r.resource === resource).sort((a, b) => a.start - b.start);
      assert.deepEqual(ofResource.map((r) => r.id), [...ofResource.map((r) => r.id)].sort((a, b) => a - b), `${resource}: in arrival order`);
      ofResource.slice(1).forEach((r, i) => assert.ok(r.start > ofResource[i]!.end, `${resource}: one at a time`));
    }
  });

  test('two replicas storing the same burst of redeliveries in opposite orders: each delivery once, no deadlock', async () => {
    const [a, b] = [await replica(), await replica()];
    await admin.query(`TRUNCATE ${schema}.jobs, ${schema}.deliveries CASCADE`);
    const burst = Array.from({ length: 50 }, (_, i) => delivery(`burst-${i}`, `5#${i % 7}`));
    const [fromA, fromB] = await Promise.all([a.enqueue(burst), b.enqueue([...burst].reverse())]);
    const stored = [...fromA, ...fromB].filter((r) => !r.duplicate);
    assert.equal(stored.length, 50, 'every delivery stored once, by one replica or the other');
    assert.equal(await a.queueDepth(), 50);
  });

  test('a replica that dies holding a job: after its lease the job runs elsewhere, and the dead one cannot record an outcome', async () => {
    const [a, b] = [await replica(), await replica()];
    await admin.query(`TRUNCATE ${schema}.jobs, ${schema}.deliveries CASCADE`);
    const now = Date.now();
    const id = jobId((await a.enqueue([delivery('crash-1', '5#9', now)]))[0]!);
    const held = await a.leaseNext('replica-a', now, 1_000);
    assert.equal(held?.id, id);
    assert.equal(await b.leaseNext('replica-b', now + 10, 1_000), undefined, 'leased elsewhere: not taken');
    assert.deepEqual(await b.expireLeases(now + 500, 3), [], 'the lease holds until it expires');
    assert.equal(await b.leaseNext('replica-b', now + 500, 1_000), undefined);
    await b.expireLeases(now + 1_001, 3);
    const taken = await b.leaseNext('replica-b', now + 1_002, 1_000);
    assert.deepEqual([taken?.id, taken?.attempts, taken?.lease_owner], [id, 2, 'replica-b']);
    assert.equal(await a.finish(id, 'replica-a', 'succeeded', now + 1_003), false, "the dead replica's late outcome is refused");
    assert.equal(await b.finish(id, 'replica-b', 'succeeded', now + 1_004), true);
    // Out of attempts: the job fails for good instead of running a fourth time.
    const again = jobId((await a.enqueue([delivery('crash-2', '5#9', now)]))[0]!);
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal((await a.leaseNext('replica-a', now + attempt * 10, 1))?.id, again);
      const failed = await a.expireLeases(now + attempt * 10 + 5, 3);
      assert.deepEqual(failed, attempt === 3 ? [again] : []);
    }
  });

  test('work under one key runs in one replica at a time; a replica that dies lets go of its keys; losing the database passes, a wrong query does not', async () => {
    const [a, b] = [await replica(), await replica()];
    const order: string[] = [];
    const hold = (name: string, ms: number) => async () => {
      order.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`${name} out`);
    };
    await Promise.all([a.exclusive('comment:5:5#1:status', hold('a', 60)), new Promise((resolve) => setTimeout(resolve, 10)).then(() => b.exclusive('comment:5:5#1:status', hold('b', 1)))]);
    assert.deepEqual(order, ['a in', 'a out', 'b in', 'b out']);
    // A replica's connection ends with the replica: its keys are free for the others.
    const dying = await replica(`dagwright-dying-${process.pid}`);
    let release!: () => void;
    const holding = dying.exclusive('comment:5:5#2:status', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { rows } = await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [`dagwright-dying-${process.pid}`]);
    assert.ok(rows.length > 0);
    for (const { pid } of rows) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const freed = b.exclusive('comment:5:5#2:status', async () => 'freed');
    const late = new Promise((resolve) => setTimeout(() => resolve('still held after 5 s'), 5_000).unref());
    assert.equal(await Promise.race([freed, late]), 'freed');
    release();
    await holding.catch(() => undefined);
    // What the dying connection's holder met passes with time (a job would be retried); a wrong query does not.
    const terminated = await dying.query('SELECT 1').then(() => undefined, (err: unknown) => err);
    if (terminated) assert.equal(isTransient(terminated), true, String(terminated));
    const cut = new pg.Client({ connectionString: URL, application_name: `dagwright-cut-${process.pid}` });
    await cut.connect();
    cut.on('error', () => undefined);
    const pending = cut.query('SELECT pg_sleep(5)').then(() => undefined, (err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`dagwright-cut-${process.pid}`]);
    const cutErr = await pending;
    assert.ok(cutErr, 'the query was cut');
    assert.equal(isTransient(cutErr), true, String(cutErr));
    const syntax = await a.query('SELEC 1').then(() => undefined, (err: unknown) => err);
    assert.equal(isTransient(syntax), false, String(syntax));
  });

  test('connections killed every 100-150 ms under load: the process never crashes, and every operation ends (done, or failed in a way that passes)', async () => {
    const app = `dagwright-killed-${process.pid}`;
    const [a, b] = [await replica(app), await replica(app)];
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    let killing = true;
    let kills = 0;
    const killer = (async () => {
      while (killing) {
        const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1`, [app]);
        kills += rows.length;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 50));
      }
    })();
    const outcomes = { done: 0, transient: 0, other: [] as unknown[] };
    const attempt = async (work: () => Promise<unknown>) => {
      try {
        await work();
        outcomes.done++;
      } catch (err) {
        if (isTransient(err)) outcomes.transient++;
        else outcomes.other.push(err);
      }
    };
    const until = Date.now() + 4_000;
    let n = 0;
    await Promise.all(
      [a, b].flatMap((store, r) =>
        [0, 1, 2].map(async (lane) => {
          while (Date.now() < until) {
            const key = `kill-${process.pid}-${r}-${lane}-${n++}`;
            await attempt(() => store.enqueue([delivery(key, `5#${lane}`)]));
            await attempt(async () => {
              const lease = await store.leaseNext(`owner-${r}-${lane}`, Date.now(), 10_000);
              if (lease) await store.finish(lease.id, `owner-${r}-${lane}`, 'succeeded', Date.now());
            });
            await attempt(() => store.updateConversation(`5#${lane}`, (c: { n?: number } | undefined) => ({ n: (c?.n ?? 0) + 1 })));
            await attempt(() => store.exclusive(`comment:5#${lane}`, async () => undefined));
          }
        }),
      ),
    );
    killing = false;
    await killer;
    // The pools heal: every operation works again once the killing stops.
    await a.enqueue([delivery(`after-${process.pid}`, '5#9')]);
    assert.equal(await b.isHealthy(), true);
    process.off('uncaughtException', onUncaught);
    assert.deepEqual(uncaught.map(String), []);
    assert.deepEqual(outcomes.other.map(String), []);
    assert.ok(kills > 10, `${kills} connections were killed`);
    assert.ok(outcomes.done > 50, `${outcomes.done} operations done, ${outcomes.transient} failed in passing`);
  });
});
