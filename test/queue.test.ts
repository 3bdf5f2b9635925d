import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Bot } from '../src/bot/bot.ts';
import type { ServerConfig } from '../src/config.ts';
import { metricValue, sleep, startStack, type Stack, hookSecretFor } from './support/harness.ts';
import { noteOnIssue } from './support/payloads.ts';

describe('durable jobs', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const start = async (register: (bot: Bot) => void, config?: Partial<ServerConfig>) => (stack = await startStack({ register, config }));

  test('the same delivery sent three times (GitLab\'s "Resend request") runs the handler once', async () => {
    let runs = 0;
    const s = await start((b) => b.on('issue.open', () => void runs++));
    s.openIssue();
    await s.settle();
    const original = s.standIn.deliveries.find((d) => d.event === 'Issue Hook')!;
    s.standIn.gitlab.webhooks.resend(original.id);
    s.standIn.gitlab.webhooks.resend(original.id);
    await s.settle();
    const answers = s.standIn.deliveries.filter((d) => d.headers['Idempotency-Key'] === original.headers['Idempotency-Key']).map((d) => JSON.parse(d.response!).result);
    assert.deepEqual(answers, ['accepted', 'duplicate', 'duplicate']);
    assert.equal(runs, 1);
    assert.equal(await metricValue(s.bot, 'dagwright_webhook_deliveries_total', 'result="duplicate"'), 2);
  });

  test('the same comment sent by two hooks (two keys) runs once', async () => {
    const seen: string[] = [];
    const s = await start((b) => b.on('note.issue', (ctx) => void seen.push(ctx.payload.object_attributes.note)));
    s.standIn.addHook(s.project, `${s.bot.url}/webhooks/gitlab`, { token: hookSecretFor(s.project.id) });
    const issue = s.openIssue();
    await s.comment(issue, 'looks good');
    await s.settle();
    const noteDeliveries = s.standIn.deliveries.filter((d) => d.event === 'Note Hook');
    assert.equal(noteDeliveries.length, 2);
    assert.notEqual(noteDeliveries[0]!.headers['Idempotency-Key'], noteDeliveries[1]!.headers['Idempotency-Key']);
    assert.deepEqual(noteDeliveries.map((d) => JSON.parse(d.response!).result).sort(), ['accepted', 'duplicate']);
    assert.deepEqual(seen, ['looks good']);
  });

  test('events for one issue run in arrival order and never at once; other issues run in parallel', async () => {
    const spans: Array<{ iid: number; note: string; start: number; end: number }> = [];
    const s = await start((b) =>
      b.on('note.issue', async (ctx) => {
        const start = performance.now();
        await sleep(150);
        spans.push({ iid: ctx.payload.issue!.iid, note: ctx.payload.object_attributes.note, start, end: performance.now() });
      }),
    );
    const one = s.openIssue('one');
    const two = s.openIssue('two');
    await s.comment(one, 'first');
    await s.comment(one, 'second');
    await s.comment(one, 'third');
    await s.comment(two, 'other issue');
    await s.settle();
    const issue1 = spans.filter((x) => x.iid === one.iid);
    assert.deepEqual(issue1.map((x) => x.note), ['first', 'second', 'third']);
    for (let i = 1; i < issue1.length; i++) assert.ok(issue1[i]!.start >= issue1[i - 1]!.end, 'jobs of one issue overlapped');
    const other = spans.find((x) => x.iid === two.iid)!;
    assert.ok(other.start < issue1.at(-1)!.start, 'the other issue waited for issue 1');
  });

  test('a job that fails twice with 503 and then succeeds is retried and succeeds, with one reply', async () => {
    const s = await start((b) => b.on('note.issue', async (ctx) => void (await ctx.reply('noted'))));
    const issue = s.openIssue();
    await s.settle();
    s.standIn.injectFault({ method: 'POST', path: new RegExp(`/issues/${issue.iid}/notes$`), effect: { status: 503 }, times: 2 });
    await s.comment(issue, 'please reply');
    await s.settle();
    assert.deepEqual(s.botComments(issue).map((n) => n.body), ['noted']);
    const [job] = await s.bot.dagwright.store.query(`SELECT status, attempts FROM jobs ORDER BY id DESC LIMIT 1`);
    assert.deepEqual(job, { status: 'succeeded', attempts: 3 });
    assert.equal(await metricValue(s.bot, 'dagwright_jobs_total', 'status="retried"'), 2);
    const posts = s.standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/issues/${issue.iid}/notes`));
    assert.deepEqual(posts.map((r) => r.status), [503, 503, 201]);
  });

  test('a job that keeps failing stops after its attempts and the status comment says why', async () => {
    const s = await start((b) => b.on('note.issue', async (ctx) => void (await ctx.reply('noted'))), { jobMaxAttempts: 3 });
    const issue = s.openIssue();
    await s.settle();
    s.standIn.injectFault({ method: 'POST', path: new RegExp(`/issues/${issue.iid}/notes$`), effect: { status: 502 }, times: 3 });
    await s.comment(issue, 'please reply');
    await s.settle();
    const comments = s.botComments(issue);
    assert.equal(comments.length, 1);
    const status = comments[0]!.body;
    assert.match(status, /dagwright:status/);
    assert.match(status, /failed after 3 attempts/);
    assert.match(status, /GitLab answered 502/);
    assert.match(status, /delivery `[0-9a-f-]{36}`/);
    assert.equal(await metricValue(s.bot, 'dagwright_jobs_total', 'status="failed"'), 1);
  });

  test('a permanent error (403) is not retried, and the status comment says so', async () => {
    let runs = 0;
    const s = await start((b) =>
      b.on('note.issue', async (ctx) => {
        runs++;
        // Listing hooks needs Maintainer; the bot is a Developer.
        await ctx.gitlab.ProjectHooks.all(ctx.projectId);
      }),
    );
    const issue = s.openIssue();
    await s.comment(issue, 'go');
    await s.settle();
    assert.equal(runs, 1);
    assert.match(s.botComments(issue)[0]!.body, /failed after 1 attempt: GitLab answered 403/);
  });

  test("the bot's own comments start nothing, nor do GitLab's system notes", async () => {
    const seen: string[] = [];
    const s = await start((b) => b.onAny((ctx) => void seen.push(`${ctx.name}:${(ctx.payload as { user: { username: string } }).user.username}`)));
    const issue = s.openIssue();
    await s.settle();
    seen.length = 0;
    await s.standIn.comment(s.project, { issue: issue.iid }, s.botUser, '/help');
    await s.settle();
    const own = s.standIn.deliveries.filter((d) => d.event === 'Note Hook').at(-1)!;
    assert.equal(JSON.parse(own.response!).result, 'ignored');
    // GitLab sends no hook for a system note; a delivery that claims one is ignored all the same.
    const system = noteOnIssue({ note: 'changed the description', system: true, projectId: s.project.id, iid: issue.iid });
    assert.equal(((await (await s.bot.deliver(system)).json()) as { result: string }).result, 'ignored');
    await s.comment(issue, 'a human comment');
    await s.settle();
    assert.deepEqual(seen, ['note.issue:alice']);
  });

  test('an edited comment is routed with action update and runs no command', async () => {
    const actions: string[] = [];
    const s = await start((b) => b.on('note.issue', (ctx) => void actions.push(ctx.payload.object_attributes.action)));
    const issue = s.openIssue();
    const note = (await s.comment(issue, 'hello'))!;
    await s.settle();
    await s.standIn.editComment(s.project, note, s.alice, '/help');
    await s.settle();
    assert.deepEqual(actions, ['create', 'update']);
    assert.equal(s.botComments(issue).length, 0);
  });
});
