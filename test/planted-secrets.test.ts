// Credentials planted where people paste them — the issue's prose, the parameter table, transform.sql, a
// custom check — in the shapes secret scanners know. After /spec, /preview and /generate (with a model),
// none of them is in any channel: the database's bytes, the bot's comments, the merge request, the
// repository's history, the log, the prompts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { createLogger } from '../src/log.ts';
import { filesUnder, startStack, tempDir, type Stack } from './support/harness.ts';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.ts';

// Built at run time: no credential-shaped literal in the repository.
const unique = () => Math.random().toString(36).slice(2, 10);
const secrets = {
  dbPassword: `Db-${unique()}`,
  pgPassword: `Pg-${unique()}`,
  mysqlPwd: `My-${unique()}`,
  clientSecret: `Cs-${unique()}`,
  apiToken: `At-${unique()}`,
  awsSecret: `wJalrXUtnFEMI/K7MDENG/${unique()}${unique()}Xy`.slice(0, 40),
  jsonSecret: `Js-${unique()}`,
  atPassword: `p@ss-${unique()}`,
  sqlPassword: `Sq-${unique()}`,
  checkPassword: `Ck-${unique()}`,
  tablePassword: `Tb-${unique()}`,
  githubToken: `ghp_${unique()}${unique()}${unique()}${unique()}${unique()}`.slice(0, 40),
};

const prose = [
  'Daily copy of customers.',
  '',
  'Connection details for the record (the team will rotate them):',
  `db_password=${secrets.dbPassword}, PGPASSWORD=${secrets.pgPassword}, MYSQL_PWD=${secrets.mysqlPwd}`,
  `client_secret=${secrets.clientSecret} api_token: ${secrets.apiToken} aws_secret_access_key=${secrets.awsSecret}`,
  `{"SecretAccessKey": "${secrets.jsonSecret}"} and the CI token ${secrets.githubToken}`,
  `postgresql://etl:${secrets.atPassword}@db.internal:5432/orders`,
  '',
  '| Parameter | Value |',
  '|---|---|',
  `| source_password | ${secrets.tablePassword} |`,
  '',
];
const spec = [
  '```yaml',
  'dag_id: orders_customers_daily',
  'schedule: "0 6 * * *"',
  'start_date: 2026-01-01',
  'source: {type: postgres, conn_id: orders_pg, table: public.customers}',
  'target: {conn_id: lake, table: raw_orders.customers}',
  'load: {strategy: snapshot}',
];
/** Prose and a table with credentials, and a spec without any: it is generated. */
const generated = [...prose, ...spec, '```'].join('\n');
/** Credentials inside the spec's own fields: refused, naming each field. */
const refused = [
  'Daily copy of orders.',
  '',
  ...spec.map((line) => line.replace(/customers/g, 'orders')),
  'transform:',
  `  sql: "SELECT * FROM {{ source }} WHERE note <> 'PASSWORD ''${secrets.sqlPassword}'''"`,
  'quality:',
  '  - check: sql',
  '    name: no_leak',
  `    sql: "SELECT count(*) = 0 FROM {{ target }} WHERE note = 'password=${secrets.checkPassword}'"`,
  '```',
].join('\n');

describe('credentials planted in a request reach no channel', () => {
  let stack: Stack;
  let server: OpenAIServer;
  let dataDir: string;
  const logs: string[] = [];

  before(async () => {
    server = await startOpenAIServer({ respond: () => ({ content: JSON.stringify({ set: [], unset: [], question: null }) }), apiKey: 'sk-local-test-endpoint-key' });
    dataDir = tempDir();
    stack = await startStack({
      register: registerHandlers,
      log: createLogger('trace', { write: (line: string) => void logs.push(line) }),
      config: { dataDir, llm: { baseUrl: server.url, apiKey: 'sk-local-test-endpoint-key', model: 'm', tokensPerJob: 100_000, tokensPerIssue: 1_000_000, toolSteps: 2 } },
    });
    const issue = stack.openIssue('Load customers', generated);
    await stack.settle();
    for (const command of ['/spec', '/preview', '/generate']) {
      await stack.comment(issue, command);
      await stack.settle();
    }
    await stack.comment(issue, 'Please also keep the old rows, thanks!');
    const second = stack.openIssue('Load orders', refused);
    await stack.settle();
    await stack.comment(second, '/generate');
    await stack.settle();
  });
  after(async () => {
    await stack.stop();
    await server.close();
  });

  test('the request with credentials in its prose went through: one merge request', () => {
    assert.equal(stack.project.mergeRequests.length, 1, stack.botComments(1).map((n) => n.body).join('\n----\n'));
  });

  test("credentials inside the spec's fields are refused, each field named, and nothing is generated for them", () => {
    const card = stack.botComments(2).find((n) => n.body.includes('dagwright:card'))!.body;
    assert.match(card, /`transform\.sql`: holds a credential/);
    assert.match(card, /`quality` item \d `sql`: holds a credential/);
    assert.equal(stack.project.mergeRequests.length, 1);
  });

  const channels = (): Array<[string, string]> => {
    const s = stack;
    const files = filesUnder(dataDir);
    const databaseBytes = files.filter((f) => !f.includes(`${path.sep}git${path.sep}`)).map((f) => fs.readFileSync(f).toString('latin1')).join('\n');
    return [
      ["the bot's database (its files' bytes, WAL included)", databaseBytes],
      ["the bot's comments", s.project.notes.filter((n) => n.authorId === s.botUser.id).map((n) => n.body).join('\n')],
      ['the merge request', s.project.mergeRequests.map((mr) => `${mr.title}\n${mr.description}`).join('\n')],
      ['the repository (every commit, every file)', execFileSync('git', ['-C', s.project.repoDir, 'log', '--all', '-p', '--format=%B'], { encoding: 'utf8' })],
      ['the log', logs.join('\n')],
      ['the prompts', server.requests.map((r) => JSON.stringify(r)).join('\n')],
    ];
  };

  for (const [name, secret] of Object.entries(secrets)) {
    test(`${name} is in no channel`, () => {
      const leaks = channels().filter(([, text]) => text.includes(secret) || text.includes(secret.replace(/\//g, '\\/')));
      assert.deepEqual(leaks.map(([where]) => where), []);
    });
  }

  test('the model was asked, and the card warns of the credentials written into the issue', () => {
    assert.ok(server.requests.length > 0, 'a prompt was sent');
    const card = stack.botComments(1).find((n) => n.body.includes('dagwright:card'))!.body;
    assert.match(card, /db_password=\*\*\*\*/);
    assert.match(card, /postgresql:\/\/etl:\*\*\*\*@db\.internal:5432\/orders/);
  });
});
