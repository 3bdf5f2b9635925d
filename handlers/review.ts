// The review loop: /set and /unset on the bot's merge request change the issue's spec, show its card, and
// generate the branch again; the reply in the thread gives the commit and its diffstat.
import type { Context } from '../src/bot/context.ts';
import type { NotePayload } from '../src/bot/events.ts';
import { resourceKeyOf } from '../src/bot/events.ts';
import { describeProblem } from '../src/spec/card.ts';
import { applyCommand } from '../src/spec/conversation.ts';
import { runGeneration } from './generate.ts';
import { issueOfBranch } from './merge-request.ts';
import { loadConversation, showCard } from './spec-card.ts';

export async function runReviewCommand(ctx: Context<NotePayload>, command: { set?: string[]; unset?: string[] }, line: number): Promise<void> {
  const m = await ctx.messages();
  const key = `${ctx.payload.object_attributes.id}:${line}`;
  const config = await ctx.config();
  const iid = issueOfBranch(ctx.payload.merge_request?.source_branch ?? '', config.branch_prefix);
  if (iid === undefined) return void (await ctx.replyOnce(key, m.spec.review.notOurs));
  const issue = { key: resourceKeyOf(ctx.projectId, { type: 'issue', iid }), iid };
  const turn = applyCommand(loadConversation(ctx, issue.key), { ...command, noteId: ctx.payload.object_attributes.id }, ctx.actor!.username);
  ctx.store.saveConversation(issue.key, turn.state);
  await showCard(ctx, turn.state, issue);
  const refused = turn.problems.map((p) => describeProblem(p, m));
  if (!turn.changed.length) return void (await ctx.replyOnce(key, m.spec.replies.notApplied(refused)));
  const outcome = await runGeneration(ctx, issue);
  const g = m.spec.review;
  const reply =
    outcome.kind === 'incomplete'
      ? m.spec.generate.incomplete(outcome.missing)
      : outcome.kind === 'failed'
        ? g.failed(iid)
        : outcome.commit
          ? g.committed(outcome.commit, outcome.diffStat ?? '')
          : g.unchanged;
  await ctx.replyOnce(key, refused.length ? `${reply}\n\n${m.spec.replies.notApplied(refused)}` : reply);
}
