import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { z } from 'zod';
import { parseCommands, suggestCommand } from '../src/bot/commands.ts';
import { registerHandlers } from '../handlers/index.ts';
import { Bot } from '../src/bot/bot.ts';
import type { User } from '../src/gitlab-standin/model.ts';
import { startStack, type Stack } from './support/harness.ts';

describe('which deliveries are looked at again to say they wait', () => {
  // Intake stays cheap under a backlog: only a note holding a command that announces its place is.
  test('a note with /generate or @bot generate, not other notes or events', () => {
    const bot = new Bot();
    registerHandlers(bot);
    const note = (text: string) => ({ names: ['note', 'note.issue'], payload: { object_attributes: { note: text } } });
    assert.equal(bot.mayAnnounceQueued(note('/generate'), 'dagwright'), true);
    assert.equal(bot.mayAnnounceQueued(note('please\n@dagwright generate'), 'dagwright'), true);
    assert.equal(bot.mayAnnounceQueued(note('/set schedule=@daily'), 'dagwright'), false);
    assert.equal(bot.mayAnnounceQueued(note('looks good'), 'dagwright'), false);
    assert.equal(bot.mayAnnounceQueued({ names: ['issue', 'issue.open'], payload: { object_attributes: { description: '/generate' } } }, 'dagwright'), false);
  });
});

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
  let stack: Stack | undefined;
  const deployed: string[][] = [];
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  const start = async () => {
    stack = await startStack({
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
    return stack;
  };

  const say = async (s: Stack, body: string, options: { author?: User; issue?: ReturnType<Stack['openIssue']> } = {}) => {
    const issue = options.issue ?? s.openIssue();
    await s.comment(issue, body, options.author);
    await s.settle();
    return { issue, replies: s.botComments(issue).map((n) => n.body) };
  };

  test('/help lists the commands', async () => {
    const s = await start();
    const { replies } = await say(s, 'hi\n/help');
    assert.equal(replies.length, 1);
    assert.match(replies[0]!, /\| `\/help \[COMMAND\]` \|/);
    assert.match(replies[0]!, /\| `\/deploy ENV` \|/);
    assert.ok(!replies[0]!.split('\n').some((line) => line.startsWith('/')), 'no reply line may start with /');
  });

  test('/help answers in Russian for a Russian issue', async () => {
    const s = await start();
    const issue = s.openIssue('Загрузка клиентов', 'Нужно загружать таблицу клиентов каждый день.');
    const { replies } = await say(s, '/help', { issue });
    assert.match(replies[0]!, /Команды Dagwright/);
  });

  test('a typo gets "did you mean", a stray slash word gets silence, a GitLab quick action is left to GitLab', async () => {
    const s = await start();
    const typo = await say(s, '/deplyo staging');
    assert.equal(typo.replies.length, 1);
    assert.match(typo.replies[0]!, /Did you mean `\/deploy`/);
    const stray = await say(s, '/usr/local is full\n/tmp too\n/assign @alice');
    assert.deepEqual(stray.replies, []);
    assert.deepEqual(stray.issue.assigneeIds, [s.alice.id], 'GitLab applied its own quick action');
  });

  test('a command below the required access level gets a polite refusal and does not run', async () => {
    const s = await start();
    const { replies } = await say(s, '/deploy staging', { author: s.gail });
    assert.equal(replies.length, 1);
    assert.match(replies[0]!, /needs at least the Developer role/);
    assert.match(replies[0]!, /you have Guest/);
    assert.deepEqual(deployed, []);
  });

  test('the repo config can raise the required level; a developer is then refused', async () => {
    const s = await start();
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab/dagwright.yml': 'min_access_level: maintainer\n' }, message: 'Config' });
    const { replies } = await say(s, '/deploy staging');
    assert.match(replies[0]!, /needs at least the Maintainer role/);
  });

  test('arguments are checked by the command schema; good ones run the command', async () => {
    const s = await start();
    const { issue, replies } = await say(s, '/deploy moon');
    assert.match(replies[0]!, /ENV must be staging or production/);
    const after = await say(s, '@dagwright deploy staging', { issue });
    assert.equal(after.replies[1], 'deploying to staging');
    assert.deepEqual(deployed, [['staging']]);
  });
});
