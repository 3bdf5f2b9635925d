import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Context } from '../src/bot/context.ts';
import type { NotePayload } from '../src/bot/events.ts';
import { startStack, type Stack } from './support/harness.ts';

describe('Context', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  /** A stack whose note handler runs `handler` for each comment. */
  const start = async (handler: (ctx: Context<NotePayload>) => Promise<unknown>) => {
    stack = await startStack({ register: (b) => b.on('note.issue', async (ctx) => void (await handler(ctx))) });
    return stack;
  };

  test('status is one comment per issue, edited in place, found again by its marker when its id is forgotten', async () => {
    let text = 'queued';
    const s = await start((ctx) => ctx.status.update(text));
    const issue = s.openIssue();
    await s.comment(issue, 'one');
    await s.settle();
    text = 'running';
    await s.comment(issue, 'two');
    await s.settle();
    let notes = s.botComments(issue);
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.body, `<!-- dagwright:status:${s.project.id}#${issue.iid} -->\nrunning`);

    await s.bot.dagwright.store.forgetBotNote(`${s.project.id}#${issue.iid}`, 'status');
    text = 'done';
    await s.comment(issue, 'three');
    await s.settle();
    notes = s.botComments(issue);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.body, /\ndone$/);
  });

  test('status is created again when its comment was deleted', async () => {
    let text = 'first';
    const s = await start((ctx) => ctx.status.update(text));
    const issue = s.openIssue();
    await s.comment(issue, 'one');
    await s.settle();
    s.project.notes.splice(s.project.notes.indexOf(s.botComments(issue)[0]!), 1);
    text = 'second';
    await s.comment(issue, 'two');
    await s.settle();
    const notes = s.botComments(issue);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.body, /second$/);
  });

  test('a bad repo config is answered once per version of the file, naming the field; defaults apply', async () => {
    const seen: Array<{ version: number; pack: string }> = [];
    const s = await start(async (ctx) => {
      const config = await ctx.config();
      seen.push({ version: config.airflow_version, pack: config.pack });
    });
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab/dagwright.yml': 'airflow_version: 5\npack: spark-docker\n' }, message: 'Config' });
    const issue = s.openIssue();
    await s.comment(issue, 'a');
    await s.settle();
    await s.comment(issue, 'b');
    await s.settle();
    assert.deepEqual(seen, [
      { version: 3, pack: 'spark-docker' },
      { version: 3, pack: 'spark-docker' },
    ]);
    const replies = s.botComments(issue);
    assert.equal(replies.length, 1);
    assert.match(replies[0]!.body, /`\.gitlab\/dagwright\.yml` has problems/);
    assert.match(replies[0]!.body, /- airflow_version: must be 2 or 3/);

    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab/dagwright.yml': 'airflow_version: 6\n' }, message: 'Config again' });
    await s.comment(issue, 'c');
    await s.settle();
    assert.equal(s.botComments(issue).length, 2);
  });

  test('react awards an emoji on the triggering note, and again is harmless', async () => {
    const s = await start(async (ctx) => {
      await ctx.react('eyes');
      await ctx.react('eyes');
    });
    const issue = s.openIssue();
    const note = (await s.comment(issue, 'x'))!;
    await s.settle();
    const awards = s.project.awards.filter((a) => a.awardableType === 'Note' && a.awardableId === note.id);
    assert.deepEqual(awards.map((a) => [a.name, a.userId]), [['eyes', s.botUser.id]]);
  });

  test('a reply carrying a secret or a quick action is made harmless', async () => {
    const s = await start((ctx) => ctx.reply('Your URI postgres://etl:hunter2@db/orders\n/close'));
    const issue = s.openIssue();
    await s.comment(issue, 'x');
    await s.settle();
    assert.equal(s.botComments(issue)[0]!.body, 'Your URI postgres://etl:****@db/orders\n\\/close');
    assert.equal(issue.state, 'opened', 'GitLab ran no quick action from the bot');
  });
});
