// After a merge of one of the bot's merge requests: wait until Airflow has loaded that version of the DAG, then
// tell the issue (the status comment, edited, and one reply so people are notified). The wait is a queued job
// that looks again later (CheckAgainLater), so a restart or a redelivered merge does not lose it or report twice.
import { AirflowError, type AirflowClient } from '../airflow/client.ts';
import { judgeDeploy, nextCheckIn } from '../airflow/deploy-check.ts';
import type { Context } from '../bot/context.ts';
import type { MergeRequestPayload, PipelinePayload } from '../bot/events.ts';
import { resourceKeyOf } from '../bot/events.ts';
import { CheckAgainLater } from '../errors.ts';
import { isGitLabError } from '../gitlab/client.ts';
import type { LastSeen } from '../i18n/en/deploy.ts';
import type { Messages } from '../i18n/index.ts';
import { evaluateSpec } from '../pipeline-spec/evaluate.ts';
import { pipelineFolder } from '../pipeline-spec/layout.ts';
import type { DeployOutcome, DeployWatch } from '../store/deploy-watches.ts';
import { conversationsOf } from './store.ts';

/** Stack traces are cut to their last lines: the error is at the end, and a comment stays readable. */
const TRACE_LINES = 40;
const TRACE_CHARS = 4_000;

type Detail = {
  dagId: string;
  paused?: boolean;
  nextRun?: string | null;
  filename?: string;
  timestamp?: string;
  stackTrace?: string;
  pipelineUrl?: string;
  reason?: string;
  lastSeen?: LastSeen;
  checks?: number;
};

function issueRef(ctx: Context, iid: number) {
  return { key: resourceKeyOf(ctx.projectId, { type: 'issue', iid }), iid };
}

function mergeRef(watch: DeployWatch, ctx: Context): string {
  return `!${watch.mrIid}${ctx.project.webUrl ? ` (${ctx.project.webUrl}/-/merge_requests/${watch.mrIid})` : ''}`;
}

/** The merged DAG's id (its branch names it) and file (the bot's last render of it, else the spec's layout). */
async function mergedDag(ctx: Context, issueIid: number, branch: string): Promise<{ dagId: string; dagFile: string }> {
  const config = await ctx.config();
  const dagId = branch.slice(config.branch_prefix.length).replace(/^\d+-/, '');
  const conversation = await conversationsOf(ctx).load(resourceKeyOf(ctx.projectId, { type: 'issue', iid: issueIid }));
  const rendered = Object.keys(conversation.generation?.files ?? {}).find((f) => f.endsWith(`/${dagId}.py`) && f.startsWith(`${config.dags_root}/`));
  const spec = evaluateSpec(conversation.fields, config).spec as Record<string, any>;
  return { dagId, dagFile: rendered ?? `${pipelineFolder(spec, config)}/${dagId}.py` };
}

/**
 * The merge of the bot's merge request for issue `issueIid`: says it is merged, and (with an Airflow) starts the
 * watch and looks a first time; later looks are this same job, queued again.
 */
export async function watchDeploy(ctx: Context<MergeRequestPayload>, issueIid: number): Promise<void> {
  const mr = ctx.payload.object_attributes;
  const m = await ctx.messages();
  const url = typeof mr.url === 'string' ? mr.url : '';
  const issue = issueRef(ctx, issueIid);
  const airflow = ctx.airflow;
  if (!airflow) return void (await ctx.upsertComment('status', `### ✅ ${m.deploy.notConfigured(mr.iid, url)}`, { issue }));
  const dag = await mergedDag(ctx, issueIid, mr.source_branch);
  const updated = Date.parse((mr.updated_at ?? '').replace(' UTC', 'Z'));
  const mergedAt = Number.isNaN(updated) ? ctx.receivedAt : Math.min(updated, ctx.receivedAt);
  const watches = ctx.store.deployWatches;
  const watch = await watches.start({
    projectId: ctx.projectId,
    mrIid: mr.iid,
    issueIid,
    mergeSha: mr.merge_commit_sha ?? mr.last_commit?.id ?? null,
    dagId: dag.dagId,
    dagFile: dag.dagFile,
    mergedAt,
    deadline: mergedAt + airflow.settings.waitMs,
  });
  if (watch.checks === 0 && !watch.outcome) await ctx.upsertComment('status', `### ⏳ ${m.deploy.waiting(mr.iid, url, dag.dagId, airflow.settings.waitMs)}`, { issue });
  // Read again: a failed pipeline of the merge commit (another queue lane) may have ended the watch meanwhile.
  const current = (await watches.get(ctx.projectId, mr.iid))!;
  if (!current.outcome) await lookOnce(ctx, airflow, current, mr.target_branch);
  await reportIfDue(ctx, (await watches.get(ctx.projectId, mr.iid))!);
}

