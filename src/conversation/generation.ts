// Generating an issue's pipeline: the spec made ready, rendered, validated and published onto the issue's
// branch and merge request, each step shown in the issue's status comment. Used by /generate in the issue
// and by a change of the spec from the merge request. The status comment is a checklist: each step done,
// running, failed or to come, with its duration, the job's place in the queue while it waits, and the outcome.
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../bot/context.ts';
import type { Messages } from '../i18n/index.ts';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import type { SpecEvaluation } from '../pipeline-spec/evaluate.ts';
import { changedFields, evaluateSpec, specDigestOf } from '../pipeline-spec/evaluate.ts';
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../pipeline-spec/schema.ts';
import { repositoryPacksEnabled } from '../config.ts';
import { BUILTIN_PACKS_DIR, renderPipeline, RenderError, type RenderedFile, type RenderResult } from '../render/render.ts';
import { repositoryHasPack, renderWithRepositoryPacks } from '../render/repository-packs.ts';
import { reportMarkdown, validateFiles } from '../validate/validate.ts';
import { mergeRequestDescription } from './merge-request-text.ts';
import { announced, conversationsOf, type Conversation } from './store.ts';
import { engageWithIssue, showCard } from './card-comment.ts';
import type { NotePayload } from '../bot/events.ts';
import { BranchWork, pipelineBranch } from '../publish/publish.ts';

// ---- the status comment's checklist

export const STEPS = ['queued', 'clone', 'render', 'validate', 'commit', 'push', 'mr'] as const;
export type Step = (typeof STEPS)[number];

/** The status comment's checklist: each step done, running, failed or to come, with its duration. */
export class Checklist {
  private readonly started = new Map<Step, number>();
  private readonly finished = new Map<Step, number>();
  private failure: { step: Step; reason: string } | undefined;
  private position: number | undefined;
  private outcome: string | undefined;
  private readonly m: Messages;
  private readonly dagId: string;
  private readonly publish: (body: string) => Promise<unknown>;

  constructor(m: Messages, dagId: string, publish: (body: string) => Promise<unknown>) {
    this.m = m;
    this.dagId = dagId;
    this.publish = publish;
  }

  /** The heading says what the comment is about now: generating, generated, or stopped. */
  private heading(): string {
    const g = this.m.generate;
    if (this.failure) return `### ❌ ${g.titleFailed(this.dagId)}`;
    if (this.outcome) return `### ✅ ${g.titleDone(this.dagId)}`;
    return `### ⚙️ ${g.title(this.dagId)}`;
  }

  async run<T>(step: Step, work: () => Promise<T>): Promise<T> {
    this.started.set(step, performance.now());
    await this.publish(this.render());
    try {
      const result = await work();
      this.finished.set(step, performance.now());
      return result;
    } catch (err) {
      this.finished.set(step, performance.now());
      throw err;
    }
  }

  /** The job waits in the queue at this position (1 = next). */
  async waiting(position: number): Promise<void> {
    this.position = position;
    await this.publish(this.render());
  }

  mark(step: Step, ms: number): void {
    const now = performance.now();
    this.started.set(step, now - ms);
    this.finished.set(step, now);
  }

  async fail(step: Step, reason: string): Promise<void> {
    this.failure = { step, reason };
    await this.publish(this.render());
  }

  async finish(outcome: string): Promise<void> {
    this.outcome = outcome;
    await this.publish(this.render());
  }

  render(): string {
    const g = this.m.generate;
    const lines = [this.heading(), ''];
    for (const step of STEPS) {
      const started = this.started.get(step);
      const finished = this.finished.get(step);
      const failed = this.failure?.step === step;
      const box = failed ? '❌' : finished !== undefined ? '✅' : started !== undefined ? '⏳' : '⬜';
      const took = started !== undefined && finished !== undefined ? ` (${((finished - started) / 1000).toFixed(1)} s)` : '';
      if (step === 'queued' && this.position !== undefined && finished === undefined) lines.push(`- ⏳ ${g.steps[step]} (${g.position(this.position)})`);
      else lines.push(`- ${box} ${g.steps[step]}${took}`);
    }
    if (this.failure) lines.push('', g.failedAt(g.steps[this.failure.step]!, this.failure.reason), '', g.retryHint);
    if (this.outcome) lines.push('', this.outcome);
    return lines.join('\n');
  }
}

// ---- the generation

export const today = (): string => new Date().toISOString().slice(0, 10);

