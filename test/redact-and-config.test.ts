import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { parseRepoConfig, defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { prepareComment } from '../src/gitlab/comments.ts';
import { redact, redactDeep, registerSecret } from '../src/redact.ts';
import { createLogger } from '../src/log.ts';
import { Writable } from 'node:stream';

describe('redaction', () => {
  const cases: Array<[string, string]> = [
    ['postgresql://etl:s3cr3t@db.internal:5432/orders', 'postgresql://etl:****@db.internal:5432/orders'],
    ['mysql://root:p%40ss@10.0.0.5/shop?ssl=true', 'mysql://root:****@10.0.0.5/shop?ssl=true'],
    ['host=db password=hunter2 user=etl', 'host=db password=**** user=etl'],
    ['PWD: "correct horse"', 'PWD: ****'],
    ['token glpat-AbCdEfGhIjKlMnOpQrSt12 leaked', 'token glpat-**** leaked'],
    ['key sk-proj-abcdefghijklmnopqrstuvwxyz0123', 'key sk-**** '.trimEnd()],
    ['Authorization: Bearer abc.def.ghi-jkl', 'Authorization: Bearer ****'],
    ['https://gitlab.example.com/group/project', 'https://gitlab.example.com/group/project'],
    ['tokens: 1200 input', 'tokens: 1200 input'],
  ];
  for (const [input, expected] of cases) {
    test(`masks ${JSON.stringify(input)}`, () => assert.equal(redact(input), expected));
  }

  test('a registered secret is masked wherever it appears, also deep in objects', () => {
    registerSecret('a-very-specific-value-42');
    assert.deepEqual(redactDeep({ list: ['x a-very-specific-value-42 y'], n: 1 }), { list: ['x **** y'], n: 1 });
  });

  test('log lines are redacted, messages and fields and errors alike', async () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _e, cb) => ((out += chunk.toString()), cb()) });
    const log = createLogger('info', sink);
    log.info({ uri: 'postgres://u:pw@h/db' }, 'connecting with password=hunter2');
    log.error({ err: new Error('login failed for postgres://u:pw@h/db') }, 'failed');
    await new Promise((r) => setImmediate(r));
    assert.doesNotMatch(out, /hunter2|:pw@/);
    assert.match(out, /password=\*\*\*\*/);
    assert.match(out, /login failed for postgres:\/\/u:\*\*\*\*@h\/db/);
  });

  test('a comment never starts a line with a slash outside code, and never carries a secret', () => {
    const body = prepareComment('Run:\n/close\n  /label ~x\n```\n/keep in code\n```\npassword=abc');
    assert.equal(body, 'Run:\n\\/close\n  \\/label ~x\n```\n/keep in code\n```\npassword=****');
  });
});

