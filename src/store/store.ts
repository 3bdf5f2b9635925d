// What the bot keeps durably — deliveries, the job queue with its leases, conversations, the bot's own notes
// and its watches of merged DAGs — as one interface with two engines behind it: SQLite in DATA_DIR (one
// process), or PostgreSQL at DATABASE_URL (replicas sharing one database).
import type { DeployWatches } from './deploy-watches.ts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type NewDelivery = {
  idempotencyKey: string;
  meaningKey: string | undefined;
  eventHeader: string;
  eventUuid: string | undefined;
  webhookUuid: string | undefined;
  names: string[];
  resourceKey: string;
  projectId: number;
  confidential: boolean;
  /** The payload as JSON, already redacted. */
  body: string;
  receivedAt: number;
};

export type JobRow = {
  id: number;
  delivery_id: number;
  resource_key: string;
  status: JobStatus;
  attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The job that ran this failed job's delivery again (/retry). */
  retried_by: number | null;
};

export type DeliveryRow = {
  id: number;
  idempotency_key: string;
  event_header: string;
  names: string;
  resource_key: string;
  project_id: number;
  confidential: number;
  body: string;
  received_at: number;
};

export type LeasedJob = JobRow & { delivery: DeliveryRow };

export type EnqueueResult = { duplicate: true } | { duplicate: false; deliveryId: number; jobId: number };

export type StoreEngine = 'sqlite' | 'postgres';

export interface Store {
  readonly engine: StoreEngine;
  /** The merged DAGs the bot waits for Airflow to load. */
  readonly deployWatches: DeployWatches;

  /**
   * Stores deliveries and queues a job for each in one transaction (one disk sync for the lot); a delivery
   * seen before, also earlier in the same batch, is a duplicate. Resolves once the lot is durable.
   */
  enqueue(deliveries: readonly NewDelivery[]): Promise<EnqueueResult[]>;
  /**
   * Leases the next job that may run now, or returns undefined: control jobs (/cancel) first, then the oldest
   * due job that no earlier job of its resource key (queued or running) is ahead of.
   */
  leaseNext(owner: string, now: number, leaseMs: number): Promise<LeasedJob | undefined>;
  /**
   * Leases that expired (their holder died or hung) go back to the queue, or fail the job when it has had
   * all its attempts; returns the ids of the jobs failed so.
   */
  expireLeases(now: number, maxAttempts: number): Promise<number[]>;
  /** Extends a lease; false when it is no longer the owner's (it expired and another holder has the job). */
  renewLease(jobId: number, owner: string, until: number): Promise<boolean>;
  /** Records a leased job's end; false when the lease is no longer the owner's (the outcome is recorded once). */
  finish(jobId: number, owner: string, status: 'succeeded' | 'failed', now: number, error?: string): Promise<boolean>;
  reschedule(jobId: number, owner: string, runAfter: number, error: string): Promise<boolean>;
  /** Queues a running job again for `runAfter` without counting the attempt: it waits, it did not fail. */
  snooze(jobId: number, owner: string, runAfter: number): Promise<boolean>;
  /** Gives a leased job back without counting the attempt (shutdown before it could finish). */
  release(jobId: number, owner: string): Promise<boolean>;
  /**
   * Requeues jobs whose lease holder is known to be dead (a previous process on this host), without waiting
   * for their leases to expire; a job interrupted on its last attempt fails instead.
   */
  reclaimLeases(isDead: (owner: string) => boolean, maxAttempts: number, now: number): Promise<{ requeued: number[]; failed: number[] }>;
  queueDepth(): Promise<number>;
  /** Drops the jobs of a resource that wait (queued before `beforeJobId`); returns what was dropped. */
  cancelQueued(resourceKey: string, beforeJobId: number, reason: string, now?: number): Promise<Array<{ id: number; delivery_id: number }>>;
  /** The newest job of a resource, before `beforeJobId`, that failed for good and was not retried. */
  lastFailedJob(resourceKey: string, beforeJobId: number): Promise<JobRow | undefined>;
  /** Records that a failed job's delivery ran again in `byJobId` (so /retry does not run it twice). */
  markRetried(jobId: number, byJobId: number): Promise<void>;
  /** How many jobs of a resource are running now. */
  runningJobs(resourceKey: string): Promise<number>;
  /** The job made for a delivery (by its idempotency key). */
  jobIdOfDelivery(idempotencyKey: string): Promise<number | undefined>;
  /** A waiting job's place in line: 1 + the queued jobs that arrived before it (0 when it is not waiting). */
  queuePosition(jobId: number): Promise<number>;
  /** The earliest time a queued job becomes due or a lease expires. */
  nextDueAt(): Promise<number | undefined>;
  job(jobId: number): Promise<JobRow | undefined>;
  delivery(deliveryId: number): Promise<DeliveryRow | undefined>;

  botNoteId(resourceKey: string, kind: string): Promise<number | undefined>;
  rememberBotNote(resourceKey: string, kind: string, noteId: number): Promise<void>;
  forgetBotNote(resourceKey: string, kind: string): Promise<void>;
  /** Records that a problem was reported; false when it had been already (so it is not reported twice). */
  markReported(scope: string, fingerprint: string, now: number): Promise<boolean>;
  /** Forgets finished work older than `before` (deliveries, their jobs, reported problems). */
  prune(before: number): Promise<number>;

  /** A conversation's state (JSON written by its handler), kept durably: it is what the users told the bot. */
  conversation<T>(resourceKey: string): Promise<T | undefined>;
  saveConversation(resourceKey: string, state: unknown, now?: number): Promise<void>;
  /**
   * Reads, changes and writes a conversation as one step: no other write to it (another lane, another
   * replica) comes between the read and the write. `change` is synchronous and may throw (nothing is written).
   */
  updateConversation<T>(resourceKey: string, change: (stored: T | undefined) => T, now?: number): Promise<T>;

  /**
   * Runs `work` while no other holder of `key` runs, in this process or (PostgreSQL) in another replica; a
   * replica that dies lets go of its keys.
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;

  /** Rows of a read-only query, for tests and tools; `?` marks a parameter in either engine. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
