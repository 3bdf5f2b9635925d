// The request conversation in issue comments, against the GitLab stand-in.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { startStack, type Stack, hookSecretFor } from './support/harness.ts';

const card = (s: Stack, issue: Parameters<Stack['botComments']>[0]) => s.botComments(issue).find((n) => n.body.includes('dagwright:card'));
const replies = (s: Stack, issue: Parameters<Stack['botComments']>[0]) => s.botComments(issue).filter((n) => !n.body.includes('dagwright:card'));

const partialRequest = [
  'Daily copy of customers from the orders database to the lake.',
  '',
  'dag_id: orders_customers_daily',
  'source.type: postgres',
  'source.conn_id: orders_pg',
  'source.table: public.customers',
].join('\n');

describe('the request conversation', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const start = async () => (stack = await startStack({ register: registerHandlers }));

  test('a partial request gets a card with questions; two answers complete it', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    let body = card(s, issue)!.body;
    assert.match(body, /Pipeline request `orders_customers_daily`/);
    assert.match(body, /\| `source\.table` \| `public\.customers` \| issue \|/);
    assert.match(body, /\*\*Still needed\*\*/);
    assert.match(body, /When should it run\? \(`schedule`/);
    assert.match(body, /Which table should receive the data\?/);
    assert.deepEqual(replies(s, issue), [], 'the card is the answer to the issue');
    assert.ok(s.project.awards.some((a) => a.awardableType === 'Issue' && a.name === 'eyes' && a.userId === s.botUser.id));

    await s.comment(issue, 'schedule: 0 6 * * *\nload.strategy: snapshot');
    await s.settle();
    body = card(s, issue)!.body;
    assert.match(body, /\| `schedule` \| `0 6 \* \* \*` \| @alice's comment \|/);
    assert.match(body, /Which table should receive the data\?/);
    assert.match(replies(s, issue).at(-1)!.body, /Updated `schedule`, `load\.strategy`/);

    await s.comment(issue, '```yaml\ntarget:\n  conn_id: lake\n  table: raw_orders.customers\n```');
    await s.settle();
    body = card(s, issue)!.body;
    assert.doesNotMatch(body, /Still needed/);
    assert.match(body, /Everything needed is here\. Comment `\/generate`/);
    assert.match(body, /`dags\/raw\/orders\/orders_customers_daily\.py`/);
    assert.equal(s.botComments(issue).filter((n) => n.body.includes('dagwright:card')).length, 1, 'one card, edited in place');
  });

  test('a file source: the card says how many files each run reads, and what a run without files does', async () => {
    const s = await start();
    const issue = s.openIssue('Sensor readings', ['Readings exported by Spark, many parts a day.', '', '```yaml', 'dag_id: readings_daily', 'source: {type: s3, conn_id: landing_s3, bucket: landing, path: "readings/dt={{ ds }}/part-*.parquet", format: parquet}', '```'].join('\n'));
    await s.settle();
    assert.match(card(s, issue)!.body, /Each run reads every file matching the glob `readings\/dt=\{\{ ds \}\}\/part-\*\.parquet` \(with the run's dates\), one task per file; a run that finds none fails \(`source\.if_empty`\)\./);
    await s.comment(issue, '/set source.path=exports/{{ds}}/ source.if_empty=skip');
    await s.settle();
    assert.match(card(s, issue)!.body, /Each run reads every file under the prefix `exports\/\{\{ds\}\}\/`[^\n]*a run that finds none is skipped/);
  });

  test("a reply owed for a turn is sent even when the job's first attempt failed after the turn was saved", async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    const before = replies(s, issue).length;
    // GitLab fails the reply's comment once: the fields are saved, the card is edited, the reply is lost on that try.
    s.standIn.injectFault({ method: 'POST', path: new RegExp(`/issues/${issue.iid}/notes$`), effect: { status: 503 }, times: 1, when: () => s.project.notes.some((n) => n.body.includes('schedule: 0 6')) });
    await s.comment(issue, 'schedule: 0 6 * * *\nload.strategy: snapshot');
    await s.settle();
    const answered = replies(s, issue).slice(before);
    assert.equal(answered.length, 1, JSON.stringify(answered.map((n) => n.body)));
    assert.match(answered[0]!.body, /schedule/);
    assert.match(card(s, issue)!.body, /`0 6 \* \* \*`/);
  });

  test('a /set whose reply failed once is answered on the retry', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    const before = replies(s, issue).length;
    s.standIn.injectFault({ method: 'POST', path: new RegExp(`/issues/${issue.iid}/notes$`), effect: { status: 503 }, times: 1, when: () => s.project.notes.some((n) => n.body.startsWith('/set retries')) });
    await s.comment(issue, '/set retries=4');
    await s.settle();
    const answered = replies(s, issue).slice(before);
    assert.equal(answered.length, 1, JSON.stringify(answered.map((n) => n.body)));
    assert.match(answered[0]!.body, /retries/);
  });

  test('/set with a bad cron shows the error in the card and changes nothing', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', `${partialRequest}\nschedule: "@daily"`);
    await s.settle();
    await s.comment(issue, '/set schedule="0 6 * * * *"');
    await s.settle();
    const body = card(s, issue)!.body;
    assert.match(body, /`schedule`: must be a 5-field cron .*this one has 6 fields/);
    assert.match(body, /\| `schedule` \| `@daily` \| issue \|/);
    assert.match(replies(s, issue).at(-1)!.body, /Nothing was changed for these:\n- `schedule`: must be a 5-field cron/);
  });

  test('editing the issue description updates the card', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    s.standIn.editIssue(s.project, issue.iid, s.alice, { description: partialRequest.replace('public.customers', 'public.clients') });
    await s.settle();
    assert.match(card(s, issue)!.body, /\| `source\.table` \| `public\.clients` \| issue \|/);
    // An edit that changes nothing in the request (a label) leaves the card alone.
    const edits = () => s.standIn.requests.filter((r) => r.method === 'PUT' && /\/notes\/\d+$/.test(r.path)).length;
    const before = edits();
    s.standIn.editIssue(s.project, issue.iid, s.alice, { addLabels: ['backlog'] });
    await s.settle();
    assert.equal(edits(), before);
  });

  test('an unrelated comment and the bot\'s own comments get no reply; prose is noted in the card only', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    await s.comment(issue, '@gail could you check with the DBA first?');
    await s.settle();
    assert.deepEqual(replies(s, issue), []);
    assert.match(card(s, issue)!.body, /@alice's last comment had nothing I can read without a model/);
    const before = s.standIn.deliveries.length;
    await s.standIn.comment(s.project, { issue: issue.iid }, s.botUser, 'schedule: @hourly');
    await s.settle();
    assert.equal(JSON.parse(s.standIn.deliveries.slice(before).find((d) => d.event === 'Note Hook')!.response!).result, 'ignored');
    assert.doesNotMatch(card(s, issue)!.body, /@hourly/);
  });

  test('an issue without a request is left alone; a comment with one engages it', async () => {
    const s = await start();
    const issue = s.openIssue('The dashboard is slow', 'Since Monday the sales dashboard takes a minute to load.');
    await s.settle();
    assert.deepEqual(s.botComments(issue), []);
    await s.comment(issue, 'Let us load it instead:\ndag_id: sales_daily\nschedule: "@daily"');
    await s.settle();
    assert.match(card(s, issue)!.body, /Pipeline request `sales_daily`/);
  });

  test('the trigger label engages an issue with no request yet: the card asks for everything', async () => {
    const s = await start();
    const issue = s.standIn.openIssue(s.project, s.alice, { title: 'New pipeline', description: 'Details to follow.', labels: ['dagwright'] });
    await s.settle();
    const body = card(s, issue)!.body;
    assert.match(body, /What should the DAG be called\?/);
    assert.match(body, /When should it run\?/);
  });

  test('an issue written in Russian gets its card in Russian', async () => {
    const s = await start();
    const issue = s.openIssue('Загрузка клиентов', ['Ежедневная копия клиентов из базы заказов в озеро.', '', 'dag_id: orders_customers_daily', 'schedule: 0 6 * * *'].join('\n'));
    await s.settle();
    const body = card(s, issue)!.body;
    assert.match(body, /Заявка на пайплайн `orders_customers_daily`/);
    assert.match(body, /\*\*Ещё нужно\*\*/);
    assert.match(body, /Какой это источник\?/);
  });

  test('a password in the issue is masked, warned about, turned into a proposal, and stored nowhere', async () => {
    const s = await start();
    const issue = s.openIssue(
      'Load customers',
      ['Copy customers daily.', '', '| Parameter | Value |', '|---|---|', '| DAG ID | orders_customers_daily |', '| source_database | postgresql://etl:hunter2@db.internal:5432/orders |', '| source_table | public.customers |', '| target_storing_type | full |'].join('\n'),
    );
    await s.settle();
    const body = card(s, issue)!.body;
    assert.doesNotMatch(body, /hunter2/);
    assert.match(body, /A credential was written in this issue \(`postgresql:\/\/etl:\*\*\*\*@db\.internal:5432\/orders`\)\. Rotate it/);
    assert.match(body, /\| `source\.type` \| `postgres` \| proposed from the connection URL \|/);
    assert.match(body, /\| `source\.conn_id` \| `orders_pg` \| proposed from the connection URL \|/);
    assert.match(body, /\| `load\.strategy` \| `snapshot` \| issue \|/);
    assert.match(body, /`full` was read as `snapshot`/);
    for (const table of ['deliveries', 'jobs', 'conversations', 'bot_notes']) {
      const dump = JSON.stringify(await s.bot.dagwright.store.query(`SELECT * FROM ${table}`));
      assert.doesNotMatch(dump, /hunter2/, `${table} holds the password`);
    }
  });

  test('bad input gets a clear answer in the card and changes nothing else', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    const cases: Array<[string, RegExp]> = [
      ['```yaml\ndag_id: [unclosed\n```', /yaml block does not parse \(line \d+\)/i],
      ['retries: many', /`retries`: must be a number/],
      ['sheduel: 0 6 * * *\n```yaml\nsheduel: "0 6 * * *"\n```', /`sheduel`: is not a spec field; did you mean `schedule`\?/],
      ['/set dag_id=../x', /`dag_id`: must start with a lowercase letter/],
      ['schedule: 0 6 * * * *', /`schedule`: must be a 5-field cron/],
      [`dag_id: other_name\n${'x'.repeat(1024 * 1024)}`, /too long to read/],
    ];
    for (const [comment, expected] of cases) {
      await s.comment(issue, comment);
      await s.settle();
      const body = card(s, issue)!.body;
      assert.match(body, expected, comment.slice(0, 40));
      assert.match(body, /\| `dag_id` \| `orders_customers_daily` \| issue \|/, `${comment.slice(0, 40)} changed the spec`);
    }
    await s.comment(issue, 'Das ist eine tägliche Ladung, bitte prüfen.');
    await s.settle();
    assert.match(card(s, issue)!.body, /nothing I can read without a model/);
  });

  test('/spec answers with the spec as yaml; /status says what is missing; /unset removes a field', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    await s.comment(issue, '/status');
    await s.settle();
    assert.match(replies(s, issue).at(-1)!.body, /not complete yet\. Still needed: .*`schedule`/);
    await s.comment(issue, '/unset source.table');
    await s.settle();
    assert.match(card(s, issue)!.body, /Which table should be loaded\?/);
    await s.comment(issue, '/spec');
    await s.settle();
    const spec = replies(s, issue).at(-1)!.body;
    assert.match(spec, /```yaml\n[\s\S]*dag_id: orders_customers_daily[\s\S]*```/);
    assert.doesNotMatch(spec, /table: public\.customers/);
  });

  test('the conversation survives a restart of the bot', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', partialRequest);
    await s.settle();
    const { dataDir } = s.bot.dagwright.config;
    await s.bot.stop();
    const { startBot } = await import('./support/harness.ts');
    const again = await startBot({ gitlab: { url: s.standIn.url, token: s.botUser.token }, register: registerHandlers, config: { dataDir } });
    s.project.hooks.splice(0, s.project.hooks.length);
    s.standIn.addHook(s.project, `${again.url}/webhooks/gitlab`, { token: hookSecretFor(s.project.id) });
    s.bot = again;
    await s.comment(issue, 'schedule: "@daily"');
    await s.settle();
    const body = card(s, issue)!.body;
    assert.match(body, /\| `source\.table` \| `public\.customers` \| issue \|/);
    assert.match(body, /\| `schedule` \| `@daily` \|/);
    assert.equal(s.botComments(issue).filter((n) => n.body.includes('dagwright:card')).length, 1);
  });
});
