import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { z } from 'zod';
import { parseCommands, suggestCommand } from '../src/bot/commands.ts';
import { AccessLevel } from '../src/bot/permissions.ts';
import { registerHandlers } from '../handlers/index.ts';
import { FakeGitLab } from './support/fake-gitlab.ts';
import { sleep, startBot, waitFor, type RunningBot } from './support/harness.ts';
import { noteOnIssue, user } from './support/payloads.ts';

describe('the command parser', () => {
  const cases: Array<[string, string, Array<{ name: string; args: string[]; via?: string; error?: boolean }>]> = [
    ['a bare command', '/help', [{ name: 'help', args: [] }]],
    ['arguments split like a shell', '/set schedule="0 6 * * *" owner=data-platform', [{ name: 'set', args: ['schedule=0 6 * * *', 'owner=data-platform'] }]],
    ['single quotes and escapes', "/set description='a b' x\\ y", [{ name: 'set', args: ['description=a b', 'x y'] }]],
    ['several commands, one per line', 'Thanks!\n/set a=1\nsome prose\n/generate', [{ name: 'set', args: ['a=1'] }, { name: 'generate', args: [] }]],
    ['a command name is case-insensitive', '/Generate', [{ name: 'generate', args: [] }]],
    ['not at the start of a line', 'please run /generate now', []],
    ['indented is not at the start', '  /generate', []],
    ['inside a ``` code block', '```\n/generate\n```\n', []],
    ['inside a ~~~ code block, then outside', '~~~yaml\n/set a=1\n~~~\n/help', [{ name: 'help', args: [] }]],
    ['a longer fence is not closed by a shorter one', '````\n```\n/generate\n````\n/help', [{ name: 'help', args: [] }]],
    ['inside a quote', '> /generate\n/help', [{ name: 'help', args: [] }]],
    ['inside a >>> quote block', '>>>\n/generate\n>>>\n', []],
    ['inside an HTML comment', '<!--\n/generate\n-->', []],
    ['the mention form', '@dagwright generate', [{ name: 'generate', args: [], via: 'mention' }]],
    ['the mention form with a slash and a colon', '@Dagwright: /set a=1', [{ name: 'set', args: ['a=1'], via: 'mention' }]],
    ['a mention of somebody else', '@dagwright-fan generate', []],
    ['a mention in the middle of prose', 'ask @dagwright generate', []],
    ['an unclosed quote is reported', '/set description="oops', [{ name: 'set', args: [], error: true }]],
    ['a path is not a command', '/usr/local/bin is full', []],
    ['CRLF line ends', '/help\r\n/generate\r\n', [{ name: 'help', args: [] }, { name: 'generate', args: [] }]],
  ];
  for (const [title, body, expected] of cases) {
    test(title, () => {
      const got = parseCommands(body, 'dagwright').map((c) => ({
        name: c.name,
        args: c.args,
        ...(c.via === 'mention' ? { via: 'mention' } : {}),
        ...(c.error ? { error: true } : {}),
      }));
      assert.deepEqual(got, expected);
    });
  }

  test('did you mean: close typos only', () => {
    const known = ['help', 'generate', 'preview', 'set', 'unset', 'status', 'retry', 'cancel'];
    assert.equal(suggestCommand('genrate', known), 'generate');
    assert.equal(suggestCommand('generat', known), 'generate');
    assert.equal(suggestCommand('stauts', known), 'status');
    assert.equal(suggestCommand('hlep', known), undefined); // a swap is two edits: too far for a 4-letter word
    assert.equal(suggestCommand('hep', known), 'help');
    assert.equal(suggestCommand('deploy', known), undefined);
  });
});

