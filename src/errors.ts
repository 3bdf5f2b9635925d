// Error types that decide how a failed job is treated and what its user is told.
import type { Messages } from './i18n/index.ts';

/** A failure meant for the user: its message is written in their language; the job is not retried. */
export class UserError extends Error {
  readonly render: (messages: Messages) => string;
  constructor(render: (messages: Messages) => string, options?: ErrorOptions) {
    super('user-facing error', options);
    this.name = 'UserError';
    this.render = render;
  }
}

/** A failure that may pass if the job runs again later (rate limits, 5xx, network). */
export class TransientError extends Error {
  /** When the other side said how long to wait (Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.name = 'TransientError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * Not a failure: the job is waiting for something outside (Airflow parsing a merged DAG) and asks to run again
 * after `delayMs`. The wait is the queue's, so it survives a restart; it does not count as an attempt.
 */
export class CheckAgainLater extends Error {
  readonly delayMs: number;
  constructor(delayMs: number, what: string) {
    super(`waiting: ${what}`);
    this.name = 'CheckAgainLater';
    this.delayMs = delayMs;
  }
}

/** A service (GitLab, Airflow …) answered an HTTP request with an error status. */
export class ServiceAnswerError extends Error {
  readonly service: string;
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly description: string;
  readonly retryAfterMs: number | undefined;
  constructor(init: { service: string; status: number; method: string; path: string; description: string; retryAfterMs?: number }) {
    super(`${init.service} answered ${init.status} to ${init.method} ${init.path}: ${init.description}`);
    this.name = 'ServiceAnswerError';
    this.service = init.service;
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.description = init.description;
    this.retryAfterMs = init.retryAfterMs;
  }
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** A network-level failure of fetch (connection refused, reset, timed out …), as opposed to an HTTP answer. */
export function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
  }
  return false;
}
