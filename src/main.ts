#!/usr/bin/env node
// The command line: dagwright serve | replay FILE.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDagwright, type Dagwright } from './app.ts';
import { ConfigError, loadConfig, type ConfigNeeds, type ServerConfig } from './config.ts';
import { installOutbound } from './net/outbound.ts';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const environmentHelp = `Environment:
  GITLAB_URL               GitLab's base URL, e.g. https://gitlab.example.com          (required)
  GITLAB_TOKEN             the bot user's access token, scope api                      (required)
  WEBHOOK_SECRET           each project's webhook secret is derived from it            (required for serve)
                           (dagwright hook install sets it on the project's hook)
  WEBHOOK_SECRET_PREVIOUS  the previous WEBHOOK_SECRET, accepted while rotating
  WEBHOOK_SHARED_SECRET    accept: also take WEBHOOK_SECRET itself from any project (unsafe)
  WEBHOOK_SIGNING_SECRET   verifies GitLab's webhook-signature header when it is sent
  PORT                     HTTP port (3000)          HOST  address to listen on (0.0.0.0)
  DATA_DIR                 the SQLite database and the git mirrors (./data)
  DATABASE_URL             postgres://… : the store in PostgreSQL instead, for several replicas
  LOG_LEVEL                fatal|error|warn|info|debug|trace|silent (info)
  ALLOWED_PROJECTS         comma-separated project ids or paths; others are ignored
  WORKER_CONCURRENCY       jobs run at once (4)
  JOB_MAX_ATTEMPTS         attempts before a job fails for good (5)
  JOB_LEASE_SECONDS        how long a crashed job's lease holds it before it runs again (60)
  LLM_BASE_URL, LLM_MODEL  an OpenAI-compatible API and its model (both, or no model)
  LLM_API_KEY              the API's key, when it takes one
  LLM_TOKENS_PER_JOB       tokens one job may spend (24000); LLM_TOKENS_PER_ISSUE per issue (200000)
  LLM_TOOL_STEPS           tool calls the model may make in one job (5)
  AIRFLOW_CONN_<ID>        source connections the bot may inspect, read-only (Airflow URI or JSON)
  MCP_TOKEN                serves the bot's tools at /mcp to clients sending it as a bearer token
  MCP_SERVERS              a JSON file of external MCP servers whose tools the model may call
  AIRFLOW_URL              the team's Airflow, where merged DAGs are checked (see the README)
  GIT_URL                  another base for git remotes: https://…, ssh://git@host or git@host:
  GIT_SSH_KEY              with an SSH GIT_URL: a deploy key; GIT_SSH_KNOWN_HOSTS its known_hosts
  HTTPS_PROXY, HTTP_PROXY  the proxy for every outbound call (git too); NO_PROXY the exceptions;
                           loopback goes direct unless PROXY_LOOPBACK=true
  CA_BUNDLE                a PEM file of your company's CAs, trusted by every client and git
  AIRFLOW_PYTHON           a python with the team's Airflow: generated DAGs are imported there,
                           in the sandbox (bubblewrap), before anything is committed
  REPO_PACKS               on: template packs from a repository's default branch, rendered in
                           the sandbox (off)`;

