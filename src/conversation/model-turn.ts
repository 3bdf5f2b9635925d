// Prose in an engaged issue, with a model: the model proposes spec fields (applied like any other patch,
// with their provenance) and answers the question the text asks. The tokens spent count for the issue.
import type { Context } from '../bot/context.ts';
import { answerQuestion } from '../llm/answer.ts';
import { extractSpecPatch } from '../llm/extract.ts';
import { BudgetExceeded, ModelOutputInvalid, type ModelSession } from '../llm/llm.ts';
import { sanitizeModelComment } from '../llm/sanitize.ts';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import { evaluateSpec } from '../pipeline-spec/evaluate.ts';
import { applyPatch } from '../pipeline-spec/patch.ts';
import { modelTrust, modelView, toolsFor } from './model-view.ts';
import { showCard } from './card-comment.ts';
import { owe, sendOwedReplies } from './outbox.ts';
import { conversationsOf } from './store.ts';
import { describeSourceFacts } from '../pipeline-spec/source-facts.ts';

/** Runs `work` with a model session for an issue; each call's tokens are added to the issue's count at once. */
export async function withModel<T>(ctx: Context, issueKey: string, work: (session: ModelSession) => Promise<T>): Promise<T> {
  const llm = ctx.llm!;
  const conversations = conversationsOf(ctx);
  const spent = (await conversations.load(issueKey)).model;
  const session = llm.session({ input: spent?.input ?? 0, output: spent?.output ?? 0 }, async (call) => {
    await conversations.update(issueKey, (c) => ({
      ...c,
      model: { input: (c.model?.input ?? 0) + call.input, output: (c.model?.output ?? 0) + call.output, model: llm.modelName },
    }));
  });
  return work(session);
}

/** The one-line answer when the model could not be used: its budget is spent, or it answered nonsense twice. */
export async function replyModelFailure(ctx: Context, key: string, err: unknown): Promise<boolean> {
  const m = await ctx.messages();
  if (err instanceof BudgetExceeded) await ctx.replyOnce(key, m.model.budget(err.scope));
  else if (err instanceof ModelOutputInvalid) await ctx.replyOnce(key, m.model.unreadable(err.problems));
  else return false;
  return true;
}

/**
 * Prose read by the model: an issue's description (`kind: 'issue'`) or a comment. Replies only when a field
 * changed, a value was refused, or the text asked something.
 */
export async function readProseWithModel(ctx: Context, input: { text: string; kind: 'issue' | 'comment'; author: string; replyKey: string; noteId?: number }): Promise<void> {
  const issueKey = ctx.resourceKey;
  const access = await ctx.actorMayAct();
  if (!access.allowed) {
    const m = await ctx.messages();
    return void (await ctx.replyOnce(input.replyKey, m.model.notForRole(access.required, access.actual)));
  }
  try {
    await withModel(ctx, issueKey, async (session) => {
      const config = await ctx.config();
      const m = await ctx.messages();
      const conversations = conversationsOf(ctx);
      const before = await conversations.load(issueKey);
      // Fields set by people below the model's role are not shown to it; its tools read what the request names.
      const trust = await modelTrust(ctx, ctx.resource!.iid);
      const view = await modelView(trust, before, { text: input.text });
      const { patch, question } = await extractSpecPatch(
        session,
        { text: input.text, kind: input.kind, author: input.author, spec: view.spec, sourceFacts: describeSourceFacts(before.source) },
        await toolsFor(ctx, view),
      );
      // Read again: the model's calls have added their tokens to the stored state meanwhile.
      const now = await conversations.load(issueKey);
      const applied = applyPatch(now.fields, patch, { kind: 'model', user: input.author, from: input.kind });
      const evaluation = evaluateSpec(applied.fields, config);
      const changes = [
        ...(applied.changed.length ? [`${m.replies.updated([...new Set(applied.changed)], evaluation.missing.length)} ${m.model.read}`] : []),
        ...(patch.problems.length ? [m.replies.notApplied(patch.problems.map((p) => describeProblem(p, m)))] : []),
      ];
      // What changed is owed from the moment it is saved, in the same write (see outbox.ts).
      const state = owe({ ...now, fields: applied.fields, lastTurn: { noteId: input.noteId, problems: patch.problems, notes: patch.notes } }, input.replyKey, changes.join('\n\n') || undefined);
      await conversations.save(issueKey, state);
      await showCard(ctx, state);
      if (question) {
        const answer = await answerQuestion(session, {
          question,
          asker: input.author,
          spec: (await modelView(trust, state, { text: input.text })).spec,
          missing: evaluation.missing,
          pack: String(evaluation.spec.pack ?? config.pack),
          sourceFacts: describeSourceFacts(state.source),
          language: await ctx.language(),
        });
        // One reply with what changed and the answer; a retried turn whose changes were told already answers
        // in a reply of its own rather than writing over them.
        const told = !changes.length && (await ctx.store.botNoteId(issueKey, `reply:${input.replyKey}`)) !== undefined;
        const key = told ? `${input.replyKey}:answer` : input.replyKey;
        await conversations.update(issueKey, (c) => owe(c, key, [...changes, sanitizeModelComment(answer, [input.author])].join('\n\n')));
      }
      await sendOwedReplies(ctx, issueKey);
    });
  } catch (err) {
    if (!(await replyModelFailure(ctx, input.replyKey, err))) throw err;
  }
}
