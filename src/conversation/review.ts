// The review loop: /set and /unset on the bot's merge request change the issue's spec, show its card, and
// generate the branch again; the reply in the thread gives the commit and its diffstat.
import { mentions } from '../bot/commands.ts';
import type { Context } from '../bot/context.ts';
import type { NotePayload } from '../bot/events.ts';
import { resourceKeyOf } from '../bot/events.ts';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import { applyCommand } from './state.ts';
import { parseRequestText } from '../pipeline-spec/forms.ts';
import { checkPatch } from '../pipeline-spec/patch.ts';
import { issueOfBranch } from '../publish/publish.ts';
import { isGitLabError } from '../gitlab/client.ts';
import { generatePipeline } from './generation.ts';
import { showCard } from './card-comment.ts';
import { conversationsOf } from './store.ts';

/** A /set line for what a comment asks in `key: value` form (quoted as a shell would need it). */
export function suggestedSet(values: Record<string, unknown>): string {
  return `/set ${Object.entries(values)
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return /[\s"'\\]/.test(text) ? `${k}="${text.replace(/(["\\])/g, '\\$1')}"` : `${k}=${text}`;
    })
    .join(' ')}`;
}

/**
 * A comment on the bot's merge request that is no command: without a model the bot cannot edit files from
 * prose; it offers the /set a `key: value` comment amounts to, or says a model is needed.
 */
export async function answerReviewComment(ctx: Context<NotePayload>): Promise<void> {
  const note = ctx.payload.object_attributes;
  const config = await ctx.config();
  if (issueOfBranch(ctx.payload.merge_request?.source_branch ?? '', config.branch_prefix) === undefined) return;
  const m = await ctx.messages();
  const parsed = checkPatch(parseRequestText(note.note));
  const fields = Object.keys(parsed.set).length ? parsed.set : undefined;
  const isLineComment = note.type === 'DiffNote';
  // Prose addressed to the bot needs a model as much as a line comment does; other remarks are not ours.
  if (!fields && !isLineComment && !mentions(note.note, ctx.botUser.username)) return;
  await ctx.replyOnce(String(note.id), fields ? m.review.suggestSet(suggestedSet(fields)) : m.review.needsModel);
}

/** /set or /unset on the bot's merge request: the issue's spec changes and the branch is generated again. */
export async function changeSpecFromReview(ctx: Context<NotePayload>, command: { set?: string[]; unset?: string[] }, line: number): Promise<void> {
  const m = await ctx.messages();
  const key = `${ctx.payload.object_attributes.id}:${line}`;
  const config = await ctx.config();
  const iid = issueOfBranch(ctx.payload.merge_request?.source_branch ?? '', config.branch_prefix);
  if (iid === undefined) return void (await ctx.replyOnce(key, m.review.notOurs));
  const issue = { key: resourceKeyOf(ctx.projectId, { type: 'issue', iid }), iid };
  const conversations = conversationsOf(ctx);
  const turn = applyCommand(await conversations.load(issue.key), { ...command, noteId: ctx.payload.object_attributes.id }, ctx.actor!.username);
  await conversations.save(issue.key, turn.state);
  await showCard(ctx, turn.state, issue);
  const refused = turn.problems.map((p) => describeProblem(p, m));
  if (!turn.changed.length) return void (await ctx.replyOnce(key, m.replies.notApplied(refused)));
  const { reply, committed } = await regenerateOnReview(ctx, issue);
  await ctx.replyOnce(key, refused.length ? `${reply}\n\n${m.replies.notApplied(refused)}` : reply);
  if (committed && config.review.resolve_threads) await resolveThread(ctx);
}

/** After the spec changed from the merge request: the branch generated again, and the reply that says how. */
export async function regenerateOnReview(ctx: Context<NotePayload>, issue: { key: string; iid: number }): Promise<{ reply: string; committed: boolean }> {
  const m = await ctx.messages();
  const g = m.review;
  const outcome = await generatePipeline(ctx, issue);
  if (outcome.kind === 'incomplete') return { reply: m.generate.incomplete(outcome.missing), committed: false };
  if (outcome.kind === 'failed') return { reply: g.failed(issue.iid), committed: false };
  return outcome.commit ? { reply: g.committed(outcome.commit, outcome.diffStat ?? '', outcome.changed, ctx.actor?.username), committed: true } : { reply: g.unchanged, committed: false };
}

/** With `review.resolve_threads`, a thread whose request became a commit is resolved; others stay open. */
export async function resolveThread(ctx: Context<NotePayload>): Promise<void> {
  const note = ctx.payload.object_attributes;
  const mr = ctx.payload.merge_request;
  if (!mr || !note.discussion_id || (note.type !== 'DiffNote' && note.type !== 'DiscussionNote')) return;
  try {
    await ctx.gitlab.MergeRequestDiscussions.resolve(ctx.projectId, mr.iid, note.discussion_id, true);
  } catch (error) {
    // A thread GitLab does not count as resolvable is left as it is; anything else is the job's failure.
    if (!isGitLabError(error, 400)) throw error;
  }
}