const usage = {
  main: `Usage: dagwright <command> [options]

Dagwright turns pipeline requests in GitLab issues into reviewed Airflow DAGs.

Commands:
  serve          receive GitLab webhooks and run the bot
  replay FILE    run one recorded delivery through the bot, in this process
  render SPEC    write a pipeline's files from a spec (yaml), and validate them
  validate PATH  check pipeline files (.py, .sql) as Dagwright checks what it writes
  gitlab-standin run the built-in GitLab stand-in, for trying Dagwright without a GitLab
  demo           the whole flow against the stand-in, printed: request, conversation, MR, review, merge
  mcp            the bot's tools (source introspection, render, validate) as an MCP server on stdio
  doctor         check the token, the projects' webhooks and roles, the model and the sources
  hook install PROJECT URL   register a project's webhook to the bot, with the project's own secret
  hook secret PROJECT        print a project's webhook secret (for a hook set up by hand)

Options:
  -h, --help     show help (also after a command: dagwright serve --help)
  -v, --version  show the version

Documentation, in the package: README.md · docs/user-guide.md (requests, the spec card, /generate,
review) · docs/pipeline-spec.md (every field of the pipeline spec)`,
  serve: `Usage: dagwright serve

Receives GitLab webhooks on POST /webhooks/gitlab and runs the bot. Also serves
GET /healthz, GET /readyz and GET /metrics (Prometheus). SIGTERM or SIGINT stop
taking deliveries and let running jobs finish (up to 25 s).

${environmentHelp}`,
  doctor: `Usage: dagwright doctor

Checks what the bot needs and says what to fix, one line each: GitLab answers the token
and its scope is api; in each project of ALLOWED_PROJECTS the bot is at least Developer
and a webhook goes to …/webhooks/gitlab with issue, comment and merge request events; the
model answers (when LLM_* is set); every AIRFLOW_CONN_<ID> source accepts a read-only
connection. Exit code 0 when nothing is wrong, 1 otherwise, 2 for a bad configuration.
Needs GITLAB_URL and GITLAB_TOKEN (not WEBHOOK_SECRET).`,
  hook: `Usage: dagwright hook install PROJECT URL
       dagwright hook secret PROJECT

Registers PROJECT's webhook (an id or group/name) to the bot at URL (a bare base URL gets
/webhooks/gitlab) for issues, comments, merge requests, pipelines and emoji, with the
project's own secret, derived from WEBHOOK_SECRET and the project's id (a Maintainer who
reads one project's hook learns nothing that signs deliveries for another). A webhook to
URL that exists already is given that secret and those events. Needs GITLAB_URL,
WEBHOOK_SECRET (the bot's) and a GITLAB_TOKEN of a Maintainer of the project.
\`hook secret\` prints the project's secret, to paste into a webhook set up by hand.`,
  mcp: `Usage: dagwright mcp

Serves Dagwright's tools over MCP on standard input and output, for any MCP client:
test_connection, list_tables, describe_table, sample_rows, estimate_rows,
watermark_candidates, propose_target_ddl (read-only, on the sources given as
AIRFLOW_CONN_<ID> environment variables), render_pipeline and validate_pipeline.
Nothing but the protocol is written to standard output.`,
  replay: `Usage: dagwright replay FILE

Runs one recorded delivery through the same path as a webhook (parse, dedupe, store,
queue, handlers), against the GitLab of GITLAB_URL, and waits for its job to finish.
The token check is skipped: the file is trusted. A delivery already in DATA_DIR's
database is reported as a duplicate and not run again.

FILE is JSON: {"headers": {"X-Gitlab-Event": "Note Hook", ...}, "body": {...}}.
Exit code: 0 when the job succeeded (or there was nothing to do), 1 when it failed,
2 for a bad file or configuration.

${environmentHelp.replace('(required for serve)', '(not needed)        ')}`,
  render: `Usage: dagwright render SPEC.yaml [--out DIR] [--pack NAME] [--airflow 2|3]

Writes the pipeline described by SPEC.yaml (see pipeline-spec.md) under DIR (default:
the current directory): the DAG, its SQL, its doc and tests/dags/test_dag_integrity.py,
at dags_root/<layout>/ as DIR's .gitlab/dagwright.yml says (default dags/<layer>/<system>/).
Packs under DIR/.dagwright/packs/<name>/ override the built-in ones (here, on your own
checkout; the bot takes them from the default branch only, with REPO_PACKS=on). Prints the files
and the validation report.

Exit code: 0 when the files are valid; 1 when the spec is incomplete or invalid (nothing
is written; the message names the field) or validation finds problems (files written,
report printed); 2 for a bad command line.`,
  validate: `Usage: dagwright validate PATH… [--airflow 2|3]

Checks .py and .sql files (folders are searched) the way Dagwright checks what it
writes: ruff's pyflakes and Airflow rules (Airflow 3's by default), the structure of each
DAG (python3's ast: one DAG per file, dag_id = file name, unique task ids, no cycles,
explicit schedule/start_date/catchup, owner/retries/tags/doc_md, no metadata access at
parse time, a data check after each load), removed context keys, crons, time zones.
Exit code 1 when anything is found.`,
  demo: `Usage: dagwright demo [--out DIR]

Runs the whole flow against the built-in GitLab stand-in, with no configuration: a
project seeded with a small Airflow repository; an issue with a pipeline request in
the old parameter-table form (with a password in a connection URL, which the bot
masks); an answer; /generate; the merge request; a reviewer's /set on it; a human
commit merged three-way with the next render; the merge. Prints the issue and the
merge request as a reader sees them, and where the generated files are (a checkout
of the merged main branch under DIR, default a temporary folder).`,
  'gitlab-standin': `Usage: dagwright gitlab-standin [--port N] [--seed DIR]

Runs the GitLab stand-in standalone (also as \`dagwright sandbox\`, its former name): it serves the REST API
subset Dagwright uses under /api/v4, git over smart HTTP, and GitLab's webhooks. It
creates the users root (owner), alice (developer) and dagwright (the bot's user), and
the project data/warehouse seeded from DIR (default: fixtures/gitlab-standin-repo), then
prints its URL and the users' tokens. Everything lives in memory and a temporary
directory, and is gone when it stops (Ctrl-C).

Options:
  --port N     port to listen on (default: a free one)
  --seed DIR   files for the project's first commit`,
};

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** The configuration, its proxy and certificate authorities applied to this process's outbound calls. */
function readConfig(command: string, needs?: ConfigNeeds): ServerConfig {
  try {
    const config = loadConfig(process.env, needs);
    installOutbound(config.network, config.dataDir);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(`dagwright ${command}: cannot start, fix the configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\nSee: dagwright ${command} --help`);
    }
    throw err;
  }
}

