// The spec card of an issue, shown from the issue itself or from its merge request.
import { createHash } from 'node:crypto';
import type { Context } from '../bot/context.ts';
import type { NotePayload } from '../bot/events.ts';
import { renderCard } from './card.ts';
import { readIssue } from './state.ts';
import { conversationsOf, type Conversation } from './store.ts';
import { evaluateSpec, specDigestOf, type SpecEvaluation } from '../pipeline-spec/evaluate.ts';
import { targetEngineOf } from '../sources/connections.ts';
import { inspectForCard } from '../sources/introspect.ts';
import { applyPatch, checkPatch, emptyPatch } from '../pipeline-spec/patch.ts';

const CARD = 'card';

/** On engagement: 👀 on the issue, once. */
export async function engage(ctx: Context, state: Conversation): Promise<Conversation> {
  if (!state.reacted) {
    const iid = ctx.resource!.iid;
    await ctx.gitlab.IssueAwardEmojis.award(ctx.projectId, iid, 'eyes').catch((err: unknown) => {
      if (!/taken|already/i.test(String((err as Error).message))) throw err;
    });
  }
  return { ...state, engaged: true, reacted: true, language: state.language ?? (await ctx.language()) };
}

/** Engaged by a comment or a command: the issue's own text is read too (the comment's fields win, being newer). */
export async function engageWithIssue(ctx: Context<NotePayload>, state: Conversation): Promise<Conversation> {
  const issue = ctx.payload.issue;
  const fromIssue = readIssue({ ...state, fields: {} }, issue?.title ?? '', issue?.description ?? '');
  return engage(ctx, {
    ...fromIssue.state,
    fields: { ...fromIssue.state.fields, ...state.fields },
    lastTurn: state.lastTurn,
  });
}


const RETRY_FAILED_INSPECTION_MS = 5 * 60_000;

/**
 * When the spec names a source table, what inspecting it finds (read-only, on a connection the bot was given)
 * goes with the state: the columns, and for an incremental load the best watermark, fill the fields that
 * nobody gave (provenance "introspected"). Inspected again when the connection or the table changes, and a
 * failed inspection after a while.
 */
async function withSourceFacts(state: Conversation): Promise<Conversation> {
  const connId = state.fields['source.conn_id']?.value;
  const table = state.fields['source.table']?.value;
  if (typeof connId !== 'string' || typeof table !== 'string') return state.source ? { ...state, source: undefined } : state;
  const known = state.source;
  if (known && known.connId === connId && known.table === table && (!known.error || Date.now() - known.at < RETRY_FAILED_INSPECTION_MS)) return state;
  const facts = await inspectForCard(connId, table);
  if (facts.error) return { ...state, source: facts };
  const open = (path: string) => !(path in state.fields) || state.fields[path]!.provenance.kind === 'introspected';
  const patch = emptyPatch();
  if (open('source.columns') && facts.columns?.length) patch.set['source.columns'] = facts.columns;
  if (open('load.watermark') && state.fields['load.strategy']?.value === 'incremental' && facts.watermarks?.length) patch.set['load.watermark'] = facts.watermarks[0]!.column;
  // Values the spec would refuse (a column name it cannot use) are left out, not shown as the user's errors.
  const checked = checkPatch(patch);
  return { ...state, fields: applyPatch(state.fields, { ...checked, problems: [], notes: [] }, { kind: 'introspected' }).fields, source: facts };
}

/** The target's engine, from the target connection when the bot was given it (a field nobody gave). */
function withTargetType(state: Conversation): Conversation {
  const connId = state.fields['target.conn_id']?.value;
  const known = state.fields['target.type'];
  if (typeof connId !== 'string' || (known && known.provenance.kind !== 'introspected')) return state;
  const engine = targetEngineOf(connId);
  if (!engine || known?.value === engine) return state;
  const patch = emptyPatch();
  patch.set['target.type'] = engine;
  return { ...state, fields: applyPatch(state.fields, patch, { kind: 'introspected' }).fields };
}

function setSinceByAPerson(state: Conversation, path: string | undefined): boolean {
  const kind = path ? state.fields[path]?.provenance.kind : undefined;
  return kind === 'command' || kind === 'comment' || kind === 'model';
}

export function generatedMergeRequest(state: Conversation, evaluation: SpecEvaluation): { iid: number; url: string; behind: boolean } | undefined {
  const generated = state.generation?.mergeRequest;
  if (!generated) return undefined;
  const behind = !evaluation.pipeline || specDigestOf(evaluation.pipeline) !== generated.specDigest;
  return { iid: generated.iid, url: generated.url, behind };
}

/** Shows the card; returns the state with the digest of what is shown (an unchanged card is not edited). */
export async function showCard(ctx: Context, given: Conversation, issue = { key: ctx.resourceKey, iid: ctx.resource!.iid }): Promise<Conversation> {
  const state = withTargetType(await withSourceFacts(given));
  const conversations = conversationsOf(ctx);
  if (state !== given) await conversations.save(issue.key, state);
  const config = await ctx.config();
  const m = await ctx.messages();
  const evaluation = evaluateSpec(state.fields, config);
  const body = renderCard(
    {
      evaluation,
      config,
      secrets: state.secrets,
      // A problem of the issue's text is gone once someone gave that field since.
      problems: [...state.issueProblems.filter((p) => !setSinceByAPerson(state, p.path)), ...state.lastTurn.problems],
      notes: [...state.issueNotes, ...state.lastTurn.notes],
      proseFrom: state.lastTurn.proseFrom,
      source: state.source,
      mergeRequest: generatedMergeRequest(state, evaluation),
    },
    m,
  );
  const digest = createHash('sha256').update(body).digest('hex');
  if (digest === state.cardDigest && (await ctx.store.botNoteId(issue.key, CARD)) !== undefined) return state;
  await ctx.upsertComment(CARD, body, { issue });
  const shown = { ...state, cardDigest: digest };
  await conversations.save(issue.key, shown);
  return shown;
}

