// /init in an issue: a merge request that sets the repository up for Dagwright.
import type { Bot } from '../src/bot/bot.ts';
import { noArguments } from '../src/bot/arguments.ts';
import { setUpRepository } from '../src/conversation/setup.ts';

export function registerInit(bot: Bot): void {
  bot.command({
    name: 'init',
    usage: 'init',
    summary: (m) => m.commands.summaries.init,
    where: ['issue'],
    minAccessLevel: 'config',
    args: noArguments,
    run: (ctx, _args, command) => setUpRepository(ctx, `${ctx.payload.object_attributes.id}:${command.line}`),
  });
}
