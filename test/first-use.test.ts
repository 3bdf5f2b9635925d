// The conversation as a new user meets it, through the stand-in: every reply right, nothing dropped silently,
// nothing stale.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import type { ServerConfig } from '../src/config.ts';
import { startStack, type Stack } from './support/harness.ts';

const request = [
  'Daily copy of customers.',
  '',
  'dag_id: orders_customers_daily',
  'schedule: "0 6 * * *"',
  'start_date: 2026-01-01',
  'source.type: postgres',
  'source.conn_id: orders_pg',
  'source.table: public.customers',
  'target.conn_id: lake',
  'target.table: raw_orders.customers',
  'load.strategy: snapshot',
].join('\n');

describe('the conversation, as a new user meets it', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const start = async (config?: Partial<ServerConfig>) => (stack = await startStack({ register: registerHandlers, config }));
  /** A bot comment's text, without the marker the bot keeps at its start. */
  const textOf = (body: string) => body.replace(/^<!-- dagwright:[^>]*-->\n/, '');
  const lastBotNote = (s: Stack, where: { issue?: number; mergeRequest?: number }) =>
    s.project.notes
      .filter((n) => n.authorId === s.botUser.id && (where.issue ? n.noteableType === 'Issue' && n.noteableIid === where.issue : n.noteableType === 'MergeRequest' && n.noteableIid === where.mergeRequest))
      .map((n) => textOf(n.body))
      .at(-1);

  test("an issue's command on the merge request says where it works, with a link to the issue", async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    for (const command of ['/generate', '/status', '/preview']) {
      await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, command);
      await s.settle();
      const reply = lastBotNote(s, { mergeRequest: mr.iid })!;
      assert.equal(reply, `\`${command}\` works in the pipeline's issue, not on a merge request: comment it on [#${issue.iid}](${s.standIn.url}/data/warehouse/-/issues/${issue.iid}).`);
    }
    assert.equal(s.project.mergeRequests.length, 1);
  });

  test('/retry with nothing failed says so and opens nothing; after a job failed for good it runs that job again', async () => {
    const s = await start({ jobMaxAttempts: 2 });
    const issue = s.openIssue('Load customers', request);
    await s.settle();
    await s.comment(issue, '/retry');
    await s.settle();
    assert.match(lastBotNote(s, { issue: issue.iid })!, /^Nothing failed here, so there is nothing to retry\. Comment `\/generate`/);
    assert.equal(s.project.mergeRequests.length, 0);

    // GitLab refuses to open merge requests for a while: /generate fails for good.
    const fault = s.standIn.injectFault({ method: 'POST', path: /\/merge_requests$/, effect: { status: 503 } });
    await s.comment(issue, '/generate');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 0);
    s.standIn.faults.remove(fault);

    await s.comment(issue, '/retry');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1, 'the failed /generate ran again');
    const notes = s.botComments(issue).map((n) => textOf(n.body));
    assert.ok(notes.some((n) => /^Running the job that failed again \(it stopped with: /.test(n)), notes.join('\n---\n'));

    // Retried once: a second /retry finds nothing left to run.
    await s.comment(issue, '/retry');
    await s.settle();
    assert.match(lastBotNote(s, { issue: issue.iid })!, /^Nothing failed here/);
    assert.equal(s.project.mergeRequests.length, 1);
  });

  const card = (s: Stack, issue: { iid: number }) => s.botComments(issue.iid).find((n) => n.body.includes('dagwright:card'))!.body;

  test("a table's data_quality rule that is no check is named on the card, not dropped", async () => {
    const s = await start();
    const table = [
      '| Parameter | Value |',
      '|---|---|',
      '| DAG ID | orders_daily |',
      '| source_database | orders_pg |',
      '| source_table | public.orders |',
      '| target_table | raw.orders |',
      '| data_quality | not_null(id), unique(id), amount > 0 |',
    ].join('\n');
    const issue = s.openIssue('Load orders', table);
    await s.settle();
    const body = card(s, issue);
    if (process.env.SHOW_CARD) console.log(body);
    assert.match(body, /\| `quality` \| 2 checks: not_null, unique \| issue \|/);
    assert.match(body, /`amount > 0` is not a check I read, so it was not applied/);
  });

  test('without a model, an answer in words gets the one line on what the bot reads, once per issue', async () => {
    const s = await start();
    const issue = s.openIssue('Load orders', 'dag_id: orders_daily\nsource.table: public.orders');
    await s.settle();
    const before = s.botComments(issue).length;
    await s.comment(issue, 'It should run every morning at six, from the orders database.');
    await s.settle();
    const replies = s.botComments(issue).slice(before).map((n) => textOf(n.body));
    assert.deepEqual(replies, ['I understand prose only when a model is configured. Write fields as `key: value` lines or `/set key=value`; `/help` lists the commands.']);
    await s.comment(issue, 'And the target is the lake, please.');
    await s.settle();
    assert.equal(s.botComments(issue).length, before + 1, 'said once per issue');
  });

  test('/set and /unset pitfalls: an unquoted value, a command without its slash, a field that was not set', async () => {
    const s = await start();
    const issue = s.openIssue('Load orders', 'dag_id: orders_daily\nsource.table: public.orders');
    await s.settle();
    const reply = async (body: string) => {
      await s.comment(issue, body);
      await s.settle();
      return lastBotNote(s, { issue: issue.iid })!;
    };
    const unquoted = await reply('/set schedule=0 6 * * *');
    assert.equal(unquoted, 'Nothing was changed for these:\n- `schedule`: the value has spaces, so quote it: `/set schedule="0 6 * * *"`');
    assert.match(await reply('/help'), /\| `\/set KEY=VALUE…` \| set spec fields: `\/set schedule="0 6 \* \* \*" load\.strategy=incremental`/);
    assert.equal(await reply('set retries=5'), '`set retries=5` is a command only with a slash at the start of the line, so nothing was done: write `/set retries=5`.');
    assert.doesNotMatch(card(s, issue), /\| `retries` \| `5` \|/);
    assert.equal(await reply('/unset layer'), '`layer` was not set: it keeps its default, `raw`.');
    assert.match(await reply('/set layer=stage'), /^Updated `layer`/);
    assert.equal(await reply('/unset layer'), 'Cleared `layer`: it is back to its default, `raw`.');
  });

  test('nothing stale: the card and /status after /generate, after an edit of the issue, after a fix of a bad field', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request.replace('load.strategy: snapshot', 'load.strategy: sometimes').replace('start_date: 2026-01-01\n', ''));
    await s.settle();
    assert.match(card(s, issue), /\*\*Not applied\*\*\n- `load\.strategy`/);
    await s.comment(issue, '/set load.strategy=snapshot');
    await s.settle();
    assert.doesNotMatch(card(s, issue), /Not applied/, 'the issue text\'s problem is gone once the field was given');

    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    const status = s.botComments(issue).find((n) => n.body.includes('dagwright:status'))!.body;
    assert.match(status, /^(<!--[^>]*-->\n)?### ✅ Generated `orders_customers_daily`/);
    const after = card(s, issue);
    assert.match(after, new RegExp(`✅ Merge request \\[!${mr.iid}\\]\\([^)]+\\) holds this spec`));
    assert.doesNotMatch(after, /to open a merge request/);
    assert.doesNotMatch(after, /the day of the first `\/generate`/);
    assert.match(after, new RegExp(`\\| \`start_date\` \\| \`${new Date().toISOString().slice(0, 10)}\` \\|`), 'the start date the generation fixed');
    await s.comment(issue, '/status');
    await s.settle();
    assert.match(lastBotNote(s, { issue: issue.iid })!, /^The spec is complete, and the merge request holds it\.\n\nMerge request !1 is open/);

    s.standIn.editIssue(s.project, issue.iid, s.alice, { description: request.replace('0 6 * * *', '0 7 * * *').replace('start_date: 2026-01-01\n', '') });
    await s.settle();
    assert.match(card(s, issue), new RegExp(`⚠️ The spec has changed since merge request \\[!${mr.iid}\\]`));
    await s.comment(issue, '/status');
    await s.settle();
    assert.match(lastBotNote(s, { issue: issue.iid })!, /^The spec is complete and has changed since the merge request was generated: `\/generate` updates it\./);
  });

  test('errors a person can act on: a cron field, a near-miss field, a credential in /set, items counted from one', async () => {
    const s = await start();
    const issue = s.openIssue('Load orders', 'dag_id: orders_daily\nsource.table: public.orders');
    await s.settle();
    const reply = async (body: string) => {
      await s.comment(issue, body);
      await s.settle();
      return lastBotNote(s, { issue: issue.iid })!;
    };
    assert.match(await reply('/set schedule="0 25 * * *"'), /- `schedule`: the hour `25` is out of range: it goes from 0 to 23 \(a cron is minute hour day-of-month month day-of-week; e\.g\. `0 6 \* \* \*` runs at 06:00 every day\)/);
    assert.match(await reply('/set schedule="1-5-0 * * * *"'), /- `schedule`: the minute `1-5-0` is not a range: write it as low-high, e\.g\. `1-5`/);
    assert.match(await reply('retry: 3'), /- `retry`: is not a spec field; did you mean `retries`\?/);
    assert.match(await reply('```yaml\nquality:\n  - check: not_null\n    columns: [id]\n  - check: nope\n```'), /- `quality` item 2 `check`: /);
    await reply('/set source.conn_id=postgresql://loader:S3cret-pw@db.internal/orders');
    assert.match(card(s, issue), /A credential was written in this issue \(`postgresql:\/\/loader:\*\*\*\*@db\.internal\/orders`\)\. Rotate it\./);
  });

  test("small things: the repo config's own value is shown as such; a found URL comes with the command to make its connection", async () => {
    const s = await start();
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab/dagwright.yml': 'defaults:\n  retries: 2\n' }, message: 'Configure Dagwright' });
    const issue = s.openIssue('Load orders', 'dag_id: orders_daily\nsource.conn_id: orders_pg\nsource.table: public.orders');
    await s.settle();
    assert.match(card(s, issue), /\| `retries` \| `2` \| repo config \|/);
    await s.comment(issue, 'The database is postgresql://loader:S3cret-pw@db.internal/orders if that helps.');
    await s.settle();
    assert.match(card(s, issue), /A credential was written in this issue \(`postgresql:\/\/loader:\*\*\*\*@db\.internal\/orders`\)\. Rotate it\. .* \(`airflow connections add orders_pg --conn-uri 'postgresql:\/\/loader:<password>@db\.internal\/orders'`, with the new password for `<password>`\)\./);
  });

  test('spark-docker without source.columns: the card says the job takes them from the source when it runs', async () => {
    const s = await start();
    const issue = s.openIssue('Orders to the lake', ['dag_id: orders_lake', 'pack: spark-docker', 'source.type: postgres', 'source.conn_id: orders_pg', 'source.table: public.orders', 'target.table: raw.orders', 'target.location: s3a://lake/raw/orders'].join('\n'));
    await s.settle();
    assert.match(card(s, issue), /- No `source\.columns`: the Spark job takes the columns from the source when it runs and creates `raw\.orders` on its first run with Spark's types\./);
  });
});
