// The bot's merge requests: merged or closed, the issue hears of it.
import type { Bot } from '../src/bot/bot.ts';
import { resourceKeyOf } from '../src/bot/events.ts';
import { issueOfBranch } from '../src/publish/publish.ts';
import { answerReviewComment } from '../src/conversation/review.ts';
import { reviseWithModel } from '../src/conversation/revision.ts';

export function registerMergeRequestEvents(bot: Bot): void {
  bot.on('note.merge_request', async (ctx) => {
    const note = ctx.payload.object_attributes;
    if (note.action !== 'create' || bot.commandsAnswered(note.note, ctx.botUser.username).length) return;
    await (ctx.llm ? reviseWithModel(ctx) : answerReviewComment(ctx));
  });

  bot.on(['merge_request.merge', 'merge_request.close'], async (ctx) => {
    const mr = ctx.payload.object_attributes;
    const config = await ctx.config();
    const iid = issueOfBranch(mr.source_branch, config.branch_prefix);
    if (iid === undefined) return;
    const m = await ctx.messages();
    const url = typeof mr.url === 'string' ? mr.url : '';
    const body =
      mr.action === 'merge'
        ? `### ✅ ${m.generate.merged(mr.iid, url)}`
        : `### ${m.generate.closed(mr.iid, url)}`;
    await ctx.upsertComment('status', body, { issue: { key: resourceKeyOf(ctx.projectId, { type: 'issue', iid }), iid } });
  });
}
