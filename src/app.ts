// Wires one running Dagwright: store, GitLab client, bot with its handlers, worker, intake and HTTP server.
import { defaultGitRetryPolicy } from './git/failures.ts';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { registerHandlers } from '../handlers/index.ts';
import { Bot, Dispatcher } from './bot/bot.ts';
import { askWhoTheBotIs } from './bot/bot-user.ts';
import type { BotUser } from './bot/context.ts';

import { createIntake, type Intake } from './bot/intake.ts';
import { queueLane } from './bot/lanes.ts';
import { AccessLevels } from './gitlab/access-levels.ts';
import type { ServerConfig } from './config.ts';
import { Mirrors } from './git/repository.ts';
import { ProjectDirectory } from './gitlab/projects.ts';
import { installOutbound } from './net/outbound.ts';
import { verificationIsOff } from './net/trust.ts';
import { Llm } from './llm/llm.ts';
import { AirflowClient } from './airflow/client.ts';
import { createChatModel } from './llm/model.ts';
import { registerConnectionSecrets } from './sources/connections.ts';
import { createMcpServer } from './mcp/server.ts';
import { MODEL_TOOLS, ToolHub } from './mcp/client.ts';
import type { LanguageModel } from 'ai';
import { createGitLabClient, type GitLabClient, type RetryPolicy } from './gitlab/client.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { Worker } from './queue/worker.ts';
import { registerSecret } from './redact.ts';
import { createHttpServer } from './server.ts';
import { openStore } from './store/open.ts';
import { startRuff } from './validate/ruff.ts';
import type { Store } from './store/store.ts';

export type DagwrightOptions = {
  config: ServerConfig;
  log?: Logger;
  /** Registers the handlers; the product's own by default. */
  register?: (bot: Bot) => void;
  worker?: { backoff?: { baseMs: number; maxMs: number }; pollMs?: number };
  gitlabRetry?: Partial<RetryPolicy>;
  /** The language model to use instead of the one LLM_* configures (tests). */
  model?: LanguageModel;
  /** How long finished deliveries are kept (and so how long duplicates are recognised). */
  retentionMs?: number;
};

export type Dagwright = {
  config: ServerConfig;
  store: Store;
  bot: Bot;
  gitlab: GitLabClient;
  intake: Intake;
  worker: Worker;
  metrics: Metrics;
  log: Logger;
  server: http.Server;
  botUser(): BotUser | undefined;
  /** Asks GitLab who the bot is (retrying until it answers), then starts the worker. */
  start(): Promise<BotUser>;
  listen(): Promise<{ port: number }>;
  /** Stops taking deliveries, lets running jobs finish (up to graceMs), and closes the database. */
  stop(graceMs?: number): Promise<void>;
};

