// /retry: runs again what failed last on this issue or merge request — a job that failed for good (its
// comment's commands or its event, all over again), or a generation that stopped at a failed step — and
// says so when nothing failed.
import type { Context } from '../bot/context.ts';
import type { NotePayload } from '../bot/events.ts';
import { generateFromIssue } from './generation.ts';
import { conversationsOf } from './store.ts';

export async function retryLastFailure(ctx: Context<NotePayload>, replyKey: string): Promise<void> {
  const m = await ctx.messages();
  const own = await ctx.store.jobIdOfDelivery(ctx.deliveryId);
  if (own === undefined) return;
  const failedJob = await ctx.store.lastFailedJob(ctx.resourceKey, own);
  const generation = ctx.resource?.type === 'issue' ? (await conversationsOf(ctx).load(ctx.resourceKey)).lastGeneration : undefined;
  const jobIsNewer = failedJob && (!generation || (failedJob.finished_at ?? 0) >= generation.at);
  if (failedJob && (jobIsNewer || generation?.outcome !== 'failed')) {
    await ctx.replyOnce(replyKey, m.retry.rerunning(failedJob.last_error ?? undefined));
    await ctx.rerunDelivery(failedJob.delivery_id);
    await ctx.store.markRetried(failedJob.id, own);
    return;
  }
  if (generation?.outcome === 'failed') {
    await generateFromIssue(ctx, replyKey);
    return;
  }
  await ctx.replyOnce(replyKey, m.retry.nothing(ctx.resource?.type === 'issue'));
}
