// Git's failures in plain words, told apart: the network or the server (worth another try) from a refusal.
import pRetry, { AbortError } from 'p-retry';
import { TransientError } from '../errors.ts';

/** How often, and how far apart, git's network calls are tried again within a job (as GitLab's API calls are). */
export type GitRetryPolicy = { retries: number; minTimeoutMs: number; maxTimeoutMs: number; onRetry?: (err: Error, attempt: number) => void };
export const defaultGitRetryPolicy: GitRetryPolicy = { retries: 3, minTimeoutMs: 500, maxTimeoutMs: 8_000 };

/**
 * Runs a network call of git's (fetch, push, ls-remote) and tries it again with backoff while it fails in a
 * way that passes (a 5xx, an empty reply, a cut connection: see asGitError); a refusal fails at once.
 */
export function withGitRetries<T>(call: () => Promise<T>, policy: GitRetryPolicy = defaultGitRetryPolicy): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await call();
      } catch (err) {
        throw err instanceof TransientError ? err : new AbortError(err as Error);
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      randomize: true,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0) policy.onRetry?.(error, attemptNumber);
      },
    },
  );
}

/**
 * What git (through curl) says when the server or the network failed: worth another try with backoff, as
 * the API's 429 and 5xx are. A refusal (auth, a protected branch, a missing repository) is not.
 */
const transientGitFailure = new RegExp(
  [
    'The requested URL returned error: (429|5\\d\\d)',
    'Empty reply from server',
    'Could not resolve host',
    'Failed to connect',
    'Connection refused',
    'Connection reset',
    'Connection timed out',
    'Operation timed out',
    'timed out',
    'Recv failure',
    'Send failure',
    'transfer closed',
    'SSL_ERROR_SYSCALL',
    'gnutls_handshake',
    'not closed cleanly',
    'RPC failed',
    'early EOF',
    'unexpected disconnect',
    'the remote end hung up unexpectedly',
    // A lock held by another process that is still at work passes too.
    "\\.lock'?: File exists",
    'cannot lock ref',
  ].join('|'),
  'i',
);

/** Failures a setting fixes, with the setting: a certificate git does not trust, a proxy that refuses. */
const certificateFailure = /server certificate verification failed|SSL certificate problem|certificate verify failed|self[- ]signed certificate/i;
const proxyRefusal = /(Received HTTP code \d+ from proxy after CONNECT|CONNECT tunnel failed, response \d+|Proxy CONNECT aborted)/i;

export function asGitError(err: unknown, what: string): Error {
  const message = (err as Error).message ?? String(err);
  const lineOf = (pattern: RegExp) => message.split('\n').find((l) => pattern.test(l))?.replace(/^(git \S+ exited with \d+: )?(fatal: )?/, '').trim();
  if (certificateFailure.test(message)) {
    return new Error(`${what} failed: git does not trust the certificate of GitLab's address (${lineOf(certificateFailure)}): set CA_BUNDLE to the PEM file of your company's certificate authority`, { cause: err });
  }
  if (proxyRefusal.test(message)) {
    return new Error(`${what} failed: the proxy refused to carry git's request (${message.match(proxyRefusal)![1]}): check HTTPS_PROXY/HTTP_PROXY and the proxy's rules, or NO_PROXY`, { cause: err });
  }
  if (transientGitFailure.test(message)) return new TransientError(`${what} failed: ${message.split('\n').find((l) => transientGitFailure.test(l)) ?? message.split('\n')[0]}`, { cause: err });
  return new Error(`${what} failed: ${message.split('\n').filter(Boolean).slice(0, 3).join(' ')}`, { cause: err });
}