export async function createDagwright(options: DagwrightOptions): Promise<Dagwright> {
  const { config } = options;
  for (const secret of [config.gitlabToken, ...config.webhookSecrets, config.webhookSigningSecret, databasePassword(config.databaseUrl)]) registerSecret(secret);
  const log = options.log ?? createLogger(config.logLevel);
  const store = await openStore(config, log);
  const metrics = createMetrics(() => store.queueDepth());
  const gitlab = createGitLabClient({ url: config.gitlabUrl, token: config.gitlabToken, retry: options.gitlabRetry });
  const accessLevels = new AccessLevels(gitlab);
  const outbound = installOutbound(config.network, config.dataDir);
  if (verificationIsOff()) log.warn('NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate verification off for every client: unset it and set CA_BUNDLE to your CA instead');
  const projects = new ProjectDirectory(gitlab, config.git.base);
  const mirrors = new Mirrors(config.dataDir, {
    token: config.gitlabToken,
    tokenScope: config.git.tokenScope,
    proxyFor: outbound.proxyFor,
    caFile: outbound.trust.gitCaFile,
    ssh: config.git.ssh,
    // Git's network calls are tried again as the API's are.
    retry: {
      retries: options.gitlabRetry?.retries ?? defaultGitRetryPolicy.retries,
      minTimeoutMs: options.gitlabRetry?.minTimeoutMs ?? defaultGitRetryPolicy.minTimeoutMs,
      maxTimeoutMs: options.gitlabRetry?.maxTimeoutMs ?? defaultGitRetryPolicy.maxTimeoutMs,
      onRetry: (err, attempt) => log.warn({ err, attempt }, 'a git call failed in a way that passes; trying it again'),
    },
  });
  registerSecret(config.llm?.apiKey);
  registerSecret(config.mcpToken);
  const airflowAuth = config.airflow?.auth;
  registerSecret(airflowAuth?.kind === 'password' ? airflowAuth.password : airflowAuth?.token);
  const airflow = config.airflow ? new AirflowClient(config.airflow) : undefined;
  const connections = registerConnectionSecrets();
  const llm = config.llm ? new Llm(options.model ?? createChatModel(config.llm), config.llm.model, config.llm) : undefined;
  // The model reads sources through the bot's own MCP server (when it was given any) and external ones.
  const tools = llm ? new ToolHub({ builtin: () => createMcpServer(), builtinTools: connections.length ? MODEL_TOOLS : [], external: config.mcpServers ?? [], log }) : undefined;
  const bot = new Bot();
  (options.register ?? registerHandlers)(bot);

  let botUser: BotUser | undefined;
  let stopping = false;
  let listening = false;

  const dispatcher = new Dispatcher({ bot, gitlab, llm, airflow, tools, mirrors, projects, store, log, accessLevels, allowedProjects: config.allowedProjects, botUser: () => botUser, stopping: () => stopping });
  const worker = new Worker({
    store,
    log,
    metrics,
    concurrency: config.workerConcurrency,
    maxAttempts: config.jobMaxAttempts,
    leaseMs: config.jobLeaseMs,
    ...options.worker,
    run: dispatcher.run.bind(dispatcher),
    onFailed: dispatcher.reportFailed.bind(dispatcher),
  });

  const intake = createIntake({
    store,
    metrics,
    log,
    secrets: config.webhookSecrets,
    acceptSharedSecret: config.acceptSharedWebhookSecret,
    signingSecret: config.webhookSigningSecret,
    allowedProjects: config.allowedProjects,
    botUserId: () => botUser?.id,
    botUsername: () => botUser?.username,
    onEnqueued: (event, jobId) => {
      worker.notify(queueLane(event, botUser?.username));
      dispatcher.announceIfItWaits(event, jobId);
    },
  });

  const { server } = createHttpServer({
    intake,
    metrics,
    log,
    readiness: async () => ({ database: await store.isHealthy(), gitlab: botUser !== undefined }),
    mcp: config.mcpToken ? { token: config.mcpToken, createServer: () => createMcpServer() } : undefined,
  });

  const retentionMs = options.retentionMs ?? 30 * 24 * 3600_000;
  const pruneTimer = setInterval(() => {
    store.prune(Date.now() - retentionMs).catch((err) => log.error({ err }, 'could not prune old deliveries'));
  }, 3600_000);
  pruneTimer.unref();

  async function start(): Promise<BotUser> {
    // The linter's process loads while GitLab is asked, not during the first /generate.
    startRuff();
    botUser = await askWhoTheBotIs(gitlab, log, () => stopping);
    log.info({ bot: botUser.username, model: config.llm?.model ?? null, sources: connections }, 'GitLab answered; the worker starts');
    await worker.start();
    return botUser;
  }

  async function listen() {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    listening = true;
    const port = (server.address() as AddressInfo).port;
    log.info({ port }, 'listening');
    return { port };
  }

  async function stop(graceMs = 25_000) {
    stopping = true;
    clearInterval(pruneTimer);
    if (listening) {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open.
      server.closeIdleConnections();
      await closing;
    }
    await worker.drain(graceMs);
    await tools?.close();
    await store.close();
    log.info('stopped');
    await new Promise<void>((resolve) => log.flush(() => resolve()));
  }

  return {
    config,
    store,
    bot,
    gitlab,
    intake,
    worker,
    metrics,
    log,
    server,
    botUser: () => botUser,
    start,
    listen,
    stop,
  };
}

function databasePassword(databaseUrl: string | undefined): string | undefined {
  if (!databaseUrl) return undefined;
  return decodeURIComponent(new URL(databaseUrl).password) || undefined;
}
