// `/help`: the commands this bot knows, or the usage of one of them.
import { atMostOneCommandName } from '../src/bot/arguments.ts';
import type { Bot } from '../src/bot/bot.ts';

export function registerHelp(bot: Bot): void {
  bot.command({
    name: 'help',
    usage: 'help [COMMAND]',
    summary: (m) => m.commands.summaries.help ?? '',
    where: ['issue', 'merge_request'],
    args: atMostOneCommandName,
    run: async (context, [asked]) => {
      const m = await context.messages();
      const place = context.resource!.type;
      const commands = bot
        .commands()
        .filter((c) => c.where.includes(place))
        .map((c) => ({ name: c.name, usage: `/${c.usage}`, summary: c.summary(m) }));
      const name = asked?.replace(/^\//, '').toLowerCase();
      const one = name ? commands.find((c) => c.name === name) : undefined;
      if (name && !one) {
        await context.reply(m.commands.unknown(name, undefined));
        return;
      }
      const row = (c: { usage: string; summary: string }) => `| \`${c.usage}\` | ${c.summary} |`;
      const body = one
        ? `\`${one.usage}\`: ${one.summary}`
        : [
            `#### ${m.commands.helpTitle}`,
            '',
            m.commands.helpIntro(context.botUser.username),
            '',
            `| ${m.commands.helpColumns.join(' | ')} |`,
            '|---|---|',
            ...commands.map(row),
          ].join('\n');
      await context.reply(body);
    },
  });
}
