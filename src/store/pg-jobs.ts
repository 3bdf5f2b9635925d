// The job queue on PostgreSQL, for replicas sharing one database: a job is leased by one replica only
// (`FOR UPDATE SKIP LOCKED`), jobs of one issue or merge request run one at a time in arrival order, and a
// lease that expires (its replica died) puts the job back for another replica — whose late `finish` is then
// refused, so a job's outcome is recorded once.
import type { Pool } from 'pg';

export type PgJob = { id: number; delivery_id: number; resource_key: string; status: string; attempts: number; lease_owner: string | null };

const num = (row: Record<string, unknown>): PgJob => ({ ...(row as PgJob), id: Number(row.id), delivery_id: Number(row.delivery_id) });

export class PgJobQueue {
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  /** A delivery and its job in one transaction; undefined for a delivery seen before (its key). */
  async enqueue(delivery: { idempotencyKey: string; resourceKey: string; eventHeader: string; names: string; projectId: number; body: string }, now = Date.now()): Promise<number | undefined> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query(
        `INSERT INTO deliveries (idempotency_key, event_header, names, resource_key, project_id, body, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        [delivery.idempotencyKey, delivery.eventHeader, delivery.names, delivery.resourceKey, delivery.projectId, delivery.body, now],
      );
      const deliveryId = inserted.rows[0]?.id;
      const job = deliveryId === undefined ? undefined : await client.query(`INSERT INTO jobs (delivery_id, resource_key, status, run_after, created_at) VALUES ($1, $2, 'queued', $3, $3) RETURNING id`, [deliveryId, delivery.resourceKey, now]);
      await client.query('COMMIT');
      return job ? Number(job.rows[0].id) : undefined;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * The oldest due job that no earlier job of its resource is ahead of, leased to `owner`. A job another
   * replica is leasing at this moment is skipped, not waited for; an earlier job of the same resource, queued
   * or running, keeps a later one back whatever the timing (it is seen in either state).
   */
  async leaseNext(owner: string, leaseMs: number, now = Date.now()): Promise<PgJob | undefined> {
    const { rows } = await this.pool.query(
      `WITH next AS (
         SELECT j.id FROM jobs j
         WHERE j.status = 'queued' AND j.run_after <= $1
           AND NOT EXISTS (SELECT 1 FROM jobs k WHERE k.resource_key = j.resource_key AND k.status IN ('queued', 'running') AND k.id < j.id)
         ORDER BY j.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       UPDATE jobs SET status = 'running', lease_owner = $2, lease_expires_at = $3, attempts = attempts + 1, started_at = coalesce(started_at, $1)
       FROM next WHERE jobs.id = next.id AND jobs.status = 'queued'
       RETURNING jobs.*`,
      [now, owner, now + leaseMs],
    );
    return rows[0] ? num(rows[0]) : undefined;
  }

  /** Records a leased job's end; false when the lease is no longer this owner's (it expired and moved on). */
  async finish(jobId: number, owner: string, status: 'succeeded' | 'failed', now = Date.now(), error?: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE jobs SET status = $1, lease_owner = NULL, lease_expires_at = NULL, finished_at = $2, last_error = $3
       WHERE id = $4 AND lease_owner = $5 AND status = 'running'`,
      [status, now, error ?? null, jobId, owner],
    );
    return result.rowCount === 1;
  }

  /** Expired leases: their jobs wait again, or fail once they used every attempt. Returns the jobs failed so. */
  async expireLeases(maxAttempts: number, now = Date.now()): Promise<number[]> {
    await this.pool.query(`UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'running' AND lease_expires_at <= $1 AND attempts < $2`, [now, maxAttempts]);
    const failed = await this.pool.query(
      `UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = $1, last_error = coalesce(last_error, 'the lease expired after every attempt')
       WHERE status = 'running' AND lease_expires_at <= $1 AND attempts >= $2 RETURNING id`,
      [now, maxAttempts],
    );
    return failed.rows.map((r) => Number(r.id));
  }
}
