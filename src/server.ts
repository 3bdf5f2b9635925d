// The HTTP face of the bot. POST /webhooks/gitlab is served straight from node:http (it is the hot path:
// no Request/stream objects are built for it); the operations endpoints are a Hono app.
import http from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { HeaderSource, Intake } from './bot/intake.ts';
import { tokenChecker } from './bot/verify.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

/** GitLab sends payloads of up to 25 MB. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;
export const WEBHOOK_PATH = '/webhooks/gitlab';

export type Readiness = () => Promise<Record<string, boolean>>;

export type ServerDeps = {
  intake: Intake;
  metrics: Metrics;
  log: Logger;
  readiness: Readiness;
  /** The bot's tools over MCP (Streamable HTTP) at /mcp, for clients that send this bearer token. */
  mcp?: { token: string; createServer: () => McpServer };
};

export function createOperationsApp(deps: ServerDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = await deps.readiness();
    const ready = Object.values(checks).every(Boolean);
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  if (deps.mcp) {
    const { createServer } = deps.mcp;
    const tokenOk = tokenChecker([deps.mcp.token]);
    app.all('/mcp', async (c) => {
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!tokenOk(bearer)) return c.json({ error: 'send the MCP token as Authorization: Bearer <token>' }, 401, { 'www-authenticate': 'Bearer' });
      // Stateless: one server and transport per request; the tools keep no session state.
      const server = createServer();
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      try {
        return await transport.handleRequest(c.req.raw);
      } finally {
        void server.close();
      }
    });
  }
  app.onError((err, c) => {
    deps.log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

function sendJson(res: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function headerSource(req: http.IncomingMessage): HeaderSource {
  return {
    get: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** verify → read (at most 25 MB) → intake → answer; GitLab hears back before any handler runs. */
export function createWebhookListener(deps: ServerDeps): http.RequestListener {
  const { intake, metrics, log } = deps;
  return (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, { result: 'invalid', detail: 'send webhooks with POST' });
    }
    const headers = headerSource(req);
    // Without a token, refused before the body is read (the token is checked against the project it names).
    if (!intake.authenticate(headers)) {
      metrics.delivery('unauthorized');
      res.setHeader('connection', 'close');
      sendJson(res, 401, { result: 'unauthorized', detail: 'missing X-Gitlab-Token' });
      req.resume();
      return;
    }
    const tooLarge = () => {
      metrics.delivery('too_large');
      res.setHeader('connection', 'close');
      sendJson(res, 413, { result: 'too_large', detail: `the body is larger than ${MAX_BODY_BYTES} bytes` });
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      tooLarge();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => (refused = true));
    req.on('end', () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      intake.receive(headers, body).then(
        (outcome) => sendJson(res, outcome.status, outcome.detail ? { result: outcome.result, detail: outcome.detail } : { result: outcome.result }),
        (err) => {
          // Only storing can fail here (handlers run later, in the worker): the delivery was not kept, so
          // GitLab is asked to send it again.
          log.error({ err }, 'could not store a delivery');
          sendJson(res, 503, { result: 'error', detail: 'the delivery could not be stored; try again' });
        },
      );
    });
  };
}

export function createHttpServer(deps: ServerDeps): { server: http.Server; operations: Hono } {
  const operations = createOperationsApp(deps);
  const webhook = createWebhookListener(deps);
  const rest = getRequestListener(operations.fetch);
  const server = http.createServer((req, res) => {
    const path = req.url?.split('?', 1)[0];
    if (path === WEBHOOK_PATH) webhook(req, res);
    else void rest(req, res);
  });
  return { server, operations };
}
