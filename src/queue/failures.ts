// How a job's failure is classified, how long to wait before the next attempt, and how it is described.
import { TransientError, UserError, isNetworkError } from '../errors.ts';
import { GitLabApiError } from '../gitlab/client.ts';
import { en } from '../i18n/en.ts';
import { redact } from '../redact.ts';

/** Rate limits, server errors and network failures pass with time; everything else would fail again. */
export function isTransient(err: unknown): boolean {
  if (err instanceof UserError) return false;
  if (err instanceof TransientError) return true;
  if (err instanceof GitLabApiError) return err.status === 429 || err.status >= 500;
  if (err instanceof AggregateError) return err.errors.some(isTransient);
  return isNetworkError(err);
}

function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof TransientError || err instanceof GitLabApiError) return err.retryAfterMs;
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

/** One plain, redacted line for the job record and the status comment. */
export function describeFailure(err: unknown): string {
  if (err instanceof UserError) return redact(err.render(en));
  if (err instanceof GitLabApiError) return redact(`GitLab answered ${err.status} (${err.description}) to ${err.method} ${err.path}`);
  if (err instanceof AggregateError) return err.errors.map(describeFailure).join('; ');
  if (err instanceof TransientError || isNetworkError(err)) return redact((err as Error).message);
  return en.internalError;
}
