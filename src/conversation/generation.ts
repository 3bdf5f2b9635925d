// /generate: a complete spec becomes a branch, a commit and a merge request, reported step by step in the
// issue's status comment. Every step can run again after a crash and converge: the branch is pushed to the
// same name, the MR is looked up before it is created, an unchanged render makes no commit.
import path from 'node:path';
import type { Context } from '../bot/context.ts';
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import type { Mirrors } from '../git/repository.ts';
import { mergeFile } from '../git/repository.ts';
import { isGitLabError } from '../gitlab/client.ts';
import type { Messages } from '../i18n/index.ts';
import { renderPipeline, RenderError, type RenderedFile, type RenderResult } from '../render/render.ts';
import type { PipelineSpec } from '../pipeline-spec/schema.ts';
import { reportMarkdown, validateFiles } from '../validate/validate.ts';

/** The bot's branch for an issue's pipeline: `<branch_prefix><iid>-<dag_id>`. */
export function branchName(prefix: string, issueIid: number, dagId: string): string {
  return `${prefix}${issueIid}-${dagId}`;
}

/** The issue a bot branch belongs to, or undefined for a branch the bot did not make. */
export function issueOfBranch(branch: string, prefix: string): number | undefined {
  if (!branch.startsWith(prefix)) return undefined;
  const iid = branch.slice(prefix.length).match(/^(\d+)-[a-z][a-z0-9_]*$/)?.[1];
  return iid ? Number(iid) : undefined;
}

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
  private readonly title: string;
  private readonly publish: (body: string) => Promise<unknown>;

  constructor(m: Messages, title: string, publish: (body: string) => Promise<unknown>) {
    this.m = m;
    this.title = title;
    this.publish = publish;
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
    const g = this.m.spec.generate;
    const lines = [`### ⚙️ ${this.title}`, ''];
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

export type Generation = {
  /** The bot's last render of each file, the base of the three-way merge of the next one. */
  files: Record<string, string>;
  /** Whether the status comment has told the reader about this generation's merge request. */
  announced?: boolean;
};

export type GenerateInput = {
  ctx: Context;
  m: Messages;
  config: RepoConfig;
  spec: PipelineSpec;
  mirrors: Mirrors;
  previous: Generation | undefined;
  issueIid: number;
  queuedMs: number;
  today: string;
  /** The model's tokens spent on this issue, as a sentence, when a model took part. */
  modelUsage?: string;
};

export type GenerateResult =
  | { kind: 'invalid'; report: string }
  | { kind: 'conflict'; files: Array<{ path: string; lines: number[] }> }
  | { kind: 'done'; generation: Generation; mergeRequest: { iid: number; web_url: string }; commit: string | undefined; diffStat: string | undefined; created: boolean };

/** The bot as a commit's author and committer. */
export function identityOf(ctx: Context): { name: string; email: string } {
  const user = ctx.botUser as { username: string; name?: string; email?: string };
  const host = new URL((ctx.payload as { project: { web_url?: string } }).project.web_url ?? 'http://gitlab.invalid').hostname;
  return { name: user.name ?? user.username, email: user.email ?? `${user.username}@users.noreply.${host}` };
}

export function mergeRequestDescription(m: Messages, result: RenderResult, report: string, issueIid: number, modelUsage?: string): string {
  const s = result.plan.spec;
  const g = m.spec.generate;
  return [
    `#### ${g.mrSummary}`,
    '',
    s.description,
    '',
    `| | |`,
    '|---|---|',
    `| dag_id | \`${s.dag_id}\` |`,
    `| schedule | \`${s.schedule}\` (${s.timezone}) |`,
    `| source | \`${s.source.conn_id}\` ${s.source.table ? `\`${s.source.table}\`` : s.source.type} |`,
    `| target | \`${s.target.conn_id}\` \`${s.target.table}\` |`,
    `| load | ${s.load.strategy} |`,
    `| pack | ${result.plan.pack}, Airflow ${result.plan.airflow} |`,
    '',
    `#### ${g.mrGraph}`,
    '',
    '```mermaid',
    result.graph,
    '```',
    '',
    `#### ${g.mrFiles}`,
    '',
    ...result.files.map((f) => `- \`${f.path}\``),
    '',
    `#### ${g.mrValidation}`,
    '',
    report,
    '',
    ...(modelUsage ? [modelUsage, ''] : []),
    `Closes #${issueIid}`,
  ].join('\n');
}

/** Validates a render as the repository will hold it: the Airflow it targets, files only where it allows. */
function validateRender(result: RenderResult, config: RepoConfig) {
  return validateFiles(result.files, { airflowVersion: result.plan.airflow, roots: [config.dags_root, 'tests'] });
}

/** Renders and validates in one go, for /preview (/generate times the two as separate steps). */
export async function renderAndValidate(spec: PipelineSpec, config: RepoConfig, today: string, repoPacksDir?: string) {
  const result = renderPipeline(spec, config, { today, repoPacksDir });
  return { result, report: await validateRender(result, config) };
}

