// `dagwright mcp` spawned as an MCP server on stdio, and every tool called through the SDK's client.
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { repoRoot, tempDir } from './support/harness.ts';

const spec = [
  'dag_id: shop_customers_daily',
  'description: Daily copy of the shop customers',
  'schedule: "0 6 * * *"',
  'start_date: 2026-01-01',
  'source: {type: sqlite, conn_id: shop_lite, table: customers}',
  'target: {conn_id: lake, table: raw_shop.customers}',
  'load: {strategy: snapshot}',
].join('\n');

describe('dagwright mcp (stdio)', () => {
  let client: Client;
  const file = path.join(tempDir(), 'shop.db');
  before(async () => {
    const db = new Database(file);
    db.exec(`CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT NOT NULL, updated_at TIMESTAMP NOT NULL);
             CREATE INDEX customers_updated_at ON customers (updated_at);
             INSERT INTO customers (email, updated_at) VALUES ('a@example.com', '2026-01-01'), ('b@example.com', '2026-01-02');
             CREATE TABLE events (name TEXT, happened TEXT);`);
    db.close();
    const env: Record<string, string> = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', AIRFLOW_CONN_SHOP_LITE: `sqlite:///${file}` };
    client = new Client({ name: 'dagwright-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(repoRoot, 'src/main.ts'), 'mcp'], env, stderr: 'pipe' }));
  });
  after(() => client.close());

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as { content: Array<{ type: string; text: string }>; isError?: boolean };
    return { text: result.content.map((c) => c.text).join(''), isError: result.isError === true };
  };

  test('it offers every tool, each with a description and an input schema', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['describe_table', 'estimate_rows', 'list_tables', 'propose_target_ddl', 'render_pipeline', 'sample_rows', 'test_connection', 'validate_pipeline', 'watermark_candidates']);
    for (const tool of tools) {
      assert.ok((tool.description ?? '').length > 30, `${tool.name} has a description a model can act on`);
      assert.equal(tool.inputSchema.type, 'object');
    }
    assert.ok(tools.find((t) => t.name === 'sample_rows')!.annotations?.readOnlyHint);
  });

  test('every tool answers', async () => {
    assert.match((await call('test_connection', { conn_id: 'shop_lite' })).text, /"version": "SQLite 3\./);
    assert.match((await call('list_tables', { conn_id: 'shop_lite' })).text, /"name": "customers"/);
    assert.match((await call('describe_table', { conn_id: 'shop_lite', table: 'customers' })).text, /"primaryKey": \[\s*"customer_id"\s*\]/);
    const sample = JSON.parse((await call('sample_rows', { conn_id: 'shop_lite', table: 'customers', limit: 5 })).text);
    assert.deepEqual(sample.rows.map((r: { email: string }) => r.email), ['****', '****']);
    assert.equal(JSON.parse((await call('estimate_rows', { conn_id: 'shop_lite', table: 'customers' })).text).rows, 2);
    assert.match((await call('watermark_candidates', { conn_id: 'shop_lite', table: 'customers' })).text, /"column": "updated_at"/);
    assert.match((await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'customers', target_table: 'raw_shop.customers' })).text, /CREATE TABLE IF NOT EXISTS raw_shop\.customers/);
    const rendered = JSON.parse((await call('render_pipeline', { spec })).text) as { files: Array<{ path: string; content: string }>; validation: string };
    assert.ok(rendered.files.some((f) => f.path === 'dags/raw/shop_lite/shop_customers_daily.py'), rendered.files.map((f) => f.path).join(', '));
    assert.match(rendered.validation, /no findings|0 findings|passed/i);
    const validated = JSON.parse((await call('validate_pipeline', { files: [{ path: 'dags/x.py', content: 'import os\n' }] })).text) as { findings: Array<{ rule: string }> };
    assert.ok(validated.findings.some((f) => f.rule === 'F401'));
  });

  test('propose_target_ddl: a watermark found or asked for, keys for scd2, a placeholder location said to be one', async () => {
    const incremental = await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'customers', target_table: 'raw_shop.customers', strategy: 'incremental' });
    assert.equal(incremental.isError, false, incremental.text);
    assert.match(incremental.text, /CREATE TABLE IF NOT EXISTS raw_shop\.customers/);
    const noWatermark = await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'events', target_table: 'raw_shop.events', strategy: 'incremental' });
    assert.equal(noWatermark.isError, true);
    assert.match(noWatermark.text, /needs a watermark, and events has no indexed timestamp or serial column: pass `watermark`/);
    assert.equal((await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'events', target_table: 'raw_shop.events', strategy: 'incremental', watermark: 'happened' })).isError, false);
    const scd2 = await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'events', target_table: 'raw_shop.events', strategy: 'scd2' });
    assert.equal(scd2.isError, true);
    assert.match(scd2.text, /scd2 keeps the history of each row by its key, and events has no primary key: pass `keys`/);
    assert.equal((await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'events', target_table: 'raw_shop.events', strategy: 'scd2', keys: ['name'] })).isError, false);
    const spark = (await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'customers', target_table: 'raw_shop.customers', pack: 'spark-docker' })).text;
    assert.match(spark, /^-- LOCATION below is a placeholder: pass `location`/);
    assert.match(spark, /LOCATION 's3a:\/\/your-lake\/raw_shop\/customers'/);
    const placed = (await call('propose_target_ddl', { conn_id: 'shop_lite', table: 'customers', target_table: 'raw_shop.customers', pack: 'spark-docker', location: 's3a://lake/raw/customers' })).text;
    assert.doesNotMatch(placed, /placeholder/);
    assert.match(placed, /LOCATION 's3a:\/\/lake\/raw\/customers'/);
  });

  test('bad input is an error result that says what is wrong, and the server goes on', async () => {
    const missing = await call('describe_table', { conn_id: 'nowhere', table: 'x' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /was given no connection nowhere \(AIRFLOW_CONN_NOWHERE is not set\)/);
    const badSpec = await call('render_pipeline', { spec: 'dag_id: x' });
    assert.equal(badSpec.isError, true);
    assert.match(badSpec.text, /not complete and valid/);
    const badArgs = await call('sample_rows', { conn_id: 'shop_lite', table: 'customers', limit: 500 });
    assert.equal(badArgs.isError, true);
    assert.match((await call('test_connection', { conn_id: 'shop_lite' })).text, /SQLite/);
  });
});
