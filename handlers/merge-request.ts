// The bot's merge requests: reviewed, merged (then Airflow is watched) or closed, the issue hears of it.
import type { Bot } from '../src/bot/bot.ts';
import { resourceKeyOf } from '../src/bot/events.ts';
import { issueOfBranch } from '../src/publish/publish.ts';
import { answerReviewComment } from '../src/conversation/review.ts';
import { reviseWithModel } from '../src/conversation/revision.ts';
import { reportMergePipeline, watchDeploy } from '../src/conversation/deploy-watch.ts';

export function registerMergeRequestEvents(bot: Bot): void {
  bot.on('note.merge_request', async (ctx) => {
    const note = ctx.payload.object_attributes;
    if (note.action !== 'create' || bot.commandsAnswered(note.note, ctx.botUser.username).length) return;
    await (ctx.llm ? reviseWithModel(ctx) : answerReviewComment(ctx));
  });

  bot.on('merge_request.merge', async (ctx) => {
    const iid = issueOfBranch(ctx.payload.object_attributes.source_branch, (await ctx.config()).branch_prefix);
    if (iid !== undefined) await watchDeploy(ctx, iid);
  });

  bot.on('merge_request.close', async (ctx) => {
    const mr = ctx.payload.object_attributes;
    const iid = issueOfBranch(mr.source_branch, (await ctx.config()).branch_prefix);
    if (iid === undefined) return;
    const m = await ctx.messages();
    const url = typeof mr.url === 'string' ? mr.url : '';
    await ctx.upsertComment('status', `### ${m.generate.closed(mr.iid, url)}`, { issue: { key: resourceKeyOf(ctx.projectId, { type: 'issue', iid }), iid } });
  });

  // A failed pipeline of a merge commit the bot is waiting for: the likely reason its DAG does not appear.
  bot.on('pipeline', (ctx) => reportMergePipeline(ctx));
}
