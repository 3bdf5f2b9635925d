// The durable worker: leases jobs from the store, one at a time per resource key and at most `concurrency`
// at once, keeps their leases alive while they run, retries transient failures with backoff, and drains on
// shutdown.
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LeasedJob, Store } from '../store/store.ts';
import { retryDelayFor, isTransient, describeFailure, type JobFailure } from './failures.ts';
import { isProcessAlive } from '../process-alive.ts';
import { CheckAgainLater } from '../errors.ts';

export type WorkerOptions = {
  store: Store;
  log: Logger;
  metrics: Metrics;
  run: (job: LeasedJob) => Promise<void>;
  /** Called once when a job has failed for good, to tell its users. */
  onFailed: (job: LeasedJob | { id: number }, failure: JobFailure) => Promise<void>;
  concurrency: number;
  maxAttempts: number;
  leaseMs: number;
  backoff?: { baseMs: number; maxMs: number };
  /** How often the queue is looked at when nothing announced new work. */
  pollMs?: number;
};

/** `host:pid:nonce` — enough to tell, after a restart on the same host, that a lease's holder is gone. */
function makeOwner(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class Worker {
  readonly owner = makeOwner();
  private readonly options: Required<WorkerOptions>;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly runningKeys = new Set<string>();
  private running = false;
  private draining = false;
  private pumpScheduled = false;
  private pumping = false;
  private pumpAgain = false;
  /** The round of leasing under way, which a drain waits for (its lease must be given back before the store closes). */
  private pumpRound: Promise<void> | undefined;
  private tickRound: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: WorkerOptions) {
    this.options = {
      backoff: { baseMs: 2_000, maxMs: 5 * 60_000 },
      pollMs: 1_000,
      ...options,
    };
  }

  /** Takes back jobs left running by a dead process on this host, then starts leasing. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const [host, pid] = this.owner.split(':');
    const { requeued, failed } = await this.options.store.reclaimLeases(
      (owner) => {
        const [ownerHost, ownerPid] = owner.split(':');
        if (ownerHost !== host) return false;
        // Same pid, other nonce: that process was an earlier incarnation (containers restart as pid 1).
        if (ownerPid === pid) return owner !== this.owner;
        return !isProcessAlive(Number(ownerPid));
      },
      this.options.maxAttempts,
      Date.now(),
    );
    if (requeued.length) this.options.log.warn({ jobs: requeued }, 'requeued jobs interrupted by a previous stop');
    for (const id of failed) void this.reportFailure({ id }, { kind: 'interrupted' });
    this.notify();
  }

  /**
   * New work may be ready: look at the queue soon. A job for a resource this worker is busy with, or any job
   * while every slot is taken, cannot start now; the running job's end looks at the queue again.
   */
  notify(resourceKey?: string): void {
    if (!this.running || this.draining || this.pumpScheduled) return;
    if (this.inFlight.size >= this.options.concurrency) return;
    if (resourceKey !== undefined && this.runningKeys.has(resourceKey)) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  get activeJobs(): number {
    return this.inFlight.size;
  }

  /** Leases jobs while slots are free; one round at a time (a call during a round makes another round). */
  private pump(): void {
    if (!this.running || this.draining) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pumpRound = this.leaseWhileFree()
      .catch((err) => this.options.log.error({ err }, 'could not lease a job'))
      .then(() => this.scheduleWakeUp())
      .catch((err) => this.options.log.error({ err }, 'could not look at when the next job is due'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        }
      });
  }

  private async leaseWhileFree(): Promise<void> {
    const { store, concurrency, leaseMs } = this.options;
    while (this.running && !this.draining && this.inFlight.size < concurrency) {
      const job = await store.leaseNext(this.owner, Date.now(), leaseMs);
      if (!job) return;
      if (this.draining) {
        // Shutdown began while the lease was on its way: the job goes back for the next start or another replica.
        await store.release(job.id, this.owner);
        return;
      }
      this.runningKeys.add(job.resource_key);
      const done = this.execute(job).finally(() => {
        this.inFlight.delete(job.id);
        this.runningKeys.delete(job.resource_key);
        this.notify();
      });
      this.inFlight.set(job.id, done);
    }
  }

  /** The timer's round: leases left by dead or hung holders are taken back, then the queue is looked at. */
  private tick(): void {
    if (!this.running || this.draining) return;
    this.tickRound = this.options.store
      .expireLeases(Date.now(), this.options.maxAttempts)
      .then((failed) => {
        for (const id of failed) void this.reportFailure({ id }, { kind: 'interrupted' });
      })
      .catch((err) => this.options.log.error({ err }, 'could not take back expired leases'))
      .finally(() => this.pump());
  }

  private async scheduleWakeUp(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.running || this.draining) return;
    const due = await this.options.store.nextDueAt();
    if (!this.running || this.draining) return;
    const wait = due === undefined ? this.options.pollMs : Math.max(10, Math.min(this.options.pollMs, due - Date.now()));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), wait);
    this.timer.unref();
  }

  private async execute(job: LeasedJob): Promise<void> {
    const { store, log, metrics, leaseMs } = this.options;
    const started = performance.now();
    const heartbeat = setInterval(() => {
      store.renewLease(job.id, this.owner, Date.now() + leaseMs).then(
        (kept) => kept || log.warn({ job: job.id }, 'lost the lease of a running job'),
        (err) => log.warn({ err, job: job.id }, 'could not renew the lease of a running job'),
      );
    }, Math.max(50, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    const jobLog = log.child({ job: job.id, delivery: job.delivery.idempotency_key, resource: job.resource_key });
    let outcome: { ok: true } | { ok: false; err: unknown };
    try {
      await this.options.run(job);
      outcome = { ok: true };
    } catch (err) {
      outcome = { ok: false, err };
    } finally {
      clearInterval(heartbeat);
    }
    const seconds = (performance.now() - started) / 1000;
    try {
      if (outcome.ok) {
        await store.finish(job.id, this.owner, 'succeeded', Date.now());
        metrics.job('succeeded', seconds);
        jobLog.info({ attempt: job.attempts }, 'job succeeded');
      } else {
        await this.recordFailure(job, outcome.err, seconds, jobLog);
      }
    } catch (recordErr) {
      // The lease then expires and the job is looked at again (handlers converge): nothing is lost.
      jobLog.error({ err: recordErr }, "could not record a job's outcome");
    }
  }

  private async recordFailure(job: LeasedJob, err: unknown, seconds: number, jobLog: Logger): Promise<void> {
    const { store, metrics, maxAttempts, backoff } = this.options;
    if (err instanceof CheckAgainLater) {
      await store.snooze(job.id, this.owner, Date.now() + err.delayMs);
      metrics.job('waiting', seconds);
      jobLog.info({ checkAgainInMs: err.delayMs }, err.message);
      return;
    }
    const reason = describeFailure(err);
    if (isTransient(err) && job.attempts < maxAttempts) {
      const delay = retryDelayFor(err, job.attempts, backoff);
      await store.reschedule(job.id, this.owner, Date.now() + delay, reason);
      metrics.job('retried', seconds);
      jobLog.warn({ err, attempt: job.attempts, retryInMs: delay }, 'job failed, will retry');
    } else {
      await store.finish(job.id, this.owner, 'failed', Date.now(), reason);
      metrics.job('failed', seconds);
      jobLog.error({ err, attempt: job.attempts }, 'job failed');
      await this.reportFailure(job, { kind: 'error', error: err });
    }
  }

  private async reportFailure(job: LeasedJob | { id: number }, failure: JobFailure): Promise<void> {
    try {
      await this.options.onFailed(job, failure);
    } catch (reportErr) {
      this.options.log.error({ err: reportErr, job: job.id, cause: failure.kind === 'error' ? failure.error : failure.kind }, 'could not report a failed job');
    }
  }

  /**
   * Stops leasing and waits for running jobs; jobs still running after `timeoutMs` are given back to the
   * queue so that the next start runs them.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    clearTimeout(this.timer);
    await Promise.all([this.tickRound, this.pumpRound]);
    const all = Promise.allSettled([...this.inFlight.values()]);
    let timedOut = false;
    await Promise.race([
      all,
      new Promise<void>((resolve) => setTimeout(() => ((timedOut = true), resolve()), timeoutMs).unref()),
    ]);
    if (timedOut) {
      await Promise.all([...this.inFlight.keys()].map((id) => this.options.store.release(id, this.owner).catch(() => false)));
      this.options.log.warn({ jobs: [...this.inFlight.keys()] }, 'shutdown: gave unfinished jobs back to the queue');
    }
    this.running = false;
  }
}
