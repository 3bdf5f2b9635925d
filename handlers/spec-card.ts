// The spec card of an issue, shown from the issue itself or from its merge request.
import { createHash } from 'node:crypto';
import type { Context } from '../src/bot/context.ts';
import type { NotePayload } from '../src/bot/events.ts';
import { renderCard } from '../src/spec/card.ts';
import { newConversation, readIssue, type ConversationState } from '../src/spec/conversation.ts';
import { evaluateSpec } from '../src/spec/evaluate.ts';

const CARD = 'card';

/** On engagement: 👀 on the issue, once. */
export async function engage(ctx: Context, state: ConversationState): Promise<ConversationState> {
  if (!state.reacted) {
    const iid = ctx.resource!.iid;
    await ctx.gitlab.IssueAwardEmojis.award(ctx.projectId, iid, 'eyes').catch((err: unknown) => {
      if (!/taken|already/i.test(String((err as Error).message))) throw err;
    });
  }
  return { ...state, engaged: true, reacted: true, language: state.language ?? (await ctx.language()) };
}

/** Engaged by a comment or a command: the issue's own text is read too (the comment's fields win, being newer). */
export async function engageWithIssue(ctx: Context<NotePayload>, state: ConversationState): Promise<ConversationState> {
  const issue = ctx.payload.issue as { title?: string; description?: string | null };
  const fromIssue = readIssue({ ...state, fields: {} }, issue.title ?? '', issue.description ?? '');
  return engage(ctx, {
    ...fromIssue.state,
    fields: { ...fromIssue.state.fields, ...state.fields },
    lastTurn: state.lastTurn,
  });
}


export function loadConversation<T extends ConversationState = ConversationState>(ctx: Context, issueKey: string): T {
  return (ctx.store.conversation<T>(issueKey) ?? newConversation()) as T;
}

/** Shows the card; returns the state with the digest of what is shown (an unchanged card is not edited). */
export async function showCard(ctx: Context, state: ConversationState, issue = { key: ctx.resourceKey, iid: ctx.resource!.iid }): Promise<ConversationState> {
  const config = await ctx.config();
  const m = await ctx.messages();
  const evaluation = evaluateSpec(state.fields, config);
  const body = renderCard(
    {
      evaluation,
      config,
      secrets: state.secrets,
      problems: [...state.issueProblems, ...state.lastTurn.problems],
      notes: [...state.issueNotes, ...state.lastTurn.notes],
      proseFrom: state.lastTurn.proseFrom,
    },
    m,
  );
  const digest = createHash('sha256').update(body).digest('hex');
  if (digest === state.cardDigest && ctx.store.botNoteId(issue.key, CARD) !== undefined) return state;
  await ctx.upsertComment(CARD, body, { issue });
  const shown = { ...state, cardDigest: digest };
  ctx.store.saveConversation(issue.key, shown);
  return shown;
}