describe('server configuration', () => {
  const base = { GITLAB_URL: 'https://gitlab.example.com/', GITLAB_TOKEN: 'glpat-x', WEBHOOK_SECRET: 's' };

  test('defaults', () => {
    const config = loadConfig(base);
    assert.equal(config.gitlabUrl, 'https://gitlab.example.com');
    assert.equal(config.port, 3000);
    assert.equal(config.workerConcurrency, 4);
    assert.deepEqual(config.webhookSecrets, ['s']);
    assert.deepEqual(config.allowedProjects, []);
  });

  test('every problem is listed at once, each naming its variable', () => {
    assert.throws(
      () => loadConfig({ GITLAB_URL: 'gitlab', WORKER_CONCURRENCY: '0', LOG_LEVEL: 'loud' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        for (const name of ['GITLAB_URL', 'GITLAB_TOKEN', 'WEBHOOK_SECRET', 'WORKER_CONCURRENCY', 'LOG_LEVEL']) {
          assert.match(text, new RegExp(`^${name} `, 'm'));
        }
        return true;
      },
    );
  });

  test('rotation secret and project allowlist', () => {
    const config = loadConfig({ ...base, WEBHOOK_SECRET_PREVIOUS: 'old', ALLOWED_PROJECTS: '12, data/warehouse ,' });
    assert.deepEqual(config.webhookSecrets, ['s', 'old']);
    assert.deepEqual(config.allowedProjects, ['12', 'data/warehouse']);
  });

  test('the model: both of LLM_BASE_URL and LLM_MODEL or neither; budgets; a bad URL named', () => {
    assert.equal(loadConfig(base).llm, undefined);
    const config = loadConfig({ ...base, LLM_BASE_URL: 'http://localhost:11434/v1/', LLM_MODEL: 'qwen2.5-coder', LLM_TOKENS_PER_JOB: '5000' });
    assert.deepEqual(config.llm, { baseUrl: 'http://localhost:11434/v1', apiKey: undefined, model: 'qwen2.5-coder', tokensPerJob: 5000, tokensPerIssue: 200_000, toolSteps: 5 });
    assert.throws(() => loadConfig({ ...base, LLM_BASE_URL: 'http://localhost:11434/v1' }), /LLM_MODEL is missing/);
    assert.throws(() => loadConfig({ ...base, LLM_MODEL: 'gpt-4.1-mini' }), /LLM_BASE_URL is missing/);
    assert.throws(() => loadConfig({ ...base, LLM_BASE_URL: 'ftp://x', LLM_MODEL: 'm' }), (err: unknown) => err instanceof ConfigError && /^LLM_BASE_URL must be the http\(s\) URL/m.test(err.problems.join('\n')));
  });

  test('Airflow: a URL with a user and password (AIRFLOW_USER too) or a token; every gap named by its variable; AIRFLOW_WAIT as a duration', () => {
    assert.equal(loadConfig(base).airflow, undefined);
    const config = loadConfig({ ...base, AIRFLOW_URL: 'https://airflow.example.com/', AIRFLOW_USERNAME: 'bot', AIRFLOW_PASSWORD: 'pw' });
    assert.deepEqual(config.airflow, { url: 'https://airflow.example.com', uiUrl: 'https://airflow.example.com', auth: { kind: 'password', username: 'bot', password: 'pw' }, waitMs: 30 * 60_000 });
    assert.deepEqual(loadConfig({ ...base, AIRFLOW_URL: 'http://af:8080', AIRFLOW_USER: 'old-name', AIRFLOW_PASSWORD: 'pw', AIRFLOW_UI_URL: 'https://af.example.com', AIRFLOW_WAIT: '10m' }).airflow, {
      url: 'http://af:8080',
      uiUrl: 'https://af.example.com',
      auth: { kind: 'password', username: 'old-name', password: 'pw' },
      waitMs: 600_000,
    });
    assert.deepEqual(loadConfig({ ...base, AIRFLOW_URL: 'http://af:8080', AIRFLOW_TOKEN: 'tok' }).airflow?.auth, { kind: 'token', token: 'tok' });
    const refused = (env: Record<string, string>, problem: RegExp) =>
      assert.throws(() => loadConfig({ ...base, ...env }), (err: unknown) => err instanceof ConfigError && problem.test(err.problems.join('\n')), JSON.stringify(env));
    refused({ AIRFLOW_URL: 'http://af:8080' }, /^AIRFLOW_USERNAME and AIRFLOW_PASSWORD are missing/m);
    refused({ AIRFLOW_URL: 'http://af:8080', AIRFLOW_USERNAME: 'bot' }, /^AIRFLOW_PASSWORD is missing/m);
    refused({ AIRFLOW_URL: 'http://af:8080', AIRFLOW_PASSWORD: 'pw' }, /^AIRFLOW_USERNAME is missing/m);
    refused({ AIRFLOW_USERNAME: 'bot', AIRFLOW_PASSWORD: 'pw' }, /^AIRFLOW_URL is missing/m);
    refused({ AIRFLOW_URL: 'airflow:8080', AIRFLOW_TOKEN: 't' }, /^AIRFLOW_URL must be the http\(s\) base URL/m);
    refused({ AIRFLOW_URL: 'http://af:8080', AIRFLOW_TOKEN: 't', AIRFLOW_WAIT: '30 minutes' }, /^AIRFLOW_WAIT must be a duration from 1s to 7d/m);
    refused({ AIRFLOW_URL: 'http://af:8080', AIRFLOW_TOKEN: 't', AIRFLOW_WAIT: '0s' }, /^AIRFLOW_WAIT must be a duration/m);
  });

  test('MCP: a short token and an unreadable or invalid MCP_SERVERS file stop the start, naming the problem', () => {
    assert.throws(() => loadConfig({ ...base, MCP_TOKEN: 'short' }), (err: unknown) => err instanceof ConfigError && /^MCP_TOKEN must be at least 16 characters/m.test(err.problems.join('\n')));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-config-'));
    const file = path.join(dir, 'servers.json');
    fs.writeFileSync(file, JSON.stringify({ catalog: { command: 'catalog-mcp' } }));
    assert.throws(() => loadConfig({ ...base, MCP_SERVERS: file }), (err: unknown) => err instanceof ConfigError && /catalog\.allow|catalog/.test(err.problems.join('\n')));
    assert.throws(() => loadConfig({ ...base, MCP_SERVERS: path.join(dir, 'missing.json') }), /MCP_SERVERS: cannot read/);
    fs.writeFileSync(file, JSON.stringify({ catalog: { command: 'catalog-mcp', allow: ['search_tables'] } }));
    assert.deepEqual(loadConfig({ ...base, MCP_SERVERS: file }).mcpServers, [{ name: 'catalog', command: 'catalog-mcp', args: [], env: {}, allow: ['search_tables'] }]);
  });
});

describe('repository configuration', () => {
  test('an absent or empty file means the defaults', () => {
    assert.deepEqual(parseRepoConfig(''), { config: defaultRepoConfig, problems: [] });
    assert.equal(defaultRepoConfig.pack, 'airflow-sql');
    assert.equal(defaultRepoConfig.min_access_level, 'developer');
    assert.equal(defaultRepoConfig.branch_prefix, 'dagwright/');
  });

  test('a valid file is read', () => {
    const { config, problems } = parseRepoConfig(
      'pack: spark-docker\nairflow_version: 2\nlabels: [data-pipeline]\nlanguage: ru\ndefaults: {owner: data-platform, retries: 3}\n',
    );
    assert.deepEqual(problems, []);
    assert.equal(config.pack, 'spark-docker');
    assert.equal(config.airflow_version, 2);
    assert.deepEqual(config.labels, ['data-pipeline']);
    assert.equal(config.defaults.owner, 'data-platform');
    assert.equal(config.defaults.retry_delay, '5m');
  });

  test("a layout or dags_root reaching into git's own folder or out of the repository falls back to its default, named", () => {
    for (const [field, value] of [['layout', '.git/hooks'], ['layout', '{layer}/../../x'], ['layout', '{layer}/.hidden'], ['dags_root', '.git'], ['dags_root', 'dags/.git']]) {
      const { config, problems } = parseRepoConfig(`${field}: "${value}"\n`);
      assert.equal(config[field as 'layout' | 'dags_root'], defaultRepoConfig[field as 'layout' | 'dags_root'], `${field}: ${value}`);
      assert.ok(problems.some((p) => p.startsWith(`${field}: `)), `${field}: ${value}: ${problems.join('; ')}`);
    }
    assert.deepEqual(parseRepoConfig('layout: "{layer}/team.data/{system}"\n').problems, []);
  });

  test('bad fields fall back to their defaults and are named; good fields are kept', () => {
    const { config, problems } = parseRepoConfig(
      'airflow_version: 4\ndags_root: ../outside\npack: spark-docker\nlanguge: ru\ndefaults: {retries: many, owner: team-a}\n',
    );
    assert.equal(config.pack, 'spark-docker');
    assert.equal(config.airflow_version, 3);
    assert.equal(config.dags_root, 'dags');
    assert.equal(config.defaults.owner, 'team-a');
    assert.equal(config.defaults.retries, 2);
    const text = problems.join('\n');
    assert.match(text, /^airflow_version: must be 2 or 3$/m);
    assert.match(text, /^dags_root: /m);
    assert.match(text, /^languge: unknown field$/m);
    assert.match(text, /^defaults\.retries: /m);
  });

  test('YAML that does not parse is one problem, and the defaults', () => {
    const { config, problems } = parseRepoConfig('pack: [unclosed\n');
    assert.deepEqual(config, defaultRepoConfig);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /not valid YAML/);
  });
});
