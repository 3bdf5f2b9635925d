// How a job's failure is classified, how long to wait before the next attempt, and how it is described.
import { ServiceAnswerError, TransientError, UserError, isNetworkError } from '../errors.ts';
import { messages, type Messages } from '../i18n/index.ts';
import { isTransientDatabaseError } from '../store/db-errors.ts';
import { redact } from '../redact.ts';

/** Rate limits, server errors and network failures pass with time; everything else would fail again. */
export function isTransient(err: unknown): boolean {
  if (err instanceof UserError) return false;
  if (err instanceof TransientError) return true;
  if (err instanceof ServiceAnswerError) return err.status === 429 || err.status >= 500;
  if (err instanceof AggregateError) return err.errors.some(isTransient);
  return isNetworkError(err) || isTransientDatabaseError(err);
}

function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof TransientError || err instanceof ServiceAnswerError) return err.retryAfterMs;
  if (err instanceof AggregateError) {
    const waits = err.errors.map(retryAfterOf).filter((w): w is number => w !== undefined);
    return waits.length ? Math.max(...waits) : undefined;
  }
  return undefined;
}

/** Exponential backoff with jitter (base·2^(attempt-1), ±20%), never sooner than a Retry-After asked. */
export function retryDelayFor(err: unknown, attempt: number, backoff: { baseMs: number; maxMs: number }): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (0.8 + Math.random() * 0.4);
  return Math.round(Math.max(jittered, retryAfterOf(err) ?? 0));
}

/** How a job failed for good: an error, or the bot stopped while running it (a crash), too many times. */
export type JobFailure = { kind: 'error'; error: unknown } | { kind: 'interrupted' };

/** One plain, redacted line for the job record (English) and the status comment (the reader's language). */
export function describeFailure(err: unknown, m: Messages = messages('en')): string {
  if (err instanceof UserError) return redact(err.render(m));
  if (err instanceof ServiceAnswerError) return redact(m.jobs.serviceAnswered(err.service, err.status, err.description, `${err.method} ${err.path}`));
  if (err instanceof AggregateError) return err.errors.map((e) => describeFailure(e, m)).join('; ');
  if (err instanceof TransientError || isNetworkError(err)) return redact((err as Error).message);
  return m.jobs.internalError;
}

/** How a job failed for good, in the reader's language. */
export function describeJobFailure(failure: JobFailure, m: Messages): string {
  return failure.kind === 'interrupted' ? m.jobs.interrupted : describeFailure(failure.error, m);
}
