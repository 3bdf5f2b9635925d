// `dagwright hook install` and `dagwright doctor` against the GitLab stand-in.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../src/cli/local-airflow.ts';
import { runChecks } from '../src/cli/doctor.ts';
import { storeChecks } from '../src/cli/doctor-store.ts';
import { PgStore } from '../src/store/pg-store.ts';
import { PG_MIGRATIONS } from '../src/store/pg-migrate.ts';
import pg from 'pg';
import { freshPostgres, postgresUnavailable } from './support/test-database.ts';
import { hookInstallCommand, webhookUrl } from '../src/cli/hook.ts';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Project, User } from '../src/gitlab-standin/model.ts';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.ts';
import { hookSecretFor, repoRoot, testConfig, WEBHOOK_SECRET } from './support/harness.ts';

const run = promisify(execFile);
const pgSkip = await postgresUnavailable();

describe('dagwright hook install and doctor', () => {
  let standIn: GitLabStandIn;
  let root: User, bot: User, readOnly: User;
  let project: Project;
  let model: OpenAIServer;
  before(async () => {
    standIn = await startGitLabStandIn();
    root = standIn.createUser('root', { admin: true });
    bot = standIn.createUser('dagwright', { bot: true });
    readOnly = standIn.createUser('reader-bot', { bot: true, tokenScopes: ['read_api'] });
    project = await standIn.createProject('data/warehouse', { owner: root, members: [[bot, AccessLevels.developer]] });
    await standIn.createProject('data/other', { owner: root, members: [[bot, AccessLevels.reporter]] });
    model = await startOpenAIServer({ respond: () => ({ content: 'ready' }) });
  });
  after(async () => {
    await standIn.close();
    await model.close();
  });

  const lines = () => {
    const out: string[] = [];
    return { out, sink: { log: (l: string) => void out.push(l), error: (l: string) => void out.push(`error: ${l}`) } };
  };

  test('a bare base URL gets the webhook path', () => {
    assert.equal(webhookUrl('https://bot.example.com'), 'https://bot.example.com/webhooks/gitlab');
    assert.equal(webhookUrl('https://bot.example.com/custom/hook'), 'https://bot.example.com/custom/hook');
    assert.equal(webhookUrl('ftp://x'), undefined);
  });

  test("install: the hook with the bot's events and the project's own secret (derived from WEBHOOK_SECRET, never printed); again: the same hook, set right", async () => {
    const { out, sink } = lines();
    const config = { gitlabUrl: standIn.url, gitlabToken: root.token, webhookSecrets: [WEBHOOK_SECRET] };
    assert.equal(await hookInstallCommand(['install', 'data/warehouse', 'http://127.0.0.1:9/'], config, sink), 0);
    const hook = project.hooks.at(-1)!;
    assert.equal(hook.url, 'http://127.0.0.1:9/webhooks/gitlab');
    assert.equal(hook.token, hookSecretFor(project.id));
    assert.notEqual(hook.token, WEBHOOK_SECRET);
    assert.equal(out.some((l) => l.includes(hook.token!) || l.includes(WEBHOOK_SECRET)), false, 'no secret is printed');
    for (const event of ['issues_events', 'confidential_issues_events', 'note_events', 'confidential_note_events', 'merge_requests_events', 'pipeline_events', 'emoji_events'] as const) assert.equal(hook.events[event], true, event);
    assert.equal(hook.events.push_events, false);
    // A hook set up by hand with the shared secret and fewer events is set right, not duplicated.
    hook.token = WEBHOOK_SECRET;
    hook.events.note_events = false;
    const again = lines();
    assert.equal(await hookInstallCommand(['install', 'data/warehouse', 'http://127.0.0.1:9/webhooks/gitlab'], config, again.sink), 0);
    assert.match(again.out.join('\n'), /already sent its webhooks .* now holds the project's own secret/);
    assert.equal(project.hooks.filter((h) => h.url === hook.url).length, 1);
    assert.equal(hook.token, hookSecretFor(project.id));
    assert.equal(hook.events.note_events, true);
  });

  test('secret: the project\'s hook secret, for a hook set up by hand; without WEBHOOK_SECRET, refused', async () => {
    const { out, sink } = lines();
    assert.equal(await hookInstallCommand(['secret', 'data/warehouse'], { gitlabUrl: standIn.url, gitlabToken: root.token, webhookSecrets: [WEBHOOK_SECRET] }, sink), 0);
    assert.deepEqual(out, [hookSecretFor(project.id)]);
    const none = lines();
    assert.equal(await hookInstallCommand(['secret', 'data/warehouse'], { gitlabUrl: standIn.url, gitlabToken: root.token, webhookSecrets: [] }, none.sink), 2);
    assert.match(none.out.join('\n'), /WEBHOOK_SECRET is needed/);
  });

  test('install without the Maintainer role, or for an unknown project: the reason, and nothing registered', async () => {
    const before = project.hooks.length;
    const { out, sink } = lines();
    assert.equal(await hookInstallCommand(['install', 'data/warehouse', 'http://127.0.0.1:9/'], { gitlabUrl: standIn.url, gitlabToken: bot.token, webhookSecrets: [WEBHOOK_SECRET] }, sink), 1);
    assert.match(out.join('\n'), /webhooks need the Maintainer role/);
    const missing = lines();
    assert.equal(await hookInstallCommand(['install', 'data/nothing', 'http://127.0.0.1:9/'], { gitlabUrl: standIn.url, gitlabToken: root.token, webhookSecrets: [WEBHOOK_SECRET] }, missing.sink), 1);
    assert.match(missing.out.join('\n'), /no project data\/nothing/);
    assert.equal(project.hooks.length, before);
  });

  test('doctor: each check a line; what is wrong says what to do', async () => {
    const config = testConfig({ url: standIn.url, token: bot.token }, {
      allowedProjects: ['data/warehouse', 'data/other'],
      llm: { baseUrl: model.url, apiKey: undefined, model: 'local', tokensPerJob: 1000, tokensPerIssue: 1000, toolSteps: 1 },
    });
    const checks = await runChecks(config, { AIRFLOW_CONN_DOWN: 'postgresql://u:Pw-Doctor-1@127.0.0.1:1/db' });
    const text = checks.map((c) => `${c.status}: ${c.text}`).join('\n');
    assert.match(text, /^ok: GitLab at .* knows the token: the bot is @dagwright$/m);
    assert.match(text, /^ok: the token has the api scope/m);
    assert.match(text, /^ok: data\/warehouse: @dagwright is Developer$/m);
    assert.match(text, /^ok: data\/warehouse: git reaches http:\/\/127\.0\.0\.1:\d+\/data\/warehouse\.git \(\d+ branches\)$/m);
    assert.match(text, /^skipped: proxy: none \(HTTPS_PROXY, HTTP_PROXY and NO_PROXY are not set\)/m);
    assert.match(text, /^ok: git: remotes are http:\/\/127\.0\.0\.1:\d+\/<group>\/<project>\.git \(from GITLAB_URL\); the token is sent only to http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(text, /^problem: data\/other: @dagwright is only Reporter; it needs Developer/m);
    assert.match(text, /^skipped: data\/warehouse: webhooks cannot be read with a Developer token\. To check: a Maintainer opens Settings → Webhooks, .* uses Test → Issues events \(the bot answers 200\); or runs `dagwright hook install data\/warehouse URL` with a Maintainer's token$/m);
    assert.match(text, /^ok: model local at .* answers$/m);
    assert.match(text, /^problem: source down: cannot connect to down: nothing answers at 127\.0\.0\.1:1/m);
    assert.equal(text.includes('Pw-Doctor-1'), false);
    const scoped = await runChecks(testConfig({ url: standIn.url, token: readOnly.token }), {});
    assert.match(scoped.map((c) => `${c.status}: ${c.text}`).join('\n'), /^problem: the token's scopes are read_api: the bot needs api/m);
  });

  test('doctor: the store — SQLite, a PostgreSQL not migrated yet, migrated, from a newer Dagwright, unreachable (its password in no line)', { skip: pgSkip }, async () => {
    const storeLine = async (databaseUrl: string | undefined) =>
      (await storeChecks(testConfig({ url: standIn.url, token: bot.token }, { databaseUrl }))).map((c) => `${c.status}: ${c.text}`).join('\n');
    assert.match(await storeLine(undefined), /^ok: store: SQLite in \S+ \(one process; DATABASE_URL puts it in PostgreSQL for several replicas\)$/);
    const db = await freshPostgres('doctor');
    try {
      assert.match(await storeLine(db.url), /^ok: store: PostgreSQL at 127\.0\.0\.1:5432 \(server \d+\.\d+.*\), test\.dwt_doctor_\w+: not migrated yet; serve migrates it on start$/);
      const store = await PgStore.open({ connectionString: db.url });
      await store.close();
      assert.match(await storeLine(db.url), new RegExp(`^ok: store: .*: schema ${PG_MIGRATIONS.length}$`));
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query('INSERT INTO dagwright_schema (version) VALUES ($1)', [PG_MIGRATIONS.length + 1]);
      await admin.end();
      assert.match(await storeLine(db.url), new RegExp(`^problem: store: .*: schema ${PG_MIGRATIONS.length + 1}, written by a newer Dagwright \\(this one knows ${PG_MIGRATIONS.length}\\); upgrade this one$`));
    } finally {
      await db.drop();
    }
    const away = await storeLine(`postgres://dagwright:Pg-Doctor-Secret@127.0.0.1:${await freePort()}/dagwright`);
    assert.match(away, /^problem: store: PostgreSQL at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    assert.equal(away.includes('Pg-Doctor-Secret'), false);
  });

  test('the command line: doctor exits 1 when something is wrong, and needs no webhook secret', async () => {
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', GITLAB_URL: standIn.url, GITLAB_TOKEN: 'glpat-not-a-token-of-anyone' };
    const result = await run(process.execPath, [path.join(repoRoot, 'src/main.ts'), 'doctor'], { env }).catch((err: { code: number; stdout: string }) => err);
    assert.equal((result as { code?: number }).code, 1);
    assert.match((result as { stdout: string }).stdout, /✘ GitLab: GitLab refused the token \(GITLAB_TOKEN\)/);

    // GITLAB_URL given as the API's address works; an address where nothing answers is said so.
    const withApi = await run(process.execPath, [path.join(repoRoot, 'src/main.ts'), 'doctor'], { env: { ...env, GITLAB_URL: `${standIn.url}/api/v4/`, GITLAB_TOKEN: bot.token } }).catch((err: { stdout: string }) => err);
    assert.match((withApi as { stdout: string }).stdout, /✔ GitLab at http:\/\/127\.0\.0\.1:\d+ knows the token: the bot is @dagwright/);
    const closed = await freePort();
    const away = await run(process.execPath, [path.join(repoRoot, 'src/main.ts'), 'doctor'], { env: { ...env, GITLAB_URL: `http://127.0.0.1:${closed}` } }).catch((err: { stdout: string }) => err);
    assert.match((away as { stdout: string }).stdout, new RegExp(`✘ GitLab: GitLab could not be reached: GET http://127\\.0\\.0\\.1:${closed}/api/v4/user failed: nothing accepts connections at 127\\.0\\.0\\.1:${closed} \\(connection refused\\)`));
  });
});
