// /generate in an issue: the issue engaged if the bot had not read it yet, the pipeline generated, and how
// it ended kept (so /retry knows whether there is something to run again).
import type { Context } from '../bot/context.ts';
import type { NotePayload } from '../bot/events.ts';
import { engageWithIssue, showCard } from './card-comment.ts';
import { generatePipeline } from './generation.ts';
import { conversationsOf } from './store.ts';

export async function generateFromIssue(ctx: Context<NotePayload>, replyKey: string): Promise<void> {
  // An issue the bot has not read yet (opened before the bot was added): its text is the request.
  const conversations = conversationsOf(ctx);
  const known = conversations.load(ctx.resourceKey);
  if (!known.engaged) {
    const state = await engageWithIssue(ctx, known);
    conversations.save(ctx.resourceKey, state);
    await showCard(ctx, state);
  }
  const outcome = await generatePipeline(ctx, { key: ctx.resourceKey, iid: ctx.resource!.iid });
  const after = conversations.update(ctx.resourceKey, (c) => ({ ...c, lastGeneration: { at: Date.now(), outcome: outcome.kind } }));
  // The card shows the merge request now, and the start date the generation fixed.
  if (outcome.kind === 'done') await showCard(ctx, after);
  if (outcome.kind === 'incomplete') {
    const m = await ctx.messages();
    await ctx.replyOnce(replyKey, m.generate.incomplete(outcome.missing));
  }
}
