// The card filled from the source, without a model: columns, key, size and watermark candidates of the
// table a request names, on a connection the bot was given; an unreachable source said in plain words.
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, afterEach, before, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { startStack, tempDir, type Stack } from './support/harness.ts';

const requestFor = (connId: string, strategy = 'incremental') =>
  ['Orders into the lake.', '', '```yaml', 'dag_id: shop_orders_hourly', 'schedule: "@hourly"', `source: {type: sqlite, conn_id: ${connId}, table: orders}`, 'target: {conn_id: lake, table: raw_shop.orders}', `load: {strategy: ${strategy}}`, '```'].join('\n');

describe('the card, filled from the source', () => {
  let stack: Stack | undefined;
  const file = path.join(tempDir(), 'shop.db');
  const saved = { ...process.env };
  before(() => {
    const db = new Database(file);
    db.exec(`CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_email TEXT NOT NULL, amount NUMERIC NOT NULL, updated_at TIMESTAMP NOT NULL);
             CREATE INDEX orders_updated_at ON orders (updated_at);`);
    const insert = db.prepare('INSERT INTO orders (customer_email, amount, updated_at) VALUES (?, ?, ?)');
    for (let i = 1; i <= 12; i++) insert.run(`c${i}@example.com`, i * 10, `2026-05-${String(i).padStart(2, '0')} 08:00:00`);
    db.close();
    process.env.AIRFLOW_CONN_SHOP_LITE = `sqlite:///${file}`;
    process.env.AIRFLOW_CONN_SHOP_DOWN = 'postgresql://etl:Down-Secret-9@127.0.0.1:1/shop';
    process.env.AIRFLOW_CONN_LAKE = 'mariadb://loader:Lake-Secret-7@127.0.0.1:3306/lake';
  });
  after(() => {
    for (const key of ['AIRFLOW_CONN_SHOP_LITE', 'AIRFLOW_CONN_SHOP_DOWN', 'AIRFLOW_CONN_LAKE']) if (saved[key] === undefined) delete process.env[key];
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const card = (s: Stack, iid: number) => s.botComments(iid).find((n) => n.body.includes('dagwright:card'))?.body ?? '';

  test('columns, key, rows and watermark candidates; the columns and the watermark fill the spec as "introspected"', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    const issue = s.openIssue('Shop orders', requestFor('shop_lite'));
    await s.settle();
    const body = card(s, issue.iid);
    assert.match(body, /\*\*Source `shop_lite` `orders`\*\*/);
    assert.match(body, /- about 12 rows/);
    assert.match(body, /- primary key: `order_id`/);
    assert.match(body, /watermark candidates \(indexed\): `updated_at` \(2026-05-01 08:00:00 … 2026-05-12 08:00:00\), `order_id` \(1 … 12\)/);
    assert.match(body, /`load\.watermark` \| `updated_at` \| introspected/);
    assert.match(body, /`source\.columns` \| .*order_id.* \| introspected/);
    // The target connection the bot was given says the target's engine (and its password stays out).
    assert.match(body, /`target\.type` \| `mariadb` \| introspected/);
    assert.equal(body.includes('Lake-Secret-7'), false);
    // The spec is complete with what was found: it generates.
    await s.comment(issue, '/generate');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1);
  });

  test('columns that look like personal data: the card warns until they are left out or kept; left out, they are in no generated file', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    const issue = s.openIssue('Shop orders', requestFor('shop_lite'));
    await s.settle();
    const warning = /`customer_email` looks like personal data or secrets and will be copied to `raw_shop\.orders`.*`\/set source\.exclude_columns=\[customer_email\]`.*`\/set source\.keep_sensitive=\[customer_email\]`/;
    assert.match(card(s, issue.iid), warning);

    await s.comment(issue, '/set source.keep_sensitive=[customer_emial]');
    await s.settle();
    assert.match(card(s, issue.iid), /- `source\.keep_sensitive`: names `customer_emial`, which is not a column of the source; did you mean `customer_email`\?/);
    assert.match(card(s, issue.iid), warning, 'a misspelt column keeps nothing');
    await s.comment(issue, '/set source.keep_sensitive=[customer_email]');
    await s.settle();
    assert.doesNotMatch(card(s, issue.iid), warning, 'kept on purpose: no warning');

    await s.comment(issue, '/unset source.keep_sensitive\n/set source.exclude_columns=[customer_email]');
    await s.settle();
    const body = card(s, issue.iid);
    assert.doesNotMatch(body, warning, 'left out: no warning');
    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests[0];
    assert.ok(mr, 'the merge request is opened');
    const folder = /`(dags\/[^`]+)\/shop_orders_hourly\.py`/.exec(body)![1]!;
    const read = async (file: string) =>
      (await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent(file)}/raw?ref=${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).text();
    const ddl = await read(`${folder}/sql/shop_orders_hourly/ddl.sql`);
    assert.match(ddl, /order_id/);
    assert.doesNotMatch(ddl, /customer_email/);
    assert.doesNotMatch(await read(`${folder}/sql/shop_orders_hourly/extract.sql`), /customer_email/);
    assert.match(await read(`${folder}/shop_orders_hourly.md`), /Left out \| `customer_email`/);
  });

  test('an unreachable source is said in plain words, without its password; an unknown one says it was not given', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    const down = s.openIssue('Down', requestFor('shop_down'));
    const unknown = s.openIssue('Unknown', requestFor('shop_elsewhere'));
    await s.settle();
    const downCard = card(s, down.iid);
    assert.match(downCard, /could not be inspected: cannot connect to shop_down: nothing answers at 127\.0\.0\.1:1 \(connection refused\)/);
    assert.equal(downCard.includes('Down-Secret-9'), false);
    assert.match(card(s, unknown.iid), /not inspected: the bot was given no AIRFLOW_CONN_SHOP_ELSEWHERE/);
    assert.match(card(s, unknown.iid), /`load\.watermark`/, 'an incremental load still needs its watermark');
  });
});
