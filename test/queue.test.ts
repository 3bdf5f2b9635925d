import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { FakeGitLab } from './support/fake-gitlab.ts';
import { metricValue, sleep, startBot, waitFor, type RunningBot } from './support/harness.ts';
import { issueEvent, noteOnIssue, user } from './support/payloads.ts';

describe('durable jobs', () => {
  const gitlab = new FakeGitLab();
  before(() => gitlab.start());
  after(() => gitlab.stop());
  let bot: RunningBot | undefined;
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  test('the same Idempotency-Key delivered three times runs the handler once', async () => {
    let runs = 0;
    bot = await startBot({ gitlab, register: (b) => b.on('issue.open', () => void runs++) });
    const delivery = issueEvent({ iid: 5 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(((await (await bot.deliver(delivery)).json()) as { result: string }).result);
    assert.deepEqual(results, ['accepted', 'duplicate', 'duplicate']);
    await waitFor(() => runs === 1, { what: 'the handler' });
    await sleep(150);
    assert.equal(runs, 1);
    assert.equal(await metricValue(bot, 'dagwright_webhook_deliveries_total', 'result="duplicate"'), 2);
  });

  test('the same note sent by two hooks (two keys) runs once', async () => {
    const seen: number[] = [];
    bot = await startBot({ gitlab, register: (b) => b.on('note.issue', (ctx) => void seen.push(ctx.payload.object_attributes.id)) });
    const first = noteOnIssue({ note: 'looks good', noteId: 777 });
    const second = { headers: { ...first.headers, 'Idempotency-Key': 'other-hook', 'X-Gitlab-Webhook-UUID': 'other-hook' }, body: first.body };
    assert.equal(((await (await bot.deliver(first)).json()) as { result: string }).result, 'accepted');
    assert.equal(((await (await bot.deliver(second)).json()) as { result: string }).result, 'duplicate');
    await waitFor(() => seen.length === 1);
    await sleep(100);
    assert.deepEqual(seen, [777]);
  });

  test('events for one issue run in arrival order and never at once; other issues run in parallel', async () => {
    const spans: Array<{ iid: number; note: string; start: number; end: number }> = [];
    bot = await startBot({
      gitlab,
      register: (b) =>
        b.on('note.issue', async (ctx) => {
          const start = performance.now();
          await sleep(150);
          spans.push({ iid: ctx.payload.issue!.iid, note: ctx.payload.object_attributes.note, start, end: performance.now() });
        }),
    });
    await bot.deliver(noteOnIssue({ iid: 1, note: 'first' }));
    await bot.deliver(noteOnIssue({ iid: 1, note: 'second' }));
    await bot.deliver(noteOnIssue({ iid: 1, note: 'third' }));
    await bot.deliver(noteOnIssue({ iid: 2, note: 'other issue' }));
    await waitFor(() => spans.length === 4, { what: 'four jobs' });
    const issue1 = spans.filter((s) => s.iid === 1);
    assert.deepEqual(issue1.map((s) => s.note), ['first', 'second', 'third']);
    for (let i = 1; i < issue1.length; i++) assert.ok(issue1[i]!.start >= issue1[i - 1]!.end, 'jobs of one issue overlapped');
    const other = spans.find((s) => s.iid === 2)!;
    assert.ok(other.start < issue1[0]!.end, 'the other issue waited for issue 1');
  });

  test('a job that fails twice with 503 and then succeeds is retried and succeeds, with one reply', async () => {
    bot = await startBot({
      gitlab,
      register: (b) => b.on('note.issue', async (ctx) => void (await ctx.reply('noted'))),
    });
    const path = /\/projects\/42\/issues\/7\/notes$/;
    gitlab.inject({ method: 'POST', path, status: 503, body: { message: '503 Service Unavailable' } });
    gitlab.inject({ method: 'POST', path, status: 503, body: { message: '503 Service Unavailable' } });
    const retriedBefore = await metricValue(bot, 'dagwright_jobs_total', 'status="retried"');
    await bot.deliver(noteOnIssue({ iid: 7, note: 'please reply' }));
    await waitFor(() => gitlab.notesOn(42, 'Issue', 7).length === 1, { what: 'the reply' });
    const { id } = bot.dagwright.store.db.prepare("SELECT id FROM jobs WHERE resource_key = '42#7'").get() as { id: number };
    await waitFor(() => bot!.dagwright.store.job(id)!.status === 'succeeded', { what: 'the job to succeed' });
    assert.equal(bot.dagwright.store.job(id)!.attempts, 3);
    assert.equal(await metricValue(bot, 'dagwright_jobs_total', 'status="retried"'), retriedBefore + 2);
    assert.equal(gitlab.notesOn(42, 'Issue', 7).length, 1);
  });

  test('a job that keeps failing stops after its attempts and the status comment says why', async () => {
    bot = await startBot({
      gitlab,
      config: { jobMaxAttempts: 3 },
      register: (b) => b.on('note.issue', async (ctx) => void (await ctx.reply('noted'))),
    });
    const path = /\/projects\/42\/issues\/8\/notes$/;
    for (let i = 0; i < 3; i++) gitlab.inject({ method: 'POST', path, status: 502, body: { message: '502 Bad Gateway' } });
    await bot.deliver(noteOnIssue({ iid: 8, note: 'please reply' }));
    const status = await waitFor(() => gitlab.notesOn(42, 'Issue', 8).find((n) => n.body.includes('dagwright:status')), { what: 'status comment' });
    assert.match(status.body, /failed after 3 attempts/);
    assert.match(status.body, /502/);
    assert.match(status.body, /delivery `[0-9a-f-]{36}`/);
    assert.equal(await metricValue(bot, 'dagwright_jobs_total', 'status="failed"'), 1);
  });

  test('a permanent error is not retried', async () => {
    let runs = 0;
    bot = await startBot({
      gitlab,
      register: (b) =>
        b.on('note.issue', async (ctx) => {
          runs++;
          await ctx.reply('noted');
        }),
    });
    gitlab.inject({ method: 'POST', path: /\/issues\/9\/notes$/, status: 403, body: { message: '403 Forbidden' } });
    await bot.deliver(noteOnIssue({ iid: 9, note: 'please reply' }));
    await waitFor(() => gitlab.notesOn(42, 'Issue', 9).some((n) => n.body.includes('dagwright:status')), { what: 'status comment' });
    assert.equal(runs, 1);
  });

  test("the bot's own note and GitLab's system notes start nothing", async () => {
    const seen: string[] = [];
    bot = await startBot({ gitlab, register: (b) => b.onAny((ctx) => void seen.push(ctx.name)) });
    const own = await bot.deliver(noteOnIssue({ note: '/help', author: user(gitlab.botUser.id, gitlab.botUser.username) }));
    assert.equal(((await own.json()) as { result: string }).result, 'ignored');
    const system = await bot.deliver(noteOnIssue({ note: 'changed the description', system: true }));
    assert.equal(((await system.json()) as { result: string }).result, 'ignored');
    await bot.deliver(noteOnIssue({ note: 'a human comment' }));
    await waitFor(() => seen.length === 1);
    await sleep(100);
    assert.deepEqual(seen, ['note.issue']);
  });

  test('a note edited by its author is routed with action update and runs no command', async () => {
    const actions: string[] = [];
    bot = await startBot({ gitlab, register: (b) => b.on('note.issue', (ctx) => void actions.push(ctx.payload.object_attributes.action)) });
    await bot.deliver(noteOnIssue({ iid: 12, note: '/help', noteId: 4242, action: 'update' }));
    await waitFor(() => actions.length === 1);
    await sleep(100);
    assert.deepEqual(actions, ['update']);
    assert.equal(gitlab.notesOn(42, 'Issue', 12).length, 0);
  });
});