async function serveCommand(): Promise<void> {
  const config = readConfig('serve');
  const bot = await openBot('serve', config);
  await bot.listen();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      bot.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    bot.log.info({ signal }, 'shutting down: draining running jobs');
    bot.stop().then(
      () => process.exit(0),
      (err) => {
        bot.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  bot.start().catch((err) => {
    if (!stopping) bot.log.error({ err }, 'could not start the worker');
  });
}

const recordedDelivery = z.object({
  headers: z.record(z.string(), z.string()),
  body: z.record(z.string(), z.unknown()),
});

async function replayCommand(file: string | undefined): Promise<void> {
  if (!file) fail('dagwright replay: which delivery? Usage: dagwright replay FILE');
  let recorded: z.infer<typeof recordedDelivery>;
  try {
    const parsed = recordedDelivery.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) {
      fail(`dagwright replay: ${file} is not a recorded delivery: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'} ${i.message}`).join('; ')}`);
    }
    recorded = parsed.data;
  } catch (err) {
    fail(`dagwright replay: cannot read ${file}: ${(err as Error).message}`);
  }
  const config = readConfig('replay', { webhookSecret: false });
  const bot = await openBot('replay', config);
  try {
    const user = await Promise.race([
      bot.start(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('GitLab did not answer GET /user within 30 s')), 30_000).unref()),
    ]);
    const outcome = await bot.intake.receive(new Headers(recorded.headers), JSON.stringify(recorded.body), { trusted: true });
    const names = outcome.event?.names ?? [];
    console.log(`delivery: ${outcome.result}${outcome.detail ? ` (${outcome.detail})` : ''}`);
    if (names.length) console.log(`event: ${names.join(', ')} → ${bot.bot.handlerCount(names)} handler(s); bot user @${user.username}`);
    if (outcome.status !== 200) process.exitCode = 2;
    if (outcome.jobId === undefined) return;
    const job = await waitForJob(bot, outcome.jobId);
    console.log(`job ${job.id}: ${job.status} after ${job.attempts} attempt(s)${job.last_error ? `: ${job.last_error}` : ''}`);
    process.exitCode = job.status === 'succeeded' ? 0 : 1;
  } finally {
    await bot.stop(5_000);
  }
}

async function standInCommand(port: string | undefined, seed: string | undefined): Promise<void> {
  const portNumber = port === undefined ? 0 : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) fail(`dagwright gitlab-standin: --port takes a port number, got "${port}"`);
  const seedDir = path.resolve(seed ?? fileURLToPath(new URL('../fixtures/gitlab-standin-repo', import.meta.url)));
  if (!fs.existsSync(seedDir) || !fs.statSync(seedDir).isDirectory()) fail(`dagwright gitlab-standin: the seed folder ${seedDir} does not exist`);
  const { startGitLabStandIn } = await import('./gitlab-standin/index.ts');
  const { seedGitLabStandIn } = await import('./gitlab-standin/seed.ts');
  const standIn = await startGitLabStandIn({ port: portNumber });
  const { root, alice, bot, project } = await seedGitLabStandIn(standIn, seedDir);
  console.log(`GitLab stand-in at ${standIn.url}`);
  console.log(`project   ${project.pathWithNamespace} (id ${project.id}): ${standIn.url}/${project.pathWithNamespace}.git`);
  console.log(`root      token ${root.token}   (owner)`);
  console.log(`alice     token ${alice.token}   (developer)`);
  console.log(`dagwright token ${bot.token}   (developer; the bot: GITLAB_URL=${standIn.url} GITLAB_TOKEN=${bot.token})`);
  console.log('Add a webhook with POST /api/v4/projects/:id/hooks (as root). Ctrl-C stops the stand-in.');
  const stop = () => void standIn.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The bot, or a plain exit when its store cannot be opened (PostgreSQL away, a schema from a newer Dagwright). */
async function openBot(command: string, config: ServerConfig): Promise<Dagwright> {
  try {
    return await createDagwright({ config });
  } catch (err) {
    const where = config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `SQLite in ${config.dataDir}`;
    fail(`dagwright ${command}: could not open the store (${where}): ${(err as Error).message}`);
  }
}

async function waitForJob(bot: Dagwright, jobId: number) {
  for (;;) {
    const job = (await bot.store.job(jobId))!;
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      port: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      pack: { type: 'string' },
      airflow: { type: 'string' },
    },
  });
  const [written, ...rest] = positionals;
  // `sandbox` was the stand-in's name before; scripts that use it keep working.
  const command = written === 'sandbox' ? 'gitlab-standin' : written;
  if (values.version) return void console.log(pkg.version);
  if (!command) {
    console.log(usage.main);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (command === 'help') return void console.log(usage[rest[0] as keyof typeof usage] ?? usage.main);
  if (!(command in usage) || command === 'main') fail(`dagwright: unknown command "${command}".\n\n${usage.main}`);
  if (values.help) return void console.log(usage[command as keyof typeof usage]);
  const allowed: Record<string, string[]> = { serve: [], replay: [], mcp: [], doctor: [], hook: [], 'gitlab-standin': ['port', 'seed'], render: ['out', 'pack', 'airflow'], validate: ['airflow'], demo: ['out'] };
  const unknown = Object.keys(values).filter((k) => !['help', 'version', ...(allowed[command] ?? [])].includes(k));
  if (unknown.length) fail(`dagwright ${command}: unknown option --${unknown[0]}. See: dagwright ${command} --help`);
  if (command === 'serve') return serveCommand();
  if (command === 'doctor') {
    const { doctorCommand } = await import('./cli/doctor.ts');
    process.exitCode = await doctorCommand(readConfig('doctor', { webhookSecret: false }), { log: (line) => console.log(line) });
    return;
  }
  if (command === 'hook') {
    const { hookInstallCommand } = await import('./cli/hook.ts');
    process.exitCode = await hookInstallCommand(rest, readConfig('hook', { webhookSecret: true }), { log: (line) => console.log(line), error: (line) => console.error(line) });
    return;
  }
  if (command === 'mcp') {
    const { serveMcpOnStdio } = await import('./mcp/stdio.ts');
    return serveMcpOnStdio();
  }
  if (command === 'replay') return replayCommand(rest[0]);
  if (command === 'gitlab-standin') return standInCommand(values.port as string | undefined, values.seed as string | undefined);
  const out = { log: (line: string) => console.log(line), error: (line: string) => console.error(line) };
  if (command === 'render') {
    const { renderCommand } = await import('./cli/render.ts');
    process.exitCode = await renderCommand(rest[0], { out: values.out as string | undefined, pack: values.pack as string | undefined, airflow: values.airflow as string | undefined }, out);
  }
  if (command === 'demo') {
    const { runDemo } = await import('./cli/demo.ts');
    const dir = values.out as string | undefined;
    if (dir) fs.mkdirSync(dir, { recursive: true });
    await runDemo({ workDir: dir ? fs.mkdtempSync(path.join(path.resolve(dir), 'dagwright-demo-')) : undefined });
  }
  if (command === 'validate') {
    const { validateCommand } = await import('./cli/render.ts');
    process.exitCode = await validateCommand(rest, { airflow: values.airflow as string | undefined }, out);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`dagwright: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
