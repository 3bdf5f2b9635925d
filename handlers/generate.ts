// /generate and /preview in an issue: render the spec, validate it, and (for /generate) commit, push and
// open or update the merge request, with the status comment as a checklist.
import path from 'node:path';
import { z } from 'zod';
import type { Bot } from '../src/bot/bot.ts';
import type { Context } from '../src/bot/context.ts';
import { Checklist, generate, renderAndValidate, type Generation } from '../src/conversation/generation.ts';
import { engageWithIssue, loadConversation, showCard } from '../src/conversation/card-comment.ts';
import { describeProblem } from '../src/pipeline-spec/describe-problem.ts';
import type { WithModelUsage } from '../src/conversation/model-turn.ts';
import { evaluateSpec } from '../src/pipeline-spec/evaluate.ts';
import { RenderError } from '../src/render/render.ts';
import type { PipelineSpec } from '../src/pipeline-spec/schema.ts';
import type { Messages } from '../src/i18n/index.ts';
import { reportMarkdown } from '../src/validate/validate.ts';
import { fenced } from '../src/markdown.ts';

type State = WithModelUsage & { generation?: Generation };

const today = () => new Date().toISOString().slice(0, 10);

/** What keeps a spec from being rendered: the fields missing and the problems, as the card lists them. */
function missingOf(evaluation: ReturnType<typeof evaluateSpec>, m: Messages): string[] {
  return [...evaluation.missing, ...evaluation.errors.map((e) => describeProblem(e, m).replace(/`/g, ''))];
}

/** The spec ready to render, or the reasons it is not (the card's list). start_date is frozen at first use. */
async function readySpec(ctx: Context, state: State, issueKey: string): Promise<{ spec: PipelineSpec; state: State } | { missing: string[] }> {
  const evaluation = evaluateSpec(state.fields, await ctx.config());
  if (!evaluation.complete) return { missing: missingOf(evaluation, await ctx.messages()) };
  if ('start_date' in state.fields) return { spec: evaluation.spec as unknown as PipelineSpec, state };
  const frozen: State = { ...state, fields: { ...state.fields, start_date: { value: today(), provenance: { kind: 'default', from: 'dagwright' } } } };
  ctx.store.saveConversation(issueKey, frozen);
  return { spec: { ...(evaluation.spec as unknown as PipelineSpec), start_date: today() }, state: frozen };
}

export type GenerationOutcome =
  | { kind: 'incomplete'; missing: string[] }
  | { kind: 'failed' }
  | { kind: 'done'; commit: string | undefined; diffStat: string | undefined; mergeRequestIid: number; url: string };

/**
 * Generates the issue's pipeline onto its branch and merge request, reporting in the issue's status
 * comment. Used by /generate in the issue and by /set on the merge request.
 */
export async function runGeneration(ctx: Context, issue: { key: string; iid: number }): Promise<GenerationOutcome> {
  const m = await ctx.messages();
  const state = loadConversation<State>(ctx, issue.key);
  const ready = await readySpec(ctx, state, issue.key);
  if ('missing' in ready) return { kind: 'incomplete', missing: ready.missing };
  const config = await ctx.config();
  const publish = (body: string) => ctx.upsertComment('status', body, { issue });
  const usage = ready.state.model;
  const modelUsage = usage ? m.spec.model.usage(usage.model, usage.input, usage.output) : undefined;
  const checklist = new Checklist(m, m.spec.generate.title(ready.spec.dag_id), publish);
  try {
    const result = await generate(
      { ctx, m, config, spec: ready.spec, mirrors: ctx.mirrors, previous: ready.state.generation, issueIid: issue.iid, queuedMs: Math.max(0, Date.now() - ctx.receivedAt), today: today(), modelUsage },
      checklist,
    );
    if (result.kind === 'invalid') {
      await checklist.fail('validate', `${m.spec.generate.invalid}\n\n${result.report}`);
      return { kind: 'failed' };
    }
    if (result.kind === 'conflict') {
      await checklist.fail('commit', m.spec.generate.conflict(result.files));
      return { kind: 'failed' };
    }
    const saveGeneration = (announced: boolean) =>
      ctx.store.saveConversation(issue.key, { ...loadConversation<State>(ctx, issue.key), generation: { ...result.generation, announced } });
    // Saved before the status comment is edited (the next render's merge base must not be lost) and marked
    // announced after, so a crash in between makes the next run say that the merge request is open.
    saveGeneration(false);
    const g = m.spec.generate;
    const outcome = result.created || (!result.commit && !ready.state.generation?.announced)
      ? g.opened(result.mergeRequest.iid, result.mergeRequest.web_url)
      : result.commit
        ? g.updated(result.mergeRequest.iid, result.mergeRequest.web_url, result.commit)
        : `${g.noChanges} ${result.mergeRequest.web_url}`;
    await checklist.finish(modelUsage ? `✅ ${outcome}\n\n${modelUsage}` : `✅ ${outcome}`);
    saveGeneration(true);
    return { kind: 'done', commit: result.commit, diffStat: result.diffStat, mergeRequestIid: result.mergeRequest.iid, url: result.mergeRequest.web_url };
  } catch (err) {
    if (err instanceof RenderError) {
      await checklist.fail('render', err.message);
      return { kind: 'failed' };
    }
    throw err;
  }
}

export function registerGenerate(bot: Bot): void {
  // /retry runs the generation again after a failure: every step converges, so it is /generate once more.
  for (const name of ['generate', 'retry'] as const) bot.command({
    name,
    usage: name,
    summary: (m) => m.spec.commands[name],
    where: ['issue'],
    minAccessLevel: 'config',
    args: z.array(z.string()).max(0, 'it takes no arguments'),
    run: async (ctx, _args, command) => {
      // An issue the bot has not read yet (opened before the bot was added): its text is the request.
      const known = loadConversation(ctx, ctx.resourceKey);
      if (!known.engaged) {
        const state = await engageWithIssue(ctx, known);
        ctx.store.saveConversation(ctx.resourceKey, state);
        await showCard(ctx, state);
      }
      const outcome = await runGeneration(ctx, { key: ctx.resourceKey, iid: ctx.resource!.iid });
      if (outcome.kind === 'incomplete') {
        const m = await ctx.messages();
        await ctx.replyOnce(`${ctx.payload.object_attributes.id}:${command.line}`, m.spec.generate.incomplete(outcome.missing));
      }
    },
    // The status comment shows the job's place in line; a spec that is not complete yet waits silently (the
    // job will list what is missing).
    whileQueued: async (ctx, position, stillWaiting) => {
      const evaluation = evaluateSpec(loadConversation(ctx, ctx.resourceKey).fields, await ctx.config());
      if (!evaluation.complete) return;
      const m = await ctx.messages();
      const issue = { key: ctx.resourceKey, iid: ctx.resource!.iid };
      const publish = (body: string) => ctx.upsertComment('status', body, { issue, onlyIf: stillWaiting });
      await new Checklist(m, m.spec.generate.title((evaluation.spec as unknown as PipelineSpec).dag_id), publish).waiting(position);
    },
  });

  bot.command({
    name: 'preview',
    usage: 'preview',
    summary: (m) => m.spec.commands.preview,
    where: ['issue'],
    args: z.array(z.string()).max(0, 'it takes no arguments'),
    run: async (ctx, _args, command) => {
      const m = await ctx.messages();
      const config = await ctx.config();
      const key = `${ctx.payload.object_attributes.id}:${command.line}`;
      const evaluation = evaluateSpec(loadConversation(ctx, ctx.resourceKey).fields, config);
      if (!evaluation.complete) return void (await ctx.replyOnce(key, m.spec.generate.incomplete(missingOf(evaluation, m))));
      const given = evaluation.spec as unknown as PipelineSpec;
      const spec: PipelineSpec = { ...given, start_date: given.start_date ?? today() };
      try {
        // The repository's own template packs count, as they do for /generate.
        const project = ctx.payload.project as { git_http_url?: string; default_branch?: string | null };
        const mirror = await ctx.mirrors.fetch(ctx.projectId, project.git_http_url!);
        const work = await ctx.mirrors.workspace(mirror, project.default_branch || 'main');
        const { result, report } = await renderAndValidate(spec, config, today(), path.join(work.filesDir, '.dagwright', 'packs')).finally(() => work.done());
        const body = [
          `#### ${m.spec.generate.previewTitle(spec.dag_id, result.files.length)}`,
          '',
          ...result.files.map((f) => {
            const language = f.path.endsWith('.py') ? 'python' : f.path.endsWith('.sql') ? 'sql' : f.path.endsWith('.md') ? 'markdown' : '';
            return `<details><summary><code>${f.path}</code></summary>\n\n${fenced(language, f.content)}\n\n</details>\n`;
          }),
          reportMarkdown(report),
        ].join('\n');
        await ctx.replyOnce(key, body);
      } catch (err) {
        if (err instanceof RenderError) return void (await ctx.replyOnce(key, err.message));
        throw err;
      }
    },
  });
}