/** One look at Airflow: the watch ends (live, import error, refused, out of time) or the job asks to run again. */
async function lookOnce(ctx: Context, airflow: AirflowClient, watch: DeployWatch, targetBranch: string): Promise<void> {
  const watches = ctx.store.deployWatches;
  const relativeFile = watch.dagFile.slice((await ctx.config()).dags_root.length + 1);
  let seen: LastSeen;
  try {
    const source = await mergedSource(ctx, watch, targetBranch);
    const dag = await airflow.dag(watch.dagId);
    const importErrors = await airflow.importErrors();
    const dagSource = dag && source !== undefined ? await airflow.dagSource(dag).catch((err) => (err instanceof AirflowError && err.kind === 'forbidden' ? undefined : Promise.reject(err))) : undefined;
    const verdict = judgeDeploy({ dagId: watch.dagId, relativeFile, source, mergedAt: watch.mergedAt }, { dag, dagSource, importErrors });
    if (verdict.state === 'live') {
      await watches.end(watch, 'live', { dagId: watch.dagId, paused: verdict.dag.isPaused, nextRun: verdict.dag.nextRunAfter } satisfies Detail);
      return;
    }
    if (verdict.state === 'import_error') {
      const { filename, timestamp, stackTrace } = verdict.error;
      await watches.end(watch, 'import_error', { dagId: watch.dagId, filename, timestamp, stackTrace: cutTrace(stackTrace) } satisfies Detail);
      return;
    }
    // An update Airflow has not parsed yet: ask it to parse the file now (where the API allows), once.
    if (verdict.reason === 'old_version' && watch.checks === 0 && dag) await airflow.requestReparse(dag).catch(() => false);
    seen = { reason: verdict.reason };
  } catch (err) {
    if (err instanceof AirflowError && !err.transient) {
      await watches.end(watch, 'airflow_refused', { dagId: watch.dagId, reason: err.message } satisfies Detail);
      return;
    }
    if (!(err instanceof AirflowError)) throw err;
    ctx.log.warn({ err: err.message }, 'Airflow could not be read; looking again later');
    seen = { reason: 'airflow_error', message: err.message };
  }
  const remaining = watch.deadline - Date.now();
  if (remaining <= 0) {
    await watches.end(watch, 'not_seen', { dagId: watch.dagId, lastSeen: seen, checks: watch.checks + 1 } satisfies Detail);
    return;
  }
  await watches.looked(watch, JSON.stringify(seen));
  throw new CheckAgainLater(nextCheckIn(watch.checks, remaining, airflow.settings.checks), `Airflow has not loaded ${watch.dagId} yet`);
}

/**
 * The DAG file as merged, to compare with what Airflow parsed; undefined when the merge has no such file (then
 * the parse time decides). Other GitLab failures fail the look (the worker retries what may pass).
 */
async function mergedSource(ctx: Context, watch: DeployWatch, targetBranch: string): Promise<string | undefined> {
  try {
    const raw = (await ctx.gitlab.RepositoryFiles.showRaw(ctx.projectId, watch.dagFile, watch.mergeSha ?? targetBranch)) as unknown;
    return typeof raw === 'string' ? raw : raw instanceof Blob ? await raw.text() : undefined;
  } catch (err) {
    if (!isGitLabError(err, 404)) throw err;
    ctx.log.warn({ file: watch.dagFile }, 'the merge has no such DAG file; judging by parse time');
    return undefined;
  }
}

