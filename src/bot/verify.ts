// Webhook authenticity: the X-Gitlab-Token secret, and the Standard Webhooks signature when GitLab signs.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * A check of the token against each accepted secret (two during a rotation), in constant time: digests of
 * equal length are compared, and every secret is compared whether or not an earlier one matched.
 */
export function tokenChecker(secrets: readonly string[]): (token: string | undefined) => boolean {
  const expected = secrets.map(digest);
  return (token) => {
    if (!token) return false;
    const given = digest(token);
    let ok = false;
    for (const secret of expected) ok = timingSafeEqual(given, secret) || ok;
    return ok;
  };
}

/**
 * The secret token of one project's webhook, derived from the operator's WEBHOOK_SECRET: each project's hook
 * holds its own (`dagwright hook install` sets it), so a Maintainer who can read one project's hook learns
 * nothing that signs deliveries for another.
 */
export function projectWebhookSecret(master: string, projectId: number): string {
  return `dwh1_${createHmac('sha256', master).update(`dagwright-webhook:project:${projectId}`).digest('base64url')}`;
}

/**
 * A check that a delivery's token is its project's secret (under the current or the previous WEBHOOK_SECRET),
 * in constant time. `acceptShared` also takes WEBHOOK_SECRET itself for any project (hooks set up before
 * per-project secrets; unsafe, see the README).
 */
export function projectTokenChecker(masters: readonly string[], options: { acceptShared?: boolean } = {}): (token: string | undefined, projectId: number | undefined) => boolean {
  const shared = tokenChecker(options.acceptShared ? masters : []);
  return (token, projectId) => {
    if (!token) return false;
    const own = projectId !== undefined && Number.isSafeInteger(projectId) ? tokenChecker(masters.map((m) => projectWebhookSecret(m, projectId)))(token) : false;
    return shared(token) || own;
  };
}

const toleranceSeconds = 5 * 60;

/**
 * Checks `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. A `whsec_` secret is
 * base64 after its prefix (the Standard Webhooks convention); any other secret is used as it is.
 */
export function signatureMatches(
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signature.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
