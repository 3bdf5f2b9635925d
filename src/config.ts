// Environment → typed server configuration, with messages a human can act on.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readMcpServers, type ExternalServer } from './mcp/servers-file.ts';
import { DURATION } from './pipeline-spec/schema.ts';
import { gitlabBaseUrl } from './git/remote.ts';
import { networkFromEnv, type GitSettings } from './net/network-config.ts';
import type { NetworkSettings } from './net/outbound.ts';
import { NO_PROXY_SETTINGS } from './net/proxy-rule.ts';

const positiveInt = (fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${max}, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const httpUrl = z
  .string({ error: "is missing: set it to your GitLab's base URL, e.g. https://gitlab.example.com" })
  .trim()
  .min(1, "is empty: set it to your GitLab's base URL, e.g. https://gitlab.example.com")
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'must be an http:// or https:// URL, e.g. https://gitlab.example.com',
  })
  // The API's own address (…/api/v4) is taken as the base it belongs to.
  .transform((value) => gitlabBaseUrl(value));

const secret = (what: string) => z.string({ error: `is missing: ${what}` }).min(1, `is empty: ${what}`);

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  GITLAB_URL: httpUrl,
  GITLAB_TOKEN: secret("set it to the bot user's personal or project access token (scope: api)"),
  WEBHOOK_SECRET: secret('set it to the secret token configured on the GitLab webhook'),
  WEBHOOK_SECRET_PREVIOUS: z.string().optional(),
  WEBHOOK_SHARED_SECRET: z.enum(['refuse', 'accept'], { message: 'must be refuse (the default) or accept' }).optional(),
  WEBHOOK_SIGNING_SECRET: z.string().optional(),
  PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return 3000;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `must be a port number from 0 to 65535, got "${value}"` });
        return z.NEVER;
      }
      return n;
    }),
  HOST: z.string().optional().default('0.0.0.0'),
  DATA_DIR: z.string().optional().default('./data'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || (URL.canParse(value) && /^postgres(ql)?:$/.test(new URL(value).protocol) && new URL(value).hostname !== ''), {
      message: 'must be a PostgreSQL connection URL such as postgres://dagwright@db.example.com:5432/dagwright, its password after the user name (user colon password) or in PGPASSWORD (unset, the store is SQLite in DATA_DIR)',
    }),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).optional().default('info'),
  ALLOWED_PROJECTS: z.string().optional(),
  WORKER_CONCURRENCY: positiveInt(4, 64),
  JOB_MAX_ATTEMPTS: positiveInt(5, 100),
  JOB_LEASE_SECONDS: positiveInt(60, 3600),
  LLM_BASE_URL: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)), {
      message: 'must be the http(s) URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://localhost:11434/v1',
    }),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().trim().optional(),
  LLM_TOKENS_PER_JOB: positiveInt(24_000, 10_000_000),
  LLM_TOKENS_PER_ISSUE: positiveInt(200_000, 100_000_000),
  LLM_TOOL_STEPS: positiveInt(5, 50),
  MCP_TOKEN: z.string().optional().refine((v) => !v || v.length >= 16, { message: 'must be at least 16 characters (it guards the /mcp endpoint)' }),
  MCP_SERVERS: z.string().optional(),
  AIRFLOW_URL: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)), {
      message: "must be the http(s) base URL of Airflow's API server (Airflow 3) or webserver (Airflow 2), e.g. https://airflow.example.com",
    }),
  AIRFLOW_UI_URL: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)), { message: 'must be the http(s) URL people open Airflow at, e.g. https://airflow.example.com' }),
  AIRFLOW_USERNAME: z.string().optional(),
  AIRFLOW_USER: z.string().optional(),
  AIRFLOW_PASSWORD: z.string().optional(),
  AIRFLOW_TOKEN: z.string().optional(),
  AIRFLOW_WAIT: z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (!value) return 30 * 60_000;
      const ms = durationMs(value);
      if (ms === undefined || ms < 1_000 || ms > 7 * 86_400_000) {
        ctx.addIssue({ code: 'custom', message: `must be a duration from 1s to 7d such as 30s, 10m or 2h, got "${value}"` });
        return z.NEVER;
      }
      return ms;
    }),
  REPO_PACKS: z.enum(['off', 'on'], { message: 'must be on or off: on lets a repository\'s default branch bring template packs of its own (.dagwright/packs), rendered in the sandbox' }).optional(),
  AIRFLOW_PYTHON: z
    .string()
    .trim()
    .optional()
    .refine((p) => !p || isExecutable(p), { message: 'must be the path of the python executable of a virtualenv with Airflow and its providers (e.g. /opt/airflow-venv/bin/python)' }),
});

