// The replies a conversation owes. A reply is recorded in the conversation in the same write as the change
// that makes it owed (one row, on either store engine), then sent, then crossed off: a job that fails in
// between leaves it owed, and the job's retry sends it. Sending is by the reply's key, so a reply sent just
// before a crash is edited, not posted twice.
import type { Context } from '../bot/context.ts';
import { conversationsOf, type Conversation } from './store.ts';

/** The conversation with `body` owed as the reply to `key` (unchanged when there is nothing to say). */
export function owe(state: Conversation, key: string, body: string | undefined): Conversation {
  if (!body) return state;
  return { ...state, outbox: [...(state.outbox ?? []).filter((o) => o.key !== key), { key, body }] };
}

/** Sends every reply the issue's conversation owes, crossing each off once GitLab has it. */
export async function sendOwedReplies(ctx: Context, issueKey = ctx.resourceKey): Promise<void> {
  const conversations = conversationsOf(ctx);
  for (const owed of (await conversations.load(issueKey)).outbox ?? []) {
    await ctx.replyOnce(owed.key, owed.body);
    await conversations.update(issueKey, (c) => ({ ...c, outbox: (c.outbox ?? []).filter((o) => o.key !== owed.key || o.body !== owed.body) }));
  }
}
