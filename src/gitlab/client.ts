// The GitLab REST client: gitbeaker's resources over a request handler that retries the way GitLab expects.
//
// gitbeaker's own handler retries 429/502 after fractions of a millisecond and ignores Retry-After, and it
// would repeat a POST whose first try may have created something. This one waits as GitLab asks, retries
// 5xx and network failures only for requests that are safe to repeat, and leaves the rest to the job-level
// retry (whose handlers look before they create).
import { Gitlab } from '@gitbeaker/rest';
import { createRequesterFn } from '@gitbeaker/requester-utils';
import pRetry, { AbortError } from 'p-retry';
import { ServiceAnswerError, TransientError } from '../errors.ts';
import { explainNetworkFailure } from '../net/failure.ts';

export type GitLabClient = InstanceType<typeof Gitlab<false>>;

export type RetryPolicy = {
  /** Retries after the first try (0 turns request-level retries off). */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** A Retry-After longer than this is not waited for here: the job is retried later instead. */
  maxInlineWaitMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
};

export const defaultRetryPolicy: RetryPolicy = {
  retries: 3,
  minTimeoutMs: 500,
  maxTimeoutMs: 8_000,
  maxInlineWaitMs: 30_000,
  timeoutMs: 30_000,
};

/** An HTTP error answer from GitLab. The request's headers (and so the token) are never kept. */
export class GitLabApiError extends ServiceAnswerError {
  constructor(init: { status: number; method: string; path: string; description: string; retryAfterMs?: number }) {
    super({ service: 'GitLab', ...init });
    this.name = 'GitLabApiError';
  }
}

export function isGitLabError(err: unknown, status?: number): err is GitLabApiError {
  return err instanceof GitLabApiError && (status === undefined || err.status === status);
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

type RequestOptions = {
  method?: string;
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  prefixUrl?: string;
  searchParams?: string;
  asStream?: boolean;
  signal?: AbortSignal;
  // Passed by gitbeaker and not for fetch: its client-side rate limiters and an undici agent.
  rateLimiters?: unknown;
  agent?: unknown;
};

async function errorDescription(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
      const message = parsed.message ?? parsed.error ?? text;
      return typeof message === 'string' ? message : JSON.stringify(message);
    } catch {
      return text.slice(0, 500);
    }
  }
  return text.slice(0, 500) || response.statusText;
}

async function parseBody(response: Response, asStream: boolean): Promise<unknown> {
  if (asStream) return response.body;
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (type === 'application/json') return (await response.json()) ?? {};
  if (type.startsWith('text/')) return await response.text();
  return await response.blob();
}

function retryingRequestHandler(policy: RetryPolicy) {
  return async (endpoint: string, options: RequestOptions = {}) => {
    const { prefixUrl, searchParams, asStream = false, signal, method = 'GET', rateLimiters: _r, agent: _a, ...init } = options;
    const base = prefixUrl ? (prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`) : undefined;
    const url = new URL(endpoint, base);
    url.search = searchParams ?? '';
    const pathForErrors = `${url.pathname}`;

    const attempt = async () => {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      let response: Response;
      try {
        // Redirects are not followed: fetch would carry the PRIVATE-TOKEN header to wherever one points.
        response = await fetch(url, { ...init, method, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (err) {
        if (signal?.aborted) throw new AbortError(err instanceof Error ? err : String(err));
        const failure = new TransientError(`${method} ${url.origin}${pathForErrors} failed: ${explainNetworkFailure(err, url)}`, { cause: err });
        if (!idempotentMethods.has(method)) throw new AbortError(failure);
        throw failure;
      }
      if (response.ok) {
        return { body: await parseBody(response, asStream), headers: Object.fromEntries(response.headers), status: response.status };
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const location = response.headers.get('location') ?? '(no Location)';
        throw new AbortError(
          new GitLabApiError({
            status: response.status,
            method,
            path: pathForErrors,
            description: `GitLab redirected the request to ${location}, which the bot does not follow with its token: set GITLAB_URL to the address GitLab answers at`,
          }),
        );
      }
      const error = new GitLabApiError({
        status: response.status,
        method,
        path: pathForErrors,
        description: await errorDescription(response),
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
      // A 429 was not processed, so any method may be sent again; a 5xx may have been.
      const retryable = response.status === 429 || (response.status >= 500 && idempotentMethods.has(method));
      if (!retryable || (error.retryAfterMs ?? 0) > policy.maxInlineWaitMs) throw new AbortError(error);
      throw error;
    };

    return pRetry(attempt, {
      retries: policy.retries,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      randomize: true,
      onFailedAttempt: async ({ error, retriesLeft, retryDelay }) => {
        const wait = (error as { retryAfterMs?: number }).retryAfterMs;
        // p-retry waits retryDelay on its own; top it up to what Retry-After asked for.
        if (retriesLeft > 0 && wait !== undefined && wait > retryDelay) {
          await new Promise((resolve) => setTimeout(resolve, wait - retryDelay));
        }
      },
    });
  };
}

export function createGitLabClient(options: { url: string; token: string; retry?: Partial<RetryPolicy> }): GitLabClient {
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const requesterFn = createRequesterFn(
    async (_serviceOptions: unknown, requestOptions: unknown) => requestOptions as Record<string, unknown>,
    retryingRequestHandler(policy) as never,
  );
  return new Gitlab({ host: options.url, token: options.token, requesterFn }) as GitLabClient;
}
