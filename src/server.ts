// The HTTP face of the bot: the webhook endpoint and the operations endpoints.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Intake } from './bot/intake.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

/** GitLab sends payloads of up to 25 MB. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export type Readiness = () => Record<string, boolean>;

export function createServer(deps: { intake: Intake; metrics: Metrics; log: Logger; readiness: Readiness }): Hono {
  const { intake, metrics, log } = deps;
  const app = new Hono();

  app.post(
    '/webhooks/gitlab',
    async (c, next) => {
      // Refused before the body is read.
      if (!intake.authenticate(c.req.raw.headers)) {
        metrics.delivery('unauthorized');
        return c.json({ result: 'unauthorized', detail: 'missing or wrong X-Gitlab-Token' }, 401);
      }
      await next();
    },
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        metrics.delivery('too_large');
        return c.json({ result: 'too_large', detail: `the body is larger than ${MAX_BODY_BYTES} bytes` }, 413);
      },
    }),
    async (c) => {
      const body = await c.req.text();
      const outcome = intake.receive(c.req.raw.headers, body, { tokenVerified: true });
      return c.json({ result: outcome.result, ...(outcome.detail ? { detail: outcome.detail } : {}) }, outcome.status);
    },
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', (c) => {
    const checks = deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    c.header('content-type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  app.onError((err, c) => {
    log.error({ err, path: c.req.path }, 'request failed');
    // Only the intake itself can get here (handlers run later, in the worker): the delivery was not stored,
    // so GitLab is asked to send it again.
    return c.json({ result: 'error', detail: 'the delivery could not be stored; try again' }, 503);
  });

  return app;
}
