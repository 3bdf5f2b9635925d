// /generate and /preview against the sandbox: branch, commit, merge request, status checklist.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { startStack, type Stack } from './support/harness.ts';

const request = [
  'Daily copy of customers from the orders database to the lake.',
  '',
  '```yaml',
  'dag_id: orders_customers_daily',
  'schedule: "0 6 * * *"',
  'start_date: 2026-01-01',
  'source: {type: postgres, conn_id: orders_pg, table: public.customers}',
  'target: {conn_id: lake, table: raw_orders.customers}',
  'load: {strategy: snapshot}',
  '```',
].join('\n');

describe('/generate', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const start = async () => (stack = await startStack({ register: registerHandlers }));
  const status = (s: Stack, iid: number) => s.botComments(iid).find((n) => n.body.includes('dagwright:status'))?.body ?? '';

  test('a complete spec becomes a branch, a commit and a merge request; the status comment is the checklist', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.settle();
    await s.comment(issue, '/generate');
    await s.settle();
    const body = status(s, issue.iid);
    for (const step of ['queued', 'clone', 'render', 'validate', 'commit', 'push', 'merge request']) assert.match(body, new RegExp(`✅ ${step} \\(\\d+\\.\\d s\\)`));
    assert.match(body, /Merge request !1 is open/);
    const mr = s.project.mergeRequests[0]!;
    assert.equal(mr.sourceBranch, 'dagwright/1-orders_customers_daily');
    assert.equal(mr.title, 'Add pipeline orders_customers_daily');
    assert.match(mr.description, /```mermaid\ngraph LR/);
    assert.match(mr.description, /- `dags\/raw\/orders\/orders_customers_daily\.py`/);
    assert.match(mr.description, /✅ Validation/);
    assert.match(mr.description, /Closes #1$/);
    const branch = (await (await fetch(`${s.sandbox.url}/api/v4/projects/${s.project.id}/repository/branches/${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).json()) as { commit: { id: string; message: string; author_name: string } };
    assert.equal(branch.commit.id, mr.sha);
    assert.match(branch.commit.message, /^Add pipeline orders_customers_daily\n\nDagwright-Issue: data\/warehouse#1/);
    assert.equal(branch.commit.author_name, 'dagwright');
    const dag = await fetch(`${s.sandbox.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent('dags/raw/orders/orders_customers_daily.py')}/raw?ref=${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } });
    assert.match(await dag.text(), /dag_id="orders_customers_daily"/);

    // Again: nothing changed, so no commit, and the same merge request.
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /No changes/);
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(s.botComments(issue.iid).filter((n) => n.body.includes('dagwright:status')).length, 1);

    // A change to the spec: one new commit on the same branch, the MR updated.
    await s.comment(issue, '/set schedule="0 7 * * *"');
    await s.settle();
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !1 is updated with [0-9a-f]{8}/);
    assert.match(s.project.mergeRequests[0]!.description, /`0 7 \* \* \*`/);
  });

  test('merged: the issue\'s status comment says so; closed: /generate opens a new merge request; /retry runs it again', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    await s.sandbox.gitlab.editMergeRequest(s.project, s.project.mergeRequests[0]!, s.root, { stateEvent: 'close' });
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !1 was closed without merging/);
    await s.comment(issue, '/retry');
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !2 is open/);
    await s.sandbox.mergeMergeRequest(s.project, 2, s.root);
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !2 is merged/);
    assert.equal(s.botComments(issue.iid).filter((n) => n.body.includes('dagwright:status')).length, 1);
  });

  test('the token is in no comment, no commit, no file of the bot\'s data', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    for (const note of s.project.notes) assert.equal(note.body.includes(s.botUser.token), false);
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of walk(s.bot.dagwright.config.dataDir)) assert.equal(fs.readFileSync(file).includes(s.botUser.token), false, file);
  });

  test('below the required role: a polite refusal and no branch', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate', s.gail);
    await s.settle();
    assert.match(s.botComments(issue).at(-1)!.body, /needs at least the Developer role/);
    assert.equal(s.project.mergeRequests.length, 0);
  });

  test('an incomplete spec: the list of what is missing, and nothing else', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request.replace('load: {strategy: snapshot}\n', ''));
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(s.botComments(issue).at(-1)!.body, /nothing was generated\. Still needed: `load\.strategy`/);
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(status(s, issue.iid), '');
  });

  test('/preview replies with the files in <details> blocks and pushes nothing', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/preview');
    await s.settle();
    const preview = s.botComments(issue).at(-1)!.body;
    assert.match(preview, /Preview of `orders_customers_daily`: 5 files/);
    assert.match(preview, /<details><summary><code>dags\/raw\/orders\/orders_customers_daily\.py<\/code><\/summary>\n\n```python\n"""Daily copy/);
    assert.match(preview, /✅ Validation/);
    assert.equal(s.project.mergeRequests.length, 0);
  });
});
