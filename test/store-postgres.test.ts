// The PostgreSQL store's schema against the machine's PostgreSQL: one migration runner that replicas starting
// together may all run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PgJobQueue } from '../src/store/pg-jobs.ts';
import { migratePostgres, NewerSchemaError, PG_MIGRATIONS } from '../src/store/pg-migrate.ts';

const URL = process.env.DAGWRIGHT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (err) {
    const reason = `PostgreSQL at ${URL} is not reachable (${(err as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL: ${reason}`);
    console.log(`# skipped: ${reason}`);
    return reason;
  }
}

const skip = await reachable();

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
  after(async () => {
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
    const replicas = [new PgJobQueue(pool()), new PgJobQueue(pool())];
    await migratePostgres(pool());
    await admin.query(`TRUNCATE ${schema}.jobs, ${schema}.deliveries`);
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = await replicas[i % 2]!.enqueue({ idempotencyKey: `d-${i}`, resourceKey: `5#${i % 5}`, eventHeader: 'Note Hook', names: 'note', projectId: 5, body: '{}' });
      ids.push(id!);
    }
    assert.equal(await replicas[0]!.enqueue({ idempotencyKey: 'd-3', resourceKey: '5#3', eventHeader: 'Note Hook', names: 'note', projectId: 5, body: '{}' }), undefined, 'a redelivery to the other replica is a duplicate');
    const runs: Array<{ id: number; resource: string; start: number; end: number; owner: string }> = [];
    let clock = 0;
    const worker = async (queue: PgJobQueue, owner: string) => {
      for (let idle = 0; idle < 20; ) {
        const job = await queue.leaseNext(owner, 60_000);
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
        assert.equal(await queue.finish(job.id, owner, 'succeeded'), true);
      }
    };
    await Promise.all(replicas.flatMap((queue, r) => [1, 2, 3].map((w) => worker(queue, `replica-${r}/worker-${w}`))));
    assert.deepEqual(runs.map((r) => r.id).sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'each job ran exactly once');
    assert.ok(new Set(runs.map((r) => r.owner.split('/')[0])).size === 2, 'both replicas did work');
    for (const resource of new Set(runs.map((r) => r.resource))) {
      const ofResource = runs.filter((r) => r.resource === resource).sort((a, b) => a.start - b.start);
      assert.deepEqual(ofResource.map((r) => r.id), [...ofResource.map((r) => r.id)].sort((a, b) => a - b), `${resource}: in arrival order`);
      ofResource.slice(1).forEach((r, i) => assert.ok(r.start > ofResource[i]!.end, `${resource}: one at a time`));
    }
  });

  test('a replica that dies holding a job: after its lease the job runs elsewhere, and the dead one cannot record an outcome', async () => {
    const [a, b] = [new PgJobQueue(pool()), new PgJobQueue(pool())];
    await migratePostgres(pool());
    await admin.query(`TRUNCATE ${schema}.jobs, ${schema}.deliveries`);
    const now = Date.now();
    const id = (await a.enqueue({ idempotencyKey: 'crash-1', resourceKey: '5#9', eventHeader: 'Note Hook', names: 'note', projectId: 5, body: '{}' }, now))!;
    const held = await a.leaseNext('replica-a', 1_000, now);
    assert.equal(held?.id, id);
    assert.equal(await b.leaseNext('replica-b', 1_000, now + 10), undefined, 'leased elsewhere: not taken');
    assert.deepEqual(await b.expireLeases(3, now + 500), [], 'the lease holds until it expires');
    assert.equal(await b.leaseNext('replica-b', 1_000, now + 500), undefined);
    await b.expireLeases(3, now + 1_001);
    const taken = await b.leaseNext('replica-b', 1_000, now + 1_002);
    assert.deepEqual([taken?.id, taken?.attempts, taken?.lease_owner], [id, 2, 'replica-b']);
    assert.equal(await a.finish(id, 'replica-a', 'succeeded'), false, 'the dead replica\'s late outcome is refused');
    assert.equal(await b.finish(id, 'replica-b', 'succeeded'), true);
    // Out of attempts: the job fails for good instead of running a fourth time.
    const again = (await a.enqueue({ idempotencyKey: 'crash-2', resourceKey: '5#9', eventHeader: 'Note Hook', names: 'note', projectId: 5, body: '{}' }, now))!;
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal((await a.leaseNext('replica-a', 1, now + attempt * 10))?.id, again);
      const failed = await a.expireLeases(3, now + attempt * 10 + 5);
      assert.deepEqual(failed, attempt === 3 ? [again] : []);
    }
  });
});
