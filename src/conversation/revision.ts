// Prose and line comments on the bot's merge request, with a model: the model proposes a spec change (the
// branch is generated again), edits to the pipeline's own files (applied, validated, at most two rounds of
// corrections, one commit), or declines. The reply goes into the comment's thread.
import type { Context } from '../bot/context.ts';
import type { NotePayload } from '../bot/events.ts';
import { resourceKeyOf } from '../bot/events.ts';
import { reviseFiles, type RevisionAnswer, type RevisionInput } from '../llm/revise.ts';
import { sanitizeModelComment } from '../llm/sanitize.ts';
import { applyPatch } from '../pipeline-spec/patch.ts';
import { patchFromAnswer } from '../llm/extract.ts';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import { pipelineFolder } from '../pipeline-spec/layout.ts';
import { evaluateSpec } from '../pipeline-spec/evaluate.ts';
import { reportMarkdown } from '../validate/validate.ts';
import { validateForRepository } from './generation.ts';
import { regenerateOnReview, resolveThread } from './review.ts';
import { replyModelFailure, withModel } from './model-turn.ts';
import { modelTrust, modelView, toolsFor } from './model-view.ts';
import { showCard } from './card-comment.ts';
import { conversationsOf } from './store.ts';
import { BranchWork, issueOfBranch } from '../publish/publish.ts';

const MAX_CORRECTIONS = 2;

export async function reviseWithModel(ctx: Context<NotePayload>): Promise<void> {
  const note = ctx.payload.object_attributes;
  const mr = ctx.payload.merge_request!;
  const config = await ctx.config();
  const branch = mr.source_branch ?? '';
  const iid = issueOfBranch(branch, config.branch_prefix);
  if (iid === undefined) return;
  const m = await ctx.messages();
  const r = m.review;
  const key = String(note.id);
  const access = await ctx.actorMayAct();
  if (!access.allowed) return void (await ctx.replyOnce(key, r.mayNotRevise(access.required, access.actual)));

  const issue = { key: resourceKeyOf(ctx.projectId, { type: 'issue', iid }), iid };
  const conversations = conversationsOf(ctx);
  const state = await conversations.load(issue.key);
  if (!state.generation) return void (await ctx.replyOnce(key, r.noGeneration(iid)));
  const evaluation = evaluateSpec(state.fields, config);
  const spec = evaluation.spec;
  const folder = pipelineFolder(spec, config);
  const allowed = Object.keys(state.generation.files).filter((p) => p.startsWith(`${folder}/`));

  const work = await BranchWork.open(await ctx.publishTarget(), branch, { fromDefaultBranch: false });
  if (!work) return void (await ctx.replyOnce(key, r.noGeneration(iid)));
  const head = work.startedAt;
  try {
    // A retried job whose commit is on the branch already: only the reply was missing.
    const done = state.revisions?.[key];
    if (done && done === head) return void (await ctx.replyOnce(key, r.committed(done, '', [], ctx.actor?.username)));
    await work.checkOut(allowed);
    const files = Object.fromEntries(allowed.map((p) => [p, work.read(p) ?? '']));
    const position = note.position;
    const range = position?.line_range;
    // Fields set by people below the model's role are not shown to it; its tools read what the request names.
    const view = await modelView(await modelTrust(ctx, iid), state, { text: note.note });
    const input: RevisionInput = {
      comment: note.note,
      author: ctx.actor!.username,
      spec: view.spec,
      files,
      line: position?.new_path
        ? { path: position.new_path, line: range?.start?.new_line ?? position.new_line ?? position.old_line ?? 1, to: range?.end?.new_line ?? undefined }
        : undefined,
    };
    const tools = await toolsFor(ctx, view);
    const validate = async (edited: Record<string, string>) => {
      const report = await validateForRepository(Object.entries(edited).map(([path, content]) => ({ path, content })), spec.airflow_version === 2 ? 2 : 3, config);
      return report.findings.length ? reportMarkdown(report) : undefined;
    };
    await withModel(ctx, issue.key, async (session) => {
      const outcome = await reviseFiles(session, input, { validate, maxCorrections: MAX_CORRECTIONS, tools });
      switch (outcome.kind) {
        case 'none':
          return;
        case 'decline':
          return void (await ctx.replyOnce(key, sanitizeModelComment(r.declined(outcome.explanation), [input.author])));
        case 'spec':
          return reviseSpec(ctx, issue, outcome.answer, key);
        case 'outside':
          return void (await ctx.replyOnce(key, r.outside(outcome.paths)));
        case 'invalid':
          return void (await ctx.replyOnce(key, r.stillInvalid(outcome.report)));
        case 'edits': {
          for (const path of outcome.changed) work.write(path, outcome.files[path]!);
          const commit = await work.commit(`Revise pipeline ${String(spec.dag_id)}`, iid, outcome.explanation.split('\n')[0]);
          if (!commit) return void (await ctx.replyOnce(key, r.unchanged));
          // Recorded before the push: a retry after a crash finds the commit on the branch and only replies.
          await conversations.update(issue.key, (c) => ({ ...c, revisions: { ...c.revisions, [key]: commit } }));
          await work.push();
          const diff = await work.diff(head, commit);
          await ctx.replyOnce(key, r.revised(commit, sanitizeModelComment(outcome.explanation, [input.author]), diff));
          if (config.review.resolve_threads) await resolveThread(ctx);
          return;
        }
      }
    });
  } catch (err) {
    if (!(await replyModelFailure(ctx, key, err))) throw err;
  } finally {
    await work.done();
  }
}

/** A revision that is a spec change: the issue's spec changes, the card shows it, the branch is generated again. */
async function reviseSpec(ctx: Context<NotePayload>, issue: { key: string; iid: number }, answer: RevisionAnswer, key: string): Promise<void> {
  const m = await ctx.messages();
  const checked = patchFromAnswer(answer.set, answer.unset);
  const conversations = conversationsOf(ctx);
  const state = await conversations.load(issue.key);
  const applied = applyPatch(state.fields, checked, { kind: 'model', user: ctx.actor!.username, from: 'comment' });
  const next = { ...state, fields: applied.fields };
  await conversations.save(issue.key, next);
  await showCard(ctx, next, issue);
  const refused = checked.problems.length ? `\n\n${m.replies.notApplied(checked.problems.map((p) => describeProblem(p, m)))}` : '';
  if (!applied.changed.length) return void (await ctx.replyOnce(key, `${m.review.unchanged}${refused}`));
  const { reply, committed } = await regenerateOnReview(ctx, issue);
  await ctx.replyOnce(key, sanitizeModelComment(`${answer.explanation}\n\n${reply}${refused}`, [ctx.actor!.username]));
  if (committed && (await ctx.config()).review.resolve_threads) await resolveThread(ctx);
}