/**
 * Whether repositories may bring template packs of their own (REPO_PACKS=on; off by default): read from the
 * default branch only, rendered in the sandbox.
 */
export function repositoryPacksEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.REPO_PACKS?.trim() === 'on';
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `10m`, `2h`, `1d` in milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const value = text.trim();
  return DURATION.test(value) ? Number(value.slice(0, -1)) * UNIT_MS[value.slice(-1) as keyof typeof UNIT_MS] : undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export type LlmConfig = {
  baseUrl: string;
  /** Optional: local endpoints (Ollama, vLLM) often take none. */
  apiKey: string | undefined;
  model: string;
  /** Input + output tokens one job may spend, and one issue over its life. */
  tokensPerJob: number;
  tokensPerIssue: number;
  /** Tool calls the model may make in one request. */
  toolSteps: number;
};

/** Where the team's Airflow answers, how the bot signs in, and how long it waits for a merged DAG. */
export type AirflowSettings = {
  url: string;
  /** Where people open Airflow (links in comments); the API's URL when not given. */
  uiUrl: string;
  auth: { kind: 'password'; username: string; password: string } | { kind: 'token'; token: string };
  waitMs: number;
  /** How soon the first look after a merge comes, and the longest pause between looks (5 s and 60 s). */
  checks?: { firstMs: number; maxMs: number };
};

export type ServerConfig = {
  /** GitLab's base URL as the bot reaches it (a relative root such as /gitlab included, /api/v4 not). */
  gitlabUrl: string;
  gitlabToken: string;
  webhookSecrets: string[];
  /** Whether WEBHOOK_SECRET itself is taken as any project's hook token (WEBHOOK_SHARED_SECRET=accept; unsafe). */
  acceptSharedWebhookSecret?: boolean;
  webhookSigningSecret: string | undefined;
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL for the store (replicas sharing one database); unset, the store is SQLite in dataDir. */
  databaseUrl?: string;
  logLevel: (typeof logLevels)[number];
  /** Project ids or paths (group/project); empty means every project that sends hooks. */
  allowedProjects: string[];
  workerConcurrency: number;
  jobMaxAttempts: number;
  jobLeaseMs: number;
  /** The model, when one is configured (LLM_BASE_URL and LLM_MODEL). */
  llm: LlmConfig | undefined;
  /** When set, the bot's tools are served at /mcp to clients sending it as a bearer token. */
  mcpToken?: string;
  /** External MCP servers whose tools the model may call (from the MCP_SERVERS file). */
  mcpServers?: ExternalServer[];
  /** The team's Airflow, when AIRFLOW_URL is set: the bot checks that merged DAGs are live there. */
  airflow?: AirflowSettings;
  /** Proxies and the company CA, for every outbound client. */
  network: NetworkSettings;
  /** Where git reaches the projects, and with what. */
  git: GitSettings;
};

