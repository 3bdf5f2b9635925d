// The store in SQLite (DATA_DIR): one process, WAL, deliveries synced to disk before the webhook's answer.
import type { Databases, Db } from './db.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { SqliteDeployWatches } from './sqlite-deploy-watches.ts';
import type { DeliveryRow, EnqueueResult, JobRow, LeasedJob, NewDelivery, Store } from './store.ts';
import { messages } from '../i18n/index.ts';

/** The job record's reason for a job the bot stopped in too many times (the record is in English, for operators). */
const INTERRUPTED = messages('en').jobs.interrupted;

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  private readonly db: Db;
  private readonly durable: Db;
  private readonly statements;
  private readonly locks = new KeyedQueue();

  /** The merged DAGs the bot waits for Airflow to load. */
  readonly deployWatches: SqliteDeployWatches;

  constructor({ durable, bookkeeping }: Databases) {
    this.durable = durable;
    this.db = bookkeeping;
    this.deployWatches = new SqliteDeployWatches(bookkeeping);
    const db = bookkeeping;
    this.statements = {
      insertDelivery: durable.prepare(`
        INSERT OR IGNORE INTO deliveries
          (idempotency_key, meaning_key, event_header, event_uuid, webhook_uuid, names, resource_key, project_id,
           confidential, body, received_at)
        VALUES (@idempotencyKey, @meaningKey, @eventHeader, @eventUuid, @webhookUuid, @names, @resourceKey,
                @projectId, @confidential, @body, @receivedAt)`),
      insertJob: durable.prepare(`
        INSERT INTO jobs (delivery_id, resource_key, status, run_after, created_at)
        VALUES (?, ?, 'queued', ?, ?)`),
      expireLeases: db.prepare(`
        UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
        WHERE status = 'running' AND lease_expires_at <= ? AND attempts < ?`),
      failExhaustedLeases: db.prepare(`
        UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?,
          last_error = coalesce(last_error, ?)
        WHERE status = 'running' AND lease_expires_at <= ? AND attempts >= ?
        RETURNING id`),
      // The oldest queued job that is due and that no earlier job of its resource key is ahead of. Walking
      // queued jobs in id order stops at the first one that may run; the planner would otherwise sort all.
      nextJob: db.prepare(`
        SELECT j.* FROM jobs j INDEXED BY jobs_queued
        WHERE j.status = 'queued' AND j.run_after <= @now
          AND NOT EXISTS (
            SELECT 1 FROM jobs k
            WHERE k.resource_key = j.resource_key AND k.status IN ('queued', 'running') AND k.id < j.id)
        ORDER BY j.id LIMIT 1`),
      // A control job (/cancel) goes before other work: it is about that work.
      nextControlJob: db.prepare(`
        SELECT j.* FROM jobs j INDEXED BY jobs_queued_control
        WHERE j.status = 'queued' AND j.resource_key GLOB '*~control' AND j.run_after <= @now
          AND NOT EXISTS (
            SELECT 1 FROM jobs k
            WHERE k.resource_key = j.resource_key AND k.status IN ('queued', 'running') AND k.id < j.id)
        ORDER BY j.id LIMIT 1`),
      lease: db.prepare(`
        UPDATE jobs SET status = 'running', lease_owner = @owner, lease_expires_at = @until,
          attempts = attempts + 1, started_at = coalesce(started_at, @now)
        WHERE id = @id AND status = 'queued'`),
      delivery: db.prepare('SELECT * FROM deliveries WHERE id = ?'),
      renew: db.prepare(`UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'`),
      finish: db.prepare(`
        UPDATE jobs SET status = @status, lease_owner = NULL, lease_expires_at = NULL, finished_at = @now,
          last_error = @error
        WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
      reschedule: db.prepare(`
        UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = @runAfter,
          last_error = @error
        WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
      snooze: db.prepare(`
        UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_after = @runAfter,
          attempts = max(attempts - 1, 0), last_error = NULL
        WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
      release: db.prepare(`
        UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL,
          attempts = max(attempts - 1, 0)
        WHERE id = ? AND lease_owner = ? AND status = 'running'`),
      runningLeases: db.prepare(`SELECT id, lease_owner, attempts FROM jobs WHERE status = 'running'`),
      requeue: db.prepare(`
        UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL
        WHERE id = ? AND status = 'running' AND lease_owner = ?`),
      failInterrupted: db.prepare(`
        UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?,
          last_error = ?
        WHERE id = ? AND status = 'running' AND lease_owner = ?`),
      queueDepth: db.prepare(`SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')`),
      cancelQueued: db.prepare(`
        UPDATE jobs SET status = 'cancelled', finished_at = @now, last_error = @reason
        WHERE resource_key = @key AND status = 'queued' AND id < @before
        RETURNING id, delivery_id`),
      lastFailed: db.prepare(`
        SELECT * FROM jobs INDEXED BY jobs_failed_by_key
        WHERE resource_key = ? AND status = 'failed' AND retried_by IS NULL AND id < ?
        ORDER BY id DESC LIMIT 1`),
      markRetried: db.prepare(`UPDATE jobs SET retried_by = ? WHERE id = ? AND status = 'failed'`),
      runningOf: db.prepare(`SELECT count(*) AS n FROM jobs WHERE resource_key = ? AND status = 'running'`),
      jobOfDelivery: db.prepare(`SELECT j.id FROM jobs j JOIN deliveries d ON d.id = j.delivery_id WHERE d.idempotency_key = ?`),
      queuePosition: db.prepare(`SELECT count(*) AS n FROM jobs INDEXED BY jobs_queued WHERE status = 'queued' AND id <= ?`),
      nextDue: db.prepare(`
        SELECT min(t) AS t FROM (
          SELECT min(run_after) AS t FROM jobs WHERE status = 'queued'
          UNION ALL SELECT min(lease_expires_at) FROM jobs WHERE status = 'running')`),
      job: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      botNote: db.prepare('SELECT note_id FROM bot_notes WHERE resource_key = ? AND kind = ?'),
      setBotNote: db.prepare(`
        INSERT INTO bot_notes (resource_key, kind, note_id) VALUES (?, ?, ?)
        ON CONFLICT (resource_key, kind) DO UPDATE SET note_id = excluded.note_id`),
      forgetBotNote: db.prepare('DELETE FROM bot_notes WHERE resource_key = ? AND kind = ?'),
      markReported: db.prepare(
        'INSERT OR IGNORE INTO reported_problems (scope, fingerprint, reported_at) VALUES (?, ?, ?)',
      ),
      pruneDeliveries: db.prepare(`
        DELETE FROM deliveries WHERE received_at < ?
          AND NOT EXISTS (SELECT 1 FROM jobs WHERE delivery_id = deliveries.id AND status IN ('queued', 'running'))`),
      pruneReported: db.prepare('DELETE FROM reported_problems WHERE reported_at < ?'),
      conversation: durable.prepare('SELECT state FROM conversations WHERE resource_key = ?'),
      saveConversation: durable.prepare(`
        INSERT INTO conversations (resource_key, state, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (resource_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`),
    };
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<EnqueueResult[]> {
    return this.durable.transaction(() =>
      deliveries.map((delivery): EnqueueResult => {
        const inserted = this.statements.insertDelivery.run({
          ...delivery,
          names: JSON.stringify(delivery.names),
          confidential: delivery.confidential ? 1 : 0,
        });
        if (inserted.changes === 0) return { duplicate: true };
        const deliveryId = Number(inserted.lastInsertRowid);
        const job = this.statements.insertJob.run(deliveryId, delivery.resourceKey, delivery.receivedAt, delivery.receivedAt);
        return { duplicate: false, deliveryId, jobId: Number(job.lastInsertRowid) };
      }),
    )();
  }

  async leaseNext(owner: string, now: number, leaseMs: number): Promise<LeasedJob | undefined> {
    return this.db.transaction(() => {
      const next = (this.statements.nextControlJob.get({ now }) ?? this.statements.nextJob.get({ now })) as JobRow | undefined;
      if (!next) return undefined;
      this.statements.lease.run({ id: next.id, owner, until: now + leaseMs, now });
      const delivery = this.statements.delivery.get(next.delivery_id) as DeliveryRow;
      return { ...next, status: 'running' as const, attempts: next.attempts + 1, lease_owner: owner, delivery };
    }).immediate();
  }

  async expireLeases(now: number, maxAttempts: number): Promise<number[]> {
    return this.db.transaction(() => {
      const exhausted = (this.statements.failExhaustedLeases.all(now, INTERRUPTED, now, maxAttempts) as Array<{ id: number }>).map((r) => r.id);
      this.statements.expireLeases.run(now, maxAttempts);
      return exhausted;
    }).immediate();
  }

  async renewLease(jobId: number, owner: string, until: number): Promise<boolean> {
    return this.statements.renew.run(until, jobId, owner).changes === 1;
  }

  async finish(jobId: number, owner: string, status: 'succeeded' | 'failed', now: number, error?: string): Promise<boolean> {
    return this.statements.finish.run({ id: jobId, owner, status, now, error: error ?? null }).changes === 1;
  }

  async reschedule(jobId: number, owner: string, runAfter: number, error: string): Promise<boolean> {
    return this.statements.reschedule.run({ id: jobId, owner, runAfter, error }).changes === 1;
  }

  async snooze(jobId: number, owner: string, runAfter: number): Promise<boolean> {
    return this.statements.snooze.run({ id: jobId, owner, runAfter }).changes === 1;
  }

  async release(jobId: number, owner: string): Promise<boolean> {
    return this.statements.release.run(jobId, owner).changes === 1;
  }

  async reclaimLeases(isDead: (owner: string) => boolean, maxAttempts: number, now: number): Promise<{ requeued: number[]; failed: number[] }> {
    return this.db.transaction(() => {
      const requeued: number[] = [];
      const failed: number[] = [];
      const rows = this.statements.runningLeases.all() as Array<{ id: number; lease_owner: string; attempts: number }>;
      for (const row of rows) {
        if (!isDead(row.lease_owner)) continue;
        if (row.attempts >= maxAttempts) {
          this.statements.failInterrupted.run(now, INTERRUPTED, row.id, row.lease_owner);
          failed.push(row.id);
        } else {
          this.statements.requeue.run(row.id, row.lease_owner);
          requeued.push(row.id);
        }
      }
      return { requeued, failed };
    }).immediate();
  }

  async queueDepth(): Promise<number> {
    return (this.statements.queueDepth.get() as { n: number }).n;
  }

  async cancelQueued(resourceKey: string, beforeJobId: number, reason: string, now = Date.now()): Promise<Array<{ id: number; delivery_id: number }>> {
    return this.statements.cancelQueued.all({ key: resourceKey, before: beforeJobId, reason, now }) as Array<{ id: number; delivery_id: number }>;
  }

  async lastFailedJob(resourceKey: string, beforeJobId: number): Promise<JobRow | undefined> {
    return this.statements.lastFailed.get(resourceKey, beforeJobId) as JobRow | undefined;
  }

  async markRetried(jobId: number, byJobId: number): Promise<void> {
    this.statements.markRetried.run(byJobId, jobId);
  }

  async runningJobs(resourceKey: string): Promise<number> {
    return (this.statements.runningOf.get(resourceKey) as { n: number }).n;
  }

  async jobIdOfDelivery(idempotencyKey: string): Promise<number | undefined> {
    return (this.statements.jobOfDelivery.get(idempotencyKey) as { id: number } | undefined)?.id;
  }

  async queuePosition(jobId: number): Promise<number> {
    if ((this.statements.job.get(jobId) as JobRow | undefined)?.status !== 'queued') return 0;
    return (this.statements.queuePosition.get(jobId) as { n: number }).n;
  }

  async nextDueAt(): Promise<number | undefined> {
    return (this.statements.nextDue.get() as { t: number | null }).t ?? undefined;
  }

  async job(jobId: number): Promise<JobRow | undefined> {
    return this.statements.job.get(jobId) as JobRow | undefined;
  }

  async delivery(deliveryId: number): Promise<DeliveryRow | undefined> {
    return this.statements.delivery.get(deliveryId) as DeliveryRow | undefined;
  }

  async botNoteId(resourceKey: string, kind: string): Promise<number | undefined> {
    return (this.statements.botNote.get(resourceKey, kind) as { note_id: number } | undefined)?.note_id;
  }

  async rememberBotNote(resourceKey: string, kind: string, noteId: number): Promise<void> {
    this.statements.setBotNote.run(resourceKey, kind, noteId);
  }

  async forgetBotNote(resourceKey: string, kind: string): Promise<void> {
    this.statements.forgetBotNote.run(resourceKey, kind);
  }

  async markReported(scope: string, fingerprint: string, now: number): Promise<boolean> {
    return this.statements.markReported.run(scope, fingerprint, now).changes === 1;
  }

  async prune(before: number): Promise<number> {
    const removed = this.statements.pruneDeliveries.run(before).changes;
    this.statements.pruneReported.run(before);
    return removed;
  }

  async conversation<T>(resourceKey: string): Promise<T | undefined> {
    const row = this.statements.conversation.get(resourceKey) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as T) : undefined;
  }

  async saveConversation(resourceKey: string, state: unknown, now = Date.now()): Promise<void> {
    this.statements.saveConversation.run(resourceKey, JSON.stringify(state), now);
  }

  async updateConversation<T>(resourceKey: string, change: (stored: T | undefined) => T, now = Date.now()): Promise<T> {
    return this.durable.transaction(() => {
      const row = this.statements.conversation.get(resourceKey) as { state: string } | undefined;
      const next = change(row ? (JSON.parse(row.state) as T) : undefined);
      this.statements.saveConversation.run(resourceKey, JSON.stringify(next), now);
      return next;
    }).immediate();
  }

  /** One process holds the SQLite file: a lock in memory is the lock. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, work);
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...params) as T[];
  }

  async isHealthy(): Promise<boolean> {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.durable.open) this.durable.close();
  }
}