export async function generate(input: GenerateInput, checklist: Checklist): Promise<GenerateResult> {
  const { ctx, m, config, spec, mirrors, previous } = input;
  const project = (ctx.payload as { project: { git_http_url?: string; default_branch?: string | null; path_with_namespace: string } }).project;
  const target = project.default_branch || 'main';
  const branch = branchName(config.branch_prefix, input.issueIid, spec.dag_id);
  checklist.mark('queued', input.queuedMs);

  const mirror = await checklist.run('clone', () => mirrors.fetch(ctx.projectId, project.git_http_url!));
  const branchHead = await mirrors.branchHead(mirror, branch);
  const branchExists = branchHead !== undefined;
  const work = await mirrors.workspace(mirror, branchExists ? branch : target, branchHead);
  try {
    const result = await checklist.run('render', async () => renderPipeline(spec, config, { today: input.today, repoPacksDir: path.join(work.filesDir, '.dagwright', 'packs') }));
    const report = await checklist.run('validate', () => validateRender(result, config));
    const markdown = reportMarkdown(report);
    if (report.findings.length) return { kind: 'invalid', report: markdown };

    // Each file: the new render, merged three-way with what people changed on the branch since the last one.
    await work.checkOut(result.files.map((f) => f.path));
    const conflicts: Array<{ path: string; lines: number[] }> = [];
    const written: RenderedFile[] = [];
    for (const file of result.files) {
      const onBranch = work.read(file.path);
      const base = previous?.files[file.path];
      let content = file.content;
      if (onBranch !== undefined && base !== undefined) {
        const merged = await mergeFile(base, onBranch, file.content, work.dir);
        if ('conflicts' in merged) {
          conflicts.push({ path: file.path, lines: merged.conflicts });
          continue;
        }
        content = merged.merged;
      }
      written.push({ path: file.path, content });
    }
    if (conflicts.length) return { kind: 'conflict', files: conflicts };
    for (const file of written) work.write(file.path, file.content);

    const message = `${branchExists ? 'Update' : 'Add'} pipeline ${spec.dag_id}\n\nDagwright-Issue: ${project.path_with_namespace}#${input.issueIid}`;
    const commit = await checklist.run('commit', () => work.commit(message, identityOf(ctx)));
    await checklist.run('push', async () => {
      if (commit || !branchExists) await work.push(branch, (name) => remoteHead(ctx, name));
    });
    const diffStat = commit && branchExists ? await work.diffStat(`${commit}~1`, commit) : undefined;

    const description = mergeRequestDescription(m, result, markdown, input.issueIid, input.modelUsage);
    const { mergeRequest, created } = await checklist.run('mr', () => upsertMergeRequest(ctx, { branch, target, title: `Add pipeline ${spec.dag_id}`, description, labels: config.labels }));
    const generation: Generation = { files: Object.fromEntries(result.files.map((f) => [f.path, f.content])) };
    return { kind: 'done', generation, mergeRequest, commit, diffStat, created };
  } finally {
    await work.done();
  }
}

/** The commit a branch points at in GitLab, or undefined when there is no such branch. */
export async function remoteHead(ctx: Context, branch: string): Promise<string | undefined> {
  try {
    return ((await ctx.gitlab.Branches.show(ctx.projectId, branch)) as { commit: { id: string } }).commit.id;
  } catch (err) {
    if (isGitLabError(err, 404)) return undefined;
    throw err;
  }
}

/** The open MR of the branch, updated; or a new one (a 409 means another job just made it: use that one). */
export async function upsertMergeRequest(
  ctx: Context,
  mr: { branch: string; target: string; title: string; description: string; labels: string[] },
): Promise<{ mergeRequest: { iid: number; web_url: string }; created: boolean }> {
  const find = async () =>
    ((await ctx.gitlab.MergeRequests.all({ projectId: ctx.projectId, sourceBranch: mr.branch, state: 'opened' })) as Array<{ iid: number; web_url: string; description: string }>)[0];
  let existing = await find();
  if (!existing) {
    try {
      const created = (await ctx.gitlab.MergeRequests.create(ctx.projectId, mr.branch, mr.target, mr.title, {
        description: mr.description,
        labels: mr.labels.join(',') || undefined,
        removeSourceBranch: true,
      })) as { iid: number; web_url: string };
      return { mergeRequest: created, created: true };
    } catch (err) {
      if (!isGitLabError(err, 409)) throw err;
      existing = await find();
      if (!existing) throw err;
    }
  }
  if (existing.description !== mr.description) {
    await ctx.gitlab.MergeRequests.edit(ctx.projectId, existing.iid, { description: mr.description });
  }
  return { mergeRequest: existing, created: false };
}

export { RenderError };