/** A configuration for a bot run in-process against a local GitLab (the demo, the benchmarks). */
export function localServerConfig(input: { gitlabUrl: string; gitlabToken: string; webhookSecret: string; dataDir: string }): ServerConfig {
  return {
    gitlabUrl: input.gitlabUrl,
    gitlabToken: input.gitlabToken,
    webhookSecrets: [input.webhookSecret],
    webhookSigningSecret: undefined,
    port: 0,
    host: '127.0.0.1',
    dataDir: input.dataDir,
    logLevel: 'silent',
    allowedProjects: [],
    workerConcurrency: 4,
    jobMaxAttempts: 5,
    jobLeaseMs: 60_000,
    llm: undefined,
    network: { proxy: NO_PROXY_SETTINGS },
    git: { base: gitlabBaseUrl(input.gitlabUrl), baseFrom: 'GITLAB_URL', tokenScope: gitlabBaseUrl(input.gitlabUrl) },
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type ConfigNeeds = { webhookSecret: boolean };

/** Reads the server configuration from the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv, needs: ConfigNeeds = { webhookSecret: true }): ServerConfig {
  const schema = needs.webhookSecret ? envSchema : envSchema.extend({ WEBHOOK_SECRET: z.string().optional() });
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  let mcpServers: ExternalServer[] = [];
  try {
    mcpServers = e.MCP_SERVERS ? readMcpServers(e.MCP_SERVERS) : [];
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  if (!!e.LLM_BASE_URL !== !!e.LLM_MODEL) {
    throw new ConfigError([
      e.LLM_BASE_URL ? 'LLM_MODEL is missing: set it to the model to use at LLM_BASE_URL, e.g. gpt-4.1-mini or qwen2.5-coder' : 'LLM_BASE_URL is missing: set it to the URL of the OpenAI-compatible API serving LLM_MODEL',
    ]);
  }
  const airflow = airflowSettings(e);
  const dataDir = path.resolve(e.DATA_DIR);
  const { network, git, problems: networkProblems } = networkFromEnv(env, e.GITLAB_URL, dataDir);
  if (networkProblems.length) throw new ConfigError(networkProblems);
  return {
    airflow,
    network,
    git,
    gitlabUrl: e.GITLAB_URL,
    gitlabToken: e.GITLAB_TOKEN,
    webhookSecrets: [e.WEBHOOK_SECRET, e.WEBHOOK_SECRET_PREVIOUS].filter((s): s is string => !!s),
    acceptSharedWebhookSecret: e.WEBHOOK_SHARED_SECRET === 'accept',
    webhookSigningSecret: e.WEBHOOK_SIGNING_SECRET || undefined,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL || undefined,
    logLevel: e.LOG_LEVEL,
    allowedProjects: (e.ALLOWED_PROJECTS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobMaxAttempts: e.JOB_MAX_ATTEMPTS,
    jobLeaseMs: e.JOB_LEASE_SECONDS * 1000,
    mcpToken: e.MCP_TOKEN || undefined,
    mcpServers,
    llm:
      e.LLM_BASE_URL && e.LLM_MODEL
        ? {
            baseUrl: e.LLM_BASE_URL.replace(/\/+$/, ''),
            apiKey: e.LLM_API_KEY || undefined,
            model: e.LLM_MODEL,
            tokensPerJob: e.LLM_TOKENS_PER_JOB,
            tokensPerIssue: e.LLM_TOKENS_PER_ISSUE,
            toolSteps: e.LLM_TOOL_STEPS,
          }
        : undefined,
  };
}

/** AIRFLOW_URL with a way to sign in (a user and password, or a token); every gap named by its variable. */
function airflowSettings(e: { AIRFLOW_URL?: string; AIRFLOW_UI_URL?: string; AIRFLOW_USERNAME?: string; AIRFLOW_USER?: string; AIRFLOW_PASSWORD?: string; AIRFLOW_TOKEN?: string; AIRFLOW_WAIT: number }): AirflowSettings | undefined {
  const username = e.AIRFLOW_USERNAME?.trim() || e.AIRFLOW_USER?.trim() || undefined;
  const password = e.AIRFLOW_PASSWORD || undefined;
  const token = e.AIRFLOW_TOKEN?.trim() || undefined;
  if (!e.AIRFLOW_URL) {
    if (username || password || token) throw new ConfigError([`AIRFLOW_URL is missing: ${username || password ? 'AIRFLOW_USERNAME and AIRFLOW_PASSWORD are' : 'AIRFLOW_TOKEN is'} set, but not the Airflow they sign in to (e.g. https://airflow.example.com)`]);
    return undefined;
  }
  const problems: string[] = [];
  if (username && !password) problems.push('AIRFLOW_PASSWORD is missing: set it to the password of AIRFLOW_USERNAME');
  if (password && !username) problems.push('AIRFLOW_USERNAME is missing: set it to the Airflow user whose password AIRFLOW_PASSWORD is');
  if (!username && !password && !token) problems.push('AIRFLOW_USERNAME and AIRFLOW_PASSWORD are missing: set them to an Airflow user who may read DAGs and import errors (or set AIRFLOW_TOKEN)');
  if (problems.length) throw new ConfigError(problems);
  const url = e.AIRFLOW_URL.replace(/\/+$/, '');
  return {
    url,
    uiUrl: (e.AIRFLOW_UI_URL || url).replace(/\/+$/, ''),
    auth: username && password ? { kind: 'password', username, password } : { kind: 'token', token: token! },
    waitMs: e.AIRFLOW_WAIT,
  };
}
