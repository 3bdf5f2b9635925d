// /generate, /retry and /preview.
import type { Bot } from '../src/bot/bot.ts';
import { generateFromIssue, generationChecklist } from '../src/conversation/generation.ts';
import { previewPipeline } from '../src/conversation/preview.ts';
import { retryLastFailure } from '../src/conversation/retry.ts';
import { conversationsOf } from '../src/conversation/store.ts';
import { evaluateSpec } from '../src/pipeline-spec/evaluate.ts';
import { noArguments } from '../src/bot/arguments.ts';

export function registerGenerate(bot: Bot): void {
  bot.command({
    name: 'generate',
    usage: 'generate',
    summary: (m) => m.commands.summaries.generate,
    where: ['issue'],
    minAccessLevel: 'config',
    args: noArguments,
    run: (ctx, _args, command) => generateFromIssue(ctx, `${ctx.payload.object_attributes.id}:${command.line}`),
    // The status comment shows the job's place in line; a spec that is not complete yet waits silently (the
    // job will list what is missing).
    whileQueued: async (ctx, position, stillWaiting) => {
      const spec = evaluateSpec((await conversationsOf(ctx).load(ctx.resourceKey)).fields, await ctx.config()).pipeline;
      if (!spec) return;
      const issue = { key: ctx.resourceKey, iid: ctx.resource!.iid };
      await generationChecklist(ctx, await ctx.messages(), issue, spec.dag_id, stillWaiting).waiting(position);
    },
  });

  bot.command({
    name: 'retry',
    usage: 'retry',
    summary: (m) => m.commands.summaries.retry,
    where: ['issue', 'merge_request'],
    minAccessLevel: 'config',
    args: noArguments,
    run: (ctx, _args, command) => retryLastFailure(ctx, `${ctx.payload.object_attributes.id}:${command.line}`),
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
