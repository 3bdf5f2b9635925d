// The spec card of an issue, shown from the issue itself or from its merge request.
import { createHash } from 'node:crypto';
import type { Context } from '../src/bot/context.ts';
import { upsertBotComment } from '../src/gitlab/comments.ts';
import { renderCard } from '../src/spec/card.ts';
import { newConversation, type ConversationState } from '../src/spec/conversation.ts';
import { evaluateSpec } from '../src/spec/evaluate.ts';

const CARD = 'card';

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
  await upsertBotComment({
    gitlab: ctx.gitlab,
    store: ctx.store,
    projectId: ctx.projectId,
    resource: { type: 'issue', iid: issue.iid },
    resourceKey: issue.key,
    kind: CARD,
    botUserId: ctx.botUser.id,
    body,
  });
  const shown = { ...state, cardDigest: digest };
  ctx.store.saveConversation(issue.key, shown);
  return shown;
}