describe('commands in comments', () => {
  const gitlab = new FakeGitLab();
  let bot: RunningBot;
  const deployed: string[][] = [];
  before(async () => {
    await gitlab.start();
    gitlab.addUser(7, 'alice');
    gitlab.setAccess(42, 7, AccessLevel.developer);
    gitlab.addUser(8, 'guest');
    gitlab.setAccess(42, 8, AccessLevel.guest);
  });
  after(() => gitlab.stop());
  afterEach(() => bot?.stop());

  const start = () =>
    startBot({
      gitlab,
      register: (b) => {
        registerHandlers(b);
        b.command({
          name: 'deploy',
          usage: 'deploy ENV',
          summary: () => 'deploys',
          where: ['issue'],
          minAccessLevel: 'config',
          args: z.tuple([z.enum(['staging', 'production'], { error: 'ENV must be staging or production' })]),
          run: async (ctx, args) => {
            deployed.push(args);
            await ctx.reply(`deploying to ${args[0]}`);
          },
        });
      },
    });

  const replies = (iid: number) => gitlab.notesOn(42, 'Issue', iid).map((n) => n.body);

  test('/help lists the commands', async () => {
    bot = await start();
    await bot.deliver(noteOnIssue({ iid: 20, note: 'hi\n/help' }));
    const [reply] = await waitFor(() => replies(20).length === 1 && replies(20), { what: 'help reply' });
    assert.match(reply!, /\| `\/help \[COMMAND\]` \|/);
    assert.match(reply!, /\| `\/deploy ENV` \|/);
    assert.ok(!reply!.split('\n').some((line) => line.startsWith('/')), 'no reply line may start with /');
  });

  test('/help answers in Russian for a Russian issue', async () => {
    bot = await start();
    const delivery = noteOnIssue({ iid: 21, note: '/help' });
    (delivery.body.issue as Record<string, unknown>).description = 'Нужно загружать таблицу клиентов каждый день.';
    await bot.deliver(delivery);
    const [reply] = await waitFor(() => replies(21).length === 1 && replies(21));
    assert.match(reply!, /Команды Dagwright/);
  });

  test('a typo gets "did you mean", a stray slash word gets silence, a GitLab quick action is left alone', async () => {
    bot = await start();
    await bot.deliver(noteOnIssue({ iid: 22, note: '/deplyo staging' }));
    const [reply] = await waitFor(() => replies(22).length === 1 && replies(22));
    assert.match(reply!, /Did you mean `\/deploy`/);
    await bot.deliver(noteOnIssue({ iid: 23, note: '/usr/local is full\n/tmp too\n/assign @bob' }));
    await sleep(200);
    assert.deepEqual(replies(23), []);
  });

  test('a command below the required access level gets a polite refusal and does not run', async () => {
    bot = await start();
    await bot.deliver(noteOnIssue({ iid: 24, note: '/deploy staging', author: user(8, 'guest') }));
    const [reply] = await waitFor(() => replies(24).length === 1 && replies(24));
    assert.match(reply!, /needs at least the Developer role/);
    assert.match(reply!, /you have Guest/);
    assert.deepEqual(deployed, []);
  });

  test('the repo config can raise the required level; a developer is then refused', async () => {
    gitlab.files.set('42:.gitlab/dagwright.yml', 'min_access_level: maintainer\n');
    try {
      bot = await start();
      await bot.deliver(noteOnIssue({ iid: 25, note: '/deploy staging' }));
      const [reply] = await waitFor(() => replies(25).length === 1 && replies(25));
      assert.match(reply!, /needs at least the Maintainer role/);
    } finally {
      gitlab.files.delete('42:.gitlab/dagwright.yml');
    }
  });

  test('arguments are checked by the command schema; good ones run the command', async () => {
    bot = await start();
    await bot.deliver(noteOnIssue({ iid: 26, note: '/deploy moon' }));
    const [refusal] = await waitFor(() => replies(26).length === 1 && replies(26));
    assert.match(refusal!, /ENV must be staging or production/);
    await bot.deliver(noteOnIssue({ iid: 26, note: '@dagwright deploy staging' }));
    await waitFor(() => replies(26).length === 2);
    assert.equal(replies(26)[1], 'deploying to staging');
    assert.deepEqual(deployed, [['staging']]);
  });
});
