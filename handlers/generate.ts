// /generate, /retry and /preview in an issue.
import type { Bot } from '../src/bot/bot.ts';
import { engageWithIssue, showCard } from '../src/conversation/card-comment.ts';
import { generatePipeline, generationChecklist } from '../src/conversation/generation.ts';
import { previewPipeline } from '../src/conversation/preview.ts';
import { conversationsOf } from '../src/conversation/store.ts';
import { evaluateSpec } from '../src/pipeline-spec/evaluate.ts';
import { noArguments } from '../src/bot/arguments.ts';

export function registerGenerate(bot: Bot): void {
  // /retry runs the generation again after a failure: every step converges, so it is /generate once more.
  for (const name of ['generate', 'retry'] as const) bot.command({
    name,
    usage: name,
    summary: (m) => m.commands.summaries[name],
    where: ['issue'],
    minAccessLevel: 'config',
    args: noArguments,
    run: async (ctx, _args, command) => {
      // An issue the bot has not read yet (opened before the bot was added): its text is the request.
      const conversations = conversationsOf(ctx);
      const known = conversations.load(ctx.resourceKey);
      if (!known.engaged) {
        const state = await engageWithIssue(ctx, known);
        conversations.save(ctx.resourceKey, state);
        await showCard(ctx, state);
      }
      const outcome = await generatePipeline(ctx, { key: ctx.resourceKey, iid: ctx.resource!.iid });
      if (outcome.kind === 'incomplete') {
        const m = await ctx.messages();
        await ctx.replyOnce(`${ctx.payload.object_attributes.id}:${command.line}`, m.generate.incomplete(outcome.missing));
      }
    },
    // The status comment shows the job's place in line; a spec that is not complete yet waits silently (the
    // job will list what is missing).
    whileQueued: async (ctx, position, stillWaiting) => {
      const spec = evaluateSpec(conversationsOf(ctx).load(ctx.resourceKey).fields, await ctx.config()).pipeline;
      if (!spec) return;
      const issue = { key: ctx.resourceKey, iid: ctx.resource!.iid };
      await generationChecklist(ctx, await ctx.messages(), issue, spec.dag_id, stillWaiting).waiting(position);
    },
  });

  bot.command({
    name: 'preview',
    usage: 'preview',
    summary: (m) => m.commands.summaries.preview,
    where: ['issue'],
    args: noArguments,
    run: (ctx, _args, command) => previewPipeline(ctx, `${ctx.payload.object_attributes.id}:${command.line}`),
  });
}
