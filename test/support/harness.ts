// Test stacks: a real Dagwright (HTTP server, store — SQLite, or PostgreSQL in npm test's second pass —, worker) on
// a free loopback port, and the GitLab stand-in it talks to and that sends it webhooks.
import { NO_PROXY_SETTINGS } from '../../src/net/proxy-rule.ts';
import { projectWebhookSecret } from '../../src/bot/verify.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDagwright, type Dagwright } from '../../src/app.ts';
import type { Bot } from '../../src/bot/bot.ts';
import type { ServerConfig } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../../src/gitlab-standin/index.ts';
import type { Issue, Note, Project, User } from '../../src/gitlab-standin/model.ts';
import { toRequestInit, type Delivery } from './payloads.ts';
import { testDatabaseUrlFor } from './test-database.ts';

export const WEBHOOK_SECRET = 'webhook-secret-for-tests';

/** The secret a project's hook holds (derived from the bot's WEBHOOK_SECRET, as `dagwright hook install` sets it). */
export function hookSecretFor(projectId: number, master = WEBHOOK_SECRET): string {
  return projectWebhookSecret(master, projectId);
}

/** The token a delivery of this body carries: its project's hook secret (WEBHOOK_SECRET where it names none). */
export function tokenFor(body: unknown): string {
  const id = (body as { project?: { id?: unknown } } | null)?.project?.id;
  return typeof id === 'number' ? hookSecretFor(id) : WEBHOOK_SECRET;
}
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every file below a folder, at any depth. */
export function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

export function tempDir(prefix = 'dagwright-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export type GitLabEndpoint = { url: string; token: string };

export function testConfig(gitlab: GitLabEndpoint, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    gitlabUrl: gitlab.url,
    gitlabToken: gitlab.token,
    webhookSecrets: [WEBHOOK_SECRET],
    webhookSigningSecret: undefined,
    port: 0,
    host: '127.0.0.1',
    dataDir: tempDir(),
    logLevel: 'silent',
    allowedProjects: [],
    workerConcurrency: 4,
    jobMaxAttempts: 5,
    jobLeaseMs: 10_000,
    llm: undefined,
    network: { proxy: NO_PROXY_SETTINGS },
    git: { base: gitlab.url, baseFrom: 'GITLAB_URL', tokenScope: gitlab.url },
    ...overrides,
  };
}

export type RunningBot = {
  dagwright: Dagwright;
  url: string;
  deliver(delivery: Delivery, token?: string | null): Promise<Response>;
  stop(): Promise<void>;
};

export async function startBot(options: { gitlab: GitLabEndpoint; register?: (bot: Bot) => void; config?: Partial<ServerConfig>; log?: Logger }): Promise<RunningBot> {
  const config = testConfig(options.gitlab, options.config);
  // The store of this run's engine (DAGWRIGHT_TEST_STORE); a bot started again on the same DATA_DIR (a restart)
  // finds the same database.
  config.databaseUrl ??= await testDatabaseUrlFor(config.dataDir);
  const dagwright = await createDagwright({
    config,
    register: options.register,
    log: options.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    worker: { backoff: { baseMs: 30, maxMs: 300 }, pollMs: 25 },
    gitlabRetry: { minTimeoutMs: 10, maxTimeoutMs: 50 },
  });
  const { port } = await dagwright.listen();
  await dagwright.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    dagwright,
    url,
    deliver: (delivery, token = tokenFor(delivery.body)) => fetch(`${url}/webhooks/gitlab`, toRequestInit(delivery, token === null ? undefined : token)),
    stop: () => dagwright.stop(2_000),
  };
}

/**
 * The stand-in with a project `data/warehouse` (owner `root`, developer `alice`, guest `gail`, the bot user
 * `dagwright` as developer) whose webhook points at a running Dagwright.
 */
export type Stack = {
  standIn: GitLabStandIn;
  project: Project;
  root: User;
  alice: User;
  gail: User;
  botUser: User;
  bot: RunningBot;
  /** Waits until the stand-in has no delivery in flight and the bot's queue is empty. */
  settle(): Promise<void>;
  openIssue(title?: string, description?: string, author?: User): Issue;
  comment(issue: Issue | number, body: string, author?: User): Promise<Note | undefined>;
  /** The bot's comments on an issue, oldest first. */
  botComments(issue: Issue | number): Note[];
  stop(): Promise<void>;
};

export async function startStack(options: { register?: (bot: Bot) => void; config?: Partial<ServerConfig>; log?: Logger } = {}): Promise<Stack> {
  const standIn = await startGitLabStandIn();
  const root = standIn.createUser('root', { name: 'Administrator' });
  const alice = standIn.createUser('alice');
  const gail = standIn.createUser('gail');
  const botUser = standIn.createUser('dagwright', { bot: true });
  const project = await standIn.createProject('data/warehouse', {
    owner: root,
    members: [
      [alice, AccessLevels.developer],
      [gail, AccessLevels.guest],
      [botUser, AccessLevels.developer],
    ],
  });
  const bot = await startBot({ gitlab: { url: standIn.url, token: botUser.token }, register: options.register, config: options.config, log: options.log });
  standIn.addHook(project, `${bot.url}/webhooks/gitlab`, { token: hookSecretFor(project.id) });
  const iidOf = (issue: Issue | number) => (typeof issue === 'number' ? issue : issue.iid);
  const stack: Stack = {
    standIn,
    project,
    root,
    alice,
    gail,
    botUser,
    bot,
    settle: () => standIn.settled({ botUrl: stack.bot.url }),
    openIssue: (title = 'Load customers daily', description = 'Copy public.customers every morning.', author = alice) =>
      standIn.openIssue(project, author, { title, description }),
    comment: (issue, body, author = alice) => standIn.comment(project, { issue: iidOf(issue) }, author, body),
    botComments: (issue) => {
      const iid = iidOf(issue);
      const target = project.issues.find((i) => i.iid === iid)!;
      return project.notes.filter((n) => n.noteableType === 'Issue' && n.noteableId === target.id && n.authorId === botUser.id);
    },
    stop: async () => {
      await stack.bot.stop();
      await standIn.close();
    },
  };
  return stack;
}

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 5_000, what = 'condition' }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GitLab's own webhook samples (fixtures/gitlab-samples/, copied from GitLab's documentation). */
export function gitlabSamplesDir(): string {
  return path.join(repoRoot, 'fixtures', 'gitlab-samples');
}

export async function metricValue(bot: { url: string }, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${bot.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : NaN;
}
