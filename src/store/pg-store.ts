// The store in PostgreSQL (DATABASE_URL), for replicas sharing one database: a delivery and its job are
// stored in one transaction, a job is leased by one replica only (`FOR UPDATE SKIP LOCKED`), the jobs of one
// issue or merge request run one at a time in arrival order whichever replica leases them, and a lease that
// expires (its replica died) puts the job back for another — whose late outcome is then refused.
import pg from 'pg';
import { messages } from '../i18n/index.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { migratePostgres } from './pg-migrate.ts';
import { PgDeployWatches } from './pg-deploy-watches.ts';
import { checkout, inTransaction, pgQuery, type Queryable } from './pg-transaction.ts';
import type { DeliveryRow, EnqueueResult, JobRow, LeasedJob, NewDelivery, Store } from './store.ts';

/** The job record's reason for a job the bot stopped in too many times (the record is in English, for operators). */
const INTERRUPTED = messages('en').jobs.interrupted;

/** Ids and epoch milliseconds are BIGINT; both fit a JavaScript number, which is what the rest of the bot reads. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const DELIVERY_FIELDS = ['id', 'idempotency_key', 'event_header', 'names', 'resource_key', 'project_id', 'confidential', 'body', 'received_at'] as const;
const DELIVERY_COLUMNS = DELIVERY_FIELDS.map((f) => (f === 'confidential' ? 'confidential::int AS confidential' : f)).join(', ');

/**
 * The oldest queued job that is due and that no earlier job of its resource key, queued or running, is ahead
 * of — leased, and returned with its delivery in the same round trip.
 */
const NEXT_JOB = (control: boolean) => `
  WITH next AS (
    SELECT j.id FROM jobs j
    WHERE j.status = 'queued' AND j.run_after <= $1 ${control ? `AND j.resource_key LIKE '%~control'` : ''}
      AND NOT EXISTS (
        SELECT 1 FROM jobs k WHERE k.resource_key = j.resource_key AND k.status IN ('queued', 'running') AND k.id < j.id)
    ORDER BY j.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED),
  leased AS (
    UPDATE jobs SET status = 'running', lease_owner = $2, lease_expires_at = $3, attempts = attempts + 1,
      started_at = coalesce(started_at, $1)
    FROM next WHERE jobs.id = next.id AND jobs.status = 'queued'
    RETURNING jobs.*)
  SELECT leased.*, json_build_object(${DELIVERY_FIELDS.map((f) => `'${f}', d.${f === 'confidential' ? 'confidential::int' : f}`).join(', ')}) AS delivery
  FROM leased JOIN deliveries d ON d.id = leased.delivery_id`;
const NEXT_JOB_CONTROL = NEXT_JOB(true);
const NEXT_JOB_ANY = NEXT_JOB(false);

/**
 * A batch of deliveries and their jobs in one statement (so one transaction). Deliveries are inserted in key
 * order, so two replicas storing the same redelivered events lock their keys in the same order and cannot
 * deadlock; a delivery whose key or meaning is stored already is skipped; jobs are made in arrival order,
 * which is the order their resource's work runs in.
 */
