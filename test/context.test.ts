import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Context } from '../src/bot/context.ts';
import type { NotePayload } from '../src/bot/events.ts';
import { FakeGitLab } from './support/fake-gitlab.ts';
import { sleep, startBot, waitFor, type RunningBot } from './support/harness.ts';
import { noteOnIssue } from './support/payloads.ts';

describe('Context', () => {
  const gitlab = new FakeGitLab();
  let bot: RunningBot | undefined;
  before(() => gitlab.start());
  after(() => gitlab.stop());
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  // Each delivery runs the handler given with it; one bot per test.
  let current: { handler: (ctx: Context<NotePayload>) => Promise<void>; done: boolean } | undefined;
  const run = async (iid: number, note: string, handler: (ctx: Context<NotePayload>) => Promise<void>) => {
    const step = { handler, done: false };
    current = step;
    bot ??= await startBot({
      gitlab,
      register: (b) =>
        b.on('note.issue', async (ctx) => {
          const active = current!;
          await active.handler(ctx);
          active.done = true;
        }),
    });
    const delivery = noteOnIssue({ iid, note });
    const attributes = delivery.body.object_attributes as { id: number };
    gitlab.addNote({ projectId: 42, type: 'Issue', iid, id: attributes.id, body: note, author: delivery.body.user as { id: number; username: string } });
    await bot.deliver(delivery);
    await waitFor(() => step.done, { what: 'the handler' });
  };

  const botNotes = (iid: number) => gitlab.notesOn(42, 'Issue', iid).filter((n) => n.author.id === gitlab.botUser.id);

  test('status is one comment per issue, edited in place, found again by its marker when its id is forgotten', async () => {
    await run(40, 'one', (ctx) => ctx.status.update('queued').then(() => undefined));
    await run(40, 'two', (ctx) => ctx.status.update('running').then(() => undefined));
    let notes = botNotes(40);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.body, /^<!-- dagwright:status:42#40 -->\nrunning$/);

    bot!.dagwright.store.forgetBotNote('42#40', 'status');
    await run(40, 'three', (ctx) => ctx.status.update('done').then(() => undefined));
    notes = botNotes(40);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.body, /\ndone$/);
  });

  test('status is created again when its comment was deleted', async () => {
    await run(41, 'one', (ctx) => ctx.status.update('first').then(() => undefined));
    gitlab.notes.splice(gitlab.notes.indexOf(botNotes(41)[0]!), 1);
    await run(41, 'two', (ctx) => ctx.status.update('second').then(() => undefined));
    const notes = botNotes(41);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.body, /second$/);
  });

  test('a bad repo config is answered once per version of the file, naming the field; defaults apply', async () => {
    gitlab.files.set('42:.gitlab/dagwright.yml', 'airflow_version: 5\npack: spark-docker\n');
    try {
      const seen: Array<{ version: number; pack: string }> = [];
      const readConfig = async (ctx: Context<NotePayload>) => {
        const config = await ctx.config();
        seen.push({ version: config.airflow_version, pack: config.pack });
      };
      await run(43, 'a', readConfig);
      await run(43, 'b', readConfig);
      assert.deepEqual(seen, [
        { version: 3, pack: 'spark-docker' },
        { version: 3, pack: 'spark-docker' },
      ]);
      const replies = botNotes(43);
      assert.equal(replies.length, 1);
      assert.match(replies[0]!.body, /`\.gitlab\/dagwright\.yml` has problems/);
      assert.match(replies[0]!.body, /- airflow_version: must be 2 or 3/);

      gitlab.files.set('42:.gitlab/dagwright.yml', 'airflow_version: 6\n');
      await run(43, 'c', readConfig);
      assert.equal(botNotes(43).length, 2);
    } finally {
      gitlab.files.delete('42:.gitlab/dagwright.yml');
    }
  });

  test('react awards an emoji on the triggering note, and again is harmless', async () => {
    await run(44, 'x', async (ctx) => {
      await ctx.react('eyes');
      await ctx.react('eyes');
    });
    assert.equal(gitlab.awards.filter((a) => a.iid === 44 && a.name === 'eyes').length, 1);
  });

  test('a reply carrying a secret or a quick action is made harmless', async () => {
    await run(45, 'x', (ctx) => ctx.reply('Your URI postgres://etl:hunter2@db/orders\n/close').then(() => undefined));
    const [note] = botNotes(45);
    assert.equal(note!.body, 'Your URI postgres://etl:****@db/orders\n\\/close');
    await sleep(10);
  });
});