function cutTrace(trace: string): string {
  const lines = trace.trimEnd().split('\n');
  const tail = lines.slice(-TRACE_LINES).join('\n');
  const cut = tail.length > TRACE_CHARS ? tail.slice(-TRACE_CHARS) : tail;
  return (lines.length > TRACE_LINES || tail.length > TRACE_CHARS ? '…\n' : '') + cut.replace(/```/g, "'''");
}

/** A failed pipeline of a watched merge commit: the likely reason the DAG will not appear. */
export async function reportMergePipeline(ctx: Context<PipelinePayload>): Promise<void> {
  const pipeline = ctx.payload.object_attributes;
  if (pipeline.status !== 'failed' || !pipeline.sha) return;
  const watch = await ctx.store.deployWatches.bySha(ctx.projectId, pipeline.sha);
  if (!watch || watch.outcome) return;
  const url = typeof (pipeline as { url?: unknown }).url === 'string' ? String((pipeline as { url?: unknown }).url) : `#${pipeline.id}`;
  await ctx.store.deployWatches.end(watch, 'pipeline_failed', { dagId: watch.dagId, pipelineUrl: url } satisfies Detail);
  await reportIfDue(ctx, (await ctx.store.deployWatches.get(ctx.projectId, watch.mrIid))!);
}

/** Tells the issue how the watch ended, once: the status comment and a reply (both found again, never doubled). */
async function reportIfDue(ctx: Context, watch: DeployWatch): Promise<void> {
  if (!watch.outcome || watch.reportedAt) return;
  const m = await ctx.messages();
  const detail = JSON.parse(watch.detail ?? '{}') as Detail;
  const issue = issueRef(ctx, watch.issueIid);
  await ctx.upsertComment('status', reportBody(watch.outcome, detail, watch, ctx, m), { issue });
  await ctx.upsertComment(`deploy:${watch.mrIid}`, m.deploy.reply[watch.outcome](watch.dagId), { issue });
  await ctx.store.deployWatches.markReported(watch);
}

function reportBody(outcome: DeployOutcome, d: Detail, watch: DeployWatch, ctx: Context, m: Messages): string {
  const mr = mergeRef(watch, ctx);
  const link = ctx.airflow?.dagUrl(watch.dagId) ?? '';
  switch (outcome) {
    case 'live':
      return `### ${m.deploy.liveTitle(watch.dagId)}\n\n${m.deploy.live({ paused: d.paused === true, nextRun: d.nextRun ?? null, link, mr })}`;
    case 'import_error':
      return `### ${m.deploy.importErrorTitle(watch.dagId)}\n\n${m.deploy.importError(d.filename ?? watch.dagFile, d.timestamp ?? '', d.stackTrace ?? '', mr)}`;
    case 'not_seen':
      return `### ${m.deploy.notSeenTitle(watch.dagId, watch.deadline - watch.mergedAt)}\n\n${m.deploy.notSeen(d.checks ?? watch.checks, d.lastSeen ? m.deploy.lastSeen(d.lastSeen) : '—', mr)}`;
    case 'pipeline_failed':
      return `### ${m.deploy.pipelineFailedTitle(watch.dagId)}\n\n${m.deploy.pipelineFailed(d.pipelineUrl ?? '', mr)}`;
    case 'airflow_refused':
      return `### ${m.deploy.refusedTitle}\n\n${m.deploy.refused(d.reason ?? '')}`;
  }
}

/** Airflow's view of the DAG for /status: parsed or not, paused, the next run, the last runs and how long they took. */
export async function airflowStatus(ctx: Context, dagId: string, m: Messages): Promise<string> {
  const airflow = ctx.airflow;
  if (!airflow) return m.deploy.statusNotConfigured;
  const lines = [`**${m.deploy.statusTitle}**`];
  try {
    const dag = await airflow.dag(dagId);
    if (!dag) return [...lines, m.deploy.statusUnknown(dagId)].join('\n');
    lines.push(m.deploy.statusDag({ dagId, paused: dag.isPaused, parsed: dag.lastParsedTime, importErrors: dag.hasImportErrors, nextRun: dag.nextRunAfter, link: airflow.dagUrl(dagId) }));
    const runs = await airflow.dagRuns(dagId, 5);
    const seconds = (r: { startDate: string | null; endDate: string | null }) => (r.startDate && r.endDate ? Math.round((Date.parse(r.endDate) - Date.parse(r.startDate)) / 1000) : null);
    lines.push(m.deploy.statusRuns(runs.map((r) => ({ state: r.state, at: r.runAfter, seconds: seconds(r) }))));
  } catch (err) {
    if (!(err instanceof AirflowError)) throw err;
    lines.push(m.deploy.statusError(err.message));
  }
  return lines.join('\n');
}