const ENQUEUE = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::boolean[], $10::text[], $11::bigint[])
      WITH ORDINALITY AS t(idempotency_key, meaning_key, event_header, event_uuid, webhook_uuid, names, resource_key, project_id, confidential, body, received_at, arrival)),
  stored AS (
    INSERT INTO deliveries (idempotency_key, meaning_key, event_header, event_uuid, webhook_uuid, names, resource_key, project_id, confidential, body, received_at)
    SELECT idempotency_key, meaning_key, event_header, event_uuid, webhook_uuid, names, resource_key, project_id, confidential, body, received_at
    FROM input ORDER BY idempotency_key
    ON CONFLICT DO NOTHING
    RETURNING id, idempotency_key),
  queued AS (
    INSERT INTO jobs (delivery_id, resource_key, status, run_after, created_at)
    SELECT s.id, i.resource_key, 'queued', i.received_at, i.received_at
    FROM stored s JOIN input i ON i.idempotency_key = s.idempotency_key
    ORDER BY i.arrival
    RETURNING id, delivery_id)
  SELECT s.idempotency_key, s.id AS delivery_id, q.id AS job_id FROM stored s JOIN queued q ON q.delivery_id = s.id`;

export type PgStoreOptions = {
  connectionString: string;
  maxConnections?: number;
  /** How the connections show in pg_stat_activity. */
  applicationName?: string;
  onError?: (err: Error) => void;
};

export class PgStore implements Store {
  readonly engine = 'postgres' as const;
  readonly deployWatches: PgDeployWatches;
  private readonly pool: pg.Pool;
  /** Connections that hold a key (exclusive): apart, so that holders never take the connections their work needs. */
  private readonly lockPool: pg.Pool;
  private readonly locks = new KeyedQueue();

  private constructor(pool: pg.Pool, lockPool: pg.Pool) {
    this.pool = pool;
    this.lockPool = lockPool;
    this.deployWatches = new PgDeployWatches(pool);
  }

  /** Connects and migrates the schema (safe when replicas start at once). */
  static async open({ connectionString, maxConnections = 10, applicationName = 'dagwright', onError }: PgStoreOptions): Promise<PgStore> {
    const connect = (max: number) => {
      // An application_name in DATABASE_URL (to tell replicas apart in pg_stat_activity) wins over the default.
      const named = URL.canParse(connectionString) ? new URL(connectionString).searchParams.get('application_name') : null;
      const pool = new pg.Pool({ connectionString, max, types, connectionTimeoutMillis: 10_000, application_name: named ?? applicationName });
      // A connection that breaks while idle is dropped from the pool; without a listener it would end the process.
      pool.on('error', (err) => onError?.(err));
      // A broken connection can emit more than one error (the server's FATAL, then the socket's end), some while
      // no query or pool listens for it: each client keeps a listener of its own for its whole life. The
      // failure itself reaches whoever was using the client through its query.
      pool.on('connect', (client) => client.on('error', () => undefined));
      return pool;
    };
    const pool = connect(maxConnections);
    try {
      await migratePostgres(pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return new PgStore(pool, connect(Math.max(2, Math.ceil(maxConnections / 2))));
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<EnqueueResult[]> {
    if (deliveries.length === 0) return [];
    // A key twice in one batch: the first is stored, the later ones are duplicates.
    const firstOf = new Map<string, number>();
    deliveries.forEach((d, i) => firstOf.has(d.idempotencyKey) || firstOf.set(d.idempotencyKey, i));
    const firsts = deliveries.filter((d, i) => firstOf.get(d.idempotencyKey) === i);
    const column = <T>(pick: (d: NewDelivery) => T) => firsts.map(pick);
    // One statement, so one round trip and one commit for the batch.
    const { rows } = await this.pool.query<{ idempotency_key: string; delivery_id: number; job_id: number }>(ENQUEUE, [
      column((d) => d.idempotencyKey),
      column((d) => d.meaningKey ?? null),
      column((d) => d.eventHeader),
      column((d) => d.eventUuid ?? null),
      column((d) => d.webhookUuid ?? null),
      column((d) => JSON.stringify(d.names)),
      column((d) => d.resourceKey),
      column((d) => d.projectId),
      column((d) => d.confidential),
      column((d) => d.body),
      column((d) => d.receivedAt),
    ]);
    const stored = new Map(rows.map((r) => [r.idempotency_key, r]));
    return deliveries.map((d, i): EnqueueResult => {
      const row = stored.get(d.idempotencyKey);
      if (!row || firstOf.get(d.idempotencyKey) !== i) return { duplicate: true };
      return { duplicate: false, deliveryId: row.delivery_id, jobId: row.job_id };
    });
  }

  async leaseNext(owner: string, now: number, leaseMs: number): Promise<LeasedJob | undefined> {
    const params = [now, owner, now + leaseMs];
    return (await pgQuery<LeasedJob>(this.pool, NEXT_JOB_CONTROL, params))[0] ?? (await pgQuery<LeasedJob>(this.pool, NEXT_JOB_ANY, params))[0];
  }

  async expireLeases(now: number, maxAttempts: number): Promise<number[]> {
    return inTransaction(this.pool, async (client) => {
      const failed = await client.query<{ id: number }>(
        `UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = $1, last_error = coalesce(last_error, $3)
         WHERE status = 'running' AND lease_expires_at <= $1 AND attempts >= $2 RETURNING id`,
        [now, maxAttempts, INTERRUPTED],
      );
      await client.query(`UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'running' AND lease_expires_at <= $1 AND attempts < $2`, [now, maxAttempts]);
      return failed.rows.map((r) => r.id);
    });
  }

  async renewLease(jobId: number, owner: string, until: number): Promise<boolean> {
    return this.changed(`UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'`, [until, jobId, owner]);
  }

  async finish(jobId: number, owner: string, status: 'succeeded' | 'failed', now: number, error?: string): Promise<boolean> {
    return this.changed(
      `UPDATE jobs SET status = $1, lease_owner = NULL, lease_expires_at = NULL, finished_at = $2, last_error = $3
       WHERE id = $4 AND lease_owner = $5 AND status = 'running'`,
      [status, now, error ?? null, jobId, owner],
    );
  }

  async reschedule(jobId: number, owner: string, runAfter: number, error: string): Promise<boolean> {
    return this.changed(
      `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = $1, last_error = $2
       WHERE id = $3 AND lease_owner = $4 AND status = 'running'`,
      [runAfter, error, jobId, owner],
    );
  }

  async snooze(jobId: number, owner: string, runAfter: number): Promise<boolean> {
    return this.changed(
      `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = $1,
         attempts = greatest(attempts - 1, 0), last_error = NULL
       WHERE id = $2 AND lease_owner = $3 AND status = 'running'`,
      [runAfter, jobId, owner],
    );
  }

  async release(jobId: number, owner: string): Promise<boolean> {
    return this.changed(
      `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)
       WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [jobId, owner],
    );
  }

  async reclaimLeases(isDead: (owner: string) => boolean, maxAttempts: number, now: number): Promise<{ requeued: number[]; failed: number[] }> {
    return inTransaction(this.pool, async (client) => {
      const requeued: number[] = [];
      const failed: number[] = [];
      const { rows } = await client.query<{ id: number; lease_owner: string; attempts: number }>(`SELECT id, lease_owner, attempts FROM jobs WHERE status = 'running' FOR UPDATE`);
      for (const row of rows) {
        if (!isDead(row.lease_owner)) continue;
        if (row.attempts >= maxAttempts) {
          await client.query(`UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = $1, last_error = $2 WHERE id = $3 AND lease_owner = $4`, [now, INTERRUPTED, row.id, row.lease_owner]);
          failed.push(row.id);
        } else {
          await client.query(`UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2`, [row.id, row.lease_owner]);
          requeued.push(row.id);
        }
      }
      return { requeued, failed };
    });
  }

  async queueDepth(): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')`);
  }

  async cancelQueued(resourceKey: string, beforeJobId: number, reason: string, now = Date.now()): Promise<Array<{ id: number; delivery_id: number }>> {
    return pgQuery(
      this.pool,
      `UPDATE jobs SET status = 'cancelled', finished_at = $1, last_error = $2 WHERE resource_key = $3 AND status = 'queued' AND id < $4 RETURNING id, delivery_id`,
      [now, reason, resourceKey, beforeJobId],
    );
  }

  async lastFailedJob(resourceKey: string, beforeJobId: number): Promise<JobRow | undefined> {
    const rows = await pgQuery<JobRow>(this.pool, `SELECT * FROM jobs WHERE resource_key = $1 AND status = 'failed' AND retried_by IS NULL AND id < $2 ORDER BY id DESC LIMIT 1`, [resourceKey, beforeJobId]);
    return rows[0];
  }

  async markRetried(jobId: number, byJobId: number): Promise<void> {
    await this.pool.query(`UPDATE jobs SET retried_by = $1 WHERE id = $2 AND status = 'failed'`, [byJobId, jobId]);
  }

  async runningJobs(resourceKey: string): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM jobs WHERE resource_key = $1 AND status = 'running'`, [resourceKey]);
  }

  async jobIdOfDelivery(idempotencyKey: string): Promise<number | undefined> {
    const rows = await pgQuery<{ id: number }>(this.pool, `SELECT j.id FROM jobs j JOIN deliveries d ON d.id = j.delivery_id WHERE d.idempotency_key = $1`, [idempotencyKey]);
    return rows[0]?.id;
  }

  async queuePosition(jobId: number): Promise<number> {
    return this.count(`SELECT CASE WHEN (SELECT status FROM jobs WHERE id = $1) = 'queued' THEN (SELECT count(*) FROM jobs WHERE status = 'queued' AND id <= $1) ELSE 0 END AS n`, [jobId]);
  }

  async nextDueAt(): Promise<number | undefined> {
    const rows = await pgQuery<{ t: number | null }>(
      this.pool,
      `SELECT least((SELECT min(run_after) FROM jobs WHERE status = 'queued'), (SELECT min(lease_expires_at) FROM jobs WHERE status = 'running')) AS t`,
    );
    return rows[0]?.t ?? undefined;
  }

  async job(jobId: number): Promise<JobRow | undefined> {
    return (await pgQuery<JobRow>(this.pool, 'SELECT * FROM jobs WHERE id = $1', [jobId]))[0];
  }

  async delivery(deliveryId: number): Promise<DeliveryRow | undefined> {
    return (await pgQuery<DeliveryRow>(this.pool, `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = $1`, [deliveryId]))[0];
  }

  async botNoteId(resourceKey: string, kind: string): Promise<number | undefined> {
    return (await pgQuery<{ note_id: number }>(this.pool, 'SELECT note_id FROM bot_notes WHERE resource_key = $1 AND kind = $2', [resourceKey, kind]))[0]?.note_id;
  }

  async rememberBotNote(resourceKey: string, kind: string, noteId: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO bot_notes (resource_key, kind, note_id) VALUES ($1, $2, $3) ON CONFLICT (resource_key, kind) DO UPDATE SET note_id = excluded.note_id`,
      [resourceKey, kind, noteId],
    );
  }

  async forgetBotNote(resourceKey: string, kind: string): Promise<void> {
    await this.pool.query('DELETE FROM bot_notes WHERE resource_key = $1 AND kind = $2', [resourceKey, kind]);
  }

  async markReported(scope: string, fingerprint: string, now: number): Promise<boolean> {
    return this.changed('INSERT INTO reported_problems (scope, fingerprint, reported_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [scope, fingerprint, now]);
  }

  async prune(before: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const removed = await client.query(
        `DELETE FROM deliveries d WHERE received_at < $1
           AND NOT EXISTS (SELECT 1 FROM jobs WHERE delivery_id = d.id AND status IN ('queued', 'running'))`,
        [before],
      );
      await client.query('DELETE FROM reported_problems WHERE reported_at < $1', [before]);
      return removed.rowCount ?? 0;
    });
  }

  async conversation<T>(resourceKey: string): Promise<T | undefined> {
    const rows = await pgQuery<{ state: string }>(this.pool, 'SELECT state FROM conversations WHERE resource_key = $1', [resourceKey]);
    return rows[0] ? (JSON.parse(rows[0].state) as T) : undefined;
  }

  async saveConversation(resourceKey: string, state: unknown, now = Date.now()): Promise<void> {
    await saveConversation(this.pool, resourceKey, state, now);
  }

  async updateConversation<T>(resourceKey: string, change: (stored: T | undefined) => T, now = Date.now()): Promise<T> {
    return inTransaction(this.pool, async (client) => {
      // A row lock cannot hold a conversation that has no row yet; the advisory lock covers both cases.
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('conversation:' || $1, 0))`, [resourceKey]);
      const { rows } = await client.query<{ state: string }>('SELECT state FROM conversations WHERE resource_key = $1', [resourceKey]);
      const next = change(rows[0] ? (JSON.parse(rows[0].state) as T) : undefined);
      await saveConversation(client, resourceKey, next, now);
      return next;
    });
  }

  async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, async () => {
      // A session lock on a connection of its own: released by hand, or by PostgreSQL when the replica dies.
      const client = await checkout(this.lockPool);
      let broken = false;
      try {
        await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
        try {
          return await work();
        } finally {
          // A connection that cannot unlock is closed instead of going back to the pool still holding the key.
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => (broken = true));
        }
      } finally {
        client.release(broken);
      }
    });
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    let n = 0;
    return pgQuery<T>(this.pool, sql.replace(/\?/g, () => `$${++n}`), params);
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.lockPool.end()]);
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return ((await this.pool.query(sql, params)).rowCount ?? 0) === 1;
  }

  private async count(sql: string, params: unknown[] = []): Promise<number> {
    return (await pgQuery<{ n: number }>(this.pool, sql, params))[0]?.n ?? 0;
  }
}

async function saveConversation(db: Queryable, resourceKey: string, state: unknown, now: number): Promise<void> {
  await db.query(
    `INSERT INTO conversations (resource_key, state, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (resource_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    [resourceKey, JSON.stringify(state), now],
  );
}
