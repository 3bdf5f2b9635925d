// /cancel: drops the work that waits in the queue for this issue or merge request. Its job runs in a lane
// of its own (see src/bot/lanes.ts), so it is not itself stuck behind that work; a job already running
// finishes.
import { noArguments } from '../src/bot/arguments.ts';
import type { Bot } from '../src/bot/bot.ts';
import { noteTextOf } from '../src/bot/events.ts';

export function registerCancel(bot: Bot): void {
  bot.command({
    name: 'cancel',
    usage: 'cancel',
    summary: (m) => m.commands.summaries.cancel,
    where: ['issue', 'merge_request'],
    minAccessLevel: 'config',
    args: noArguments,
    run: async (ctx, _args, command) => {
      const m = await ctx.messages();
      const own = await ctx.store.jobIdOfDelivery(ctx.deliveryId);
      if (own === undefined) return;
      const user = ctx.actor!.username;
      const dropped = await ctx.store.cancelQueued(ctx.resourceKey, own, `cancelled by @${user}`);
      const running = await ctx.store.runningJobs(ctx.resourceKey);
      // A /generate that was waiting had said so in the status comment: it now says it will not run.
      const droppedDeliveries = await Promise.all(dropped.map(({ delivery_id }) => ctx.store.delivery(delivery_id)));
      const generations = droppedDeliveries.filter((delivery) => {
        const text = delivery ? noteTextOf(JSON.parse(delivery.body)) : '';
        return bot.commandsAnswered(text, ctx.botUser.username).some((c) => c.name === 'generate' || c.name === 'retry');
      });
      if (generations.length && ctx.resource?.type === 'issue') await ctx.upsertComment('status', `### ⚙️ ${m.cancel.generationCancelled(user)}`);
      await ctx.replyOnce(`${ctx.payload.object_attributes.id}:${command.line}`, m.cancel.done(dropped.length, running > 0));
    },
  });
}