/** What keeps a spec from being rendered: the fields missing and the problems, as the card lists them. */
export function missingOf(evaluation: SpecEvaluation, m: Messages): string[] {
  return [...evaluation.missing, ...evaluation.errors.map((e) => describeProblem(e, m).replace(/`/g, ''))];
}

/**
 * Validates files as the repository will hold them: for the Airflow they target, only where it allows files,
 * and imported by the team's own Airflow when the server has it (AIRFLOW_PYTHON).
 */
export function validateForRepository(files: RenderedFile[], airflowVersion: 2 | 3, config: RepoConfig, airflowPython = process.env.AIRFLOW_PYTHON) {
  return validateFiles(files, { airflowVersion, roots: [config.dags_root, 'tests'], dagBag: airflowPython ? { python: airflowPython, dagsRoot: config.dags_root } : undefined });
}

/** Validates a render as the repository will hold it. */
/**
 * Renders the spec with the built-in packs or, where the server allows repository packs (REPO_PACKS=on), with
 * the repository's own from its default branch (`packs`), in the sandbox. A repository pack the server does
 * not use is said so, not silently replaced.
 */
export async function renderForRepository(spec: PipelineSpec, config: RepoConfig, packs: () => Promise<string | undefined>): Promise<RenderResult> {
  const pack = spec.pack ?? config.pack;
  if (repositoryPacksEnabled()) return renderWithRepositoryPacks(spec, config, { today: today(), repoPacksDir: await packs() });
  if (!fs.existsSync(path.join(BUILTIN_PACKS_DIR, pack)) && repositoryHasPack(await packs(), pack)) throw new RenderError(pack, 'pack', 'repositoryPacksOff', { pack });
  return renderPipeline(spec, config, { today: today() });
}

export function validateRender(result: RenderResult, config: RepoConfig) {
  return validateForRepository(result.files, result.plan.airflow, config);
}

/** The spec ready to render, or the reasons it is not (the card's list). start_date is frozen at first use. */
async function readySpec(ctx: Context, issueKey: string): Promise<{ spec: PipelineSpec; conversation: Conversation } | { missing: string[] }> {
  const conversations = conversationsOf(ctx);
  const conversation = await conversations.load(issueKey);
  const evaluation = evaluateSpec(conversation.fields, await ctx.config());
  if (!evaluation.pipeline) return { missing: missingOf(evaluation, await ctx.messages()) };
  if ('start_date' in conversation.fields) return { spec: evaluation.pipeline, conversation };
  const frozen = await conversations.update(issueKey, (c) => ({ ...c, fields: { ...c.fields, start_date: { value: today(), provenance: { kind: 'default', from: 'dagwright' } } } }));
  return { spec: { ...evaluation.pipeline, start_date: today() }, conversation: frozen };
}

export type GenerationOutcome =
  | { kind: 'incomplete'; missing: string[] }
  | { kind: 'failed' }
  | { kind: 'done'; commit: string | undefined; diffStat: string | undefined; mergeRequestIid: number; url: string; changed: string[] };

/** The status comment's checklist of an issue's generation. */
export function generationChecklist(ctx: Context, m: Messages, issue: { key: string; iid: number }, dagId: string, onlyIf?: () => boolean | Promise<boolean>): Checklist {
  return new Checklist(m, dagId, (body) => ctx.upsertComment('status', body, { issue, onlyIf }));
}

/** A commit's body: the fields changed (when known) and who asked, where. */
function commitBody(ctx: Context, changed: string[]): string | undefined {
  const where = ctx.resource ? `${ctx.resource.type === 'issue' ? '#' : '!'}${ctx.resource.iid}` : undefined;
  const lines = [
    ...(changed.length ? [`Fields changed: ${changed.join(', ')}.`] : []),
    ...(ctx.actor ? [`Asked by @${ctx.actor.username}${where ? ` in ${where}` : ''}.`] : []),
  ];
  return lines.length ? lines.join('\n') : undefined;
}

/** Generates the issue's pipeline onto its branch and merge request, reporting in the issue's status comment. */
export async function generatePipeline(ctx: Context, issue: { key: string; iid: number }): Promise<GenerationOutcome> {
  const ready = await readySpec(ctx, issue.key);
  if ('missing' in ready) return { kind: 'incomplete', missing: ready.missing };
  const { spec, conversation } = ready;
  const m = await ctx.messages();
  const g = m.generate;
  const config = await ctx.config();
  const usage = conversation.model;
  const modelUsage = usage ? m.model.usage(usage.model, usage.input, usage.output) : undefined;
  const checklist = generationChecklist(ctx, m, issue, spec.dag_id);
  checklist.mark('queued', Math.max(0, Date.now() - ctx.receivedAt));

  const branch = pipelineBranch(config.branch_prefix, issue.iid, spec.dag_id);
  const work = await checklist.run('clone', async () => BranchWork.open(await ctx.publishTarget(), branch, { fromDefaultBranch: true }));
  if (!work) throw new Error(`the repository of ${ctx.project.pathWithNamespace} is empty: there is no default branch to start from`);
  try {
    let result: RenderResult;
    try {
      result = await checklist.run('render', () => renderForRepository(spec, config, () => work.repositoryPacks()));
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      await checklist.fail('render', err.describe(m));
      return { kind: 'failed' };
    }
    const report = await checklist.run('validate', () => validateRender(result, config));
    const markdown = reportMarkdown(report);
    if (report.findings.length) {
      await checklist.fail('validate', `${g.invalid}\n\n${markdown}`);
      return { kind: 'failed' };
    }
    const { conflicts } = await work.writeRender(result.files, conversation.generation?.files);
    if (conflicts.length) {
      await checklist.fail('commit', g.conflict(conflicts));
      return { kind: 'failed' };
    }
    // The commit says what changed since the last generation and who asked for it.
    const previous = conversation.generation?.mergeRequest?.spec;
    const changed = previous ? changedFields(previous, spec) : [];
    const body = commitBody(ctx, changed);
    const commit = await checklist.run('commit', () => work.commit(`${work.isNew ? 'Add' : 'Update'} pipeline ${spec.dag_id}`, issue.iid, body));
    await checklist.run('push', async () => {
      if (commit || work.isNew) await work.push();
    });
    const diffStat = commit && !work.isNew ? await work.diffStat(`${commit}~1`, commit) : undefined;
    const description = mergeRequestDescription(m, result, markdown, issue.iid, modelUsage);
    const { mergeRequest, created } = await checklist.run('mr', () => work.mergeRequest({ title: `Add pipeline ${spec.dag_id}`, description, labels: config.labels }));

    const files = Object.fromEntries(result.files.map((f) => [f.path, f.content]));
    const merged = { iid: mergeRequest.iid, url: mergeRequest.web_url, specDigest: specDigestOf(spec), spec: spec as unknown as Record<string, unknown> };
    const saveGeneration = (announcement?: { delivery: string; text: string }) =>
      conversationsOf(ctx).update(issue.key, (c) => ({ ...c, generation: { files, announcement, mergeRequest: merged } }));
    // Saved before the status comment is edited (the next render's merge base must not be lost) and marked
    // announced after, so a crash in between makes the next run say that the merge request is open.
    await saveGeneration();
    const earlier = conversation.generation?.announcement;
    const outcome =
      !created && !commit && earlier?.delivery === ctx.deliveryId
        ? earlier.text
        : created || (!commit && !announced(conversation.generation))
          ? g.opened(mergeRequest.iid, mergeRequest.web_url)
          : commit
            ? g.updated(mergeRequest.iid, mergeRequest.web_url, commit)
            : `${g.noChanges} ${mergeRequest.web_url}`;
    await checklist.finish(modelUsage ? `✅ ${outcome}\n\n${modelUsage}` : `✅ ${outcome}`);
    await saveGeneration({ delivery: ctx.deliveryId, text: outcome });
    return { kind: 'done', commit, diffStat, mergeRequestIid: mergeRequest.iid, url: mergeRequest.web_url, changed };
  } finally {
    await work.done();
  }
}

/**
 * /generate in an issue: the issue engaged if the bot had not read it yet, the pipeline generated, how it
 * ended kept (so /retry knows whether there is something to run again), and the card brought up to date.
 */
export async function generateFromIssue(ctx: Context<NotePayload>, replyKey: string): Promise<void> {
  // An issue the bot has not read yet (opened before the bot was added): its text is the request.
  const conversations = conversationsOf(ctx);
  const known = await conversations.load(ctx.resourceKey);
  if (!known.engaged) {
    const state = await engageWithIssue(ctx, known);
    await conversations.save(ctx.resourceKey, state);
    await showCard(ctx, state);
  }
  const outcome = await generatePipeline(ctx, { key: ctx.resourceKey, iid: ctx.resource!.iid });
  const after = await conversations.update(ctx.resourceKey, (c) => ({ ...c, lastGeneration: { at: Date.now(), outcome: outcome.kind } }));
  // The card shows the merge request now, and the start date the generation fixed.
  if (outcome.kind === 'done') await showCard(ctx, after);
  if (outcome.kind === 'incomplete') {
    const m = await ctx.messages();
    await ctx.replyOnce(replyKey, m.generate.incomplete(outcome.missing));
  }
}
