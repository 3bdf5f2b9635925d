// /preview: the files /generate would write for the spec as it stands, and their validation, in one reply.
// The repository's own template packs (from its default branch, where the server allows them) count, as they
// do for /generate; nothing is committed.
import type { Context } from '../bot/context.ts';
import { evaluateSpec } from '../pipeline-spec/evaluate.ts';
import { fenced } from '../markdown.ts';
import { RenderError } from '../render/render.ts';
import { reportMarkdown } from '../validate/validate.ts';
import { missingOf, renderForRepository, today, validateRender } from './generation.ts';
import { conversationsOf } from './store.ts';

const languageOf = (file: string) => (file.endsWith('.py') ? 'python' : file.endsWith('.sql') ? 'sql' : file.endsWith('.md') ? 'markdown' : '');

export async function previewPipeline(ctx: Context, replyKey: string): Promise<void> {
  const m = await ctx.messages();
  const config = await ctx.config();
  const evaluation = evaluateSpec((await conversationsOf(ctx).load(ctx.resourceKey)).fields, config);
  if (!evaluation.pipeline) return void (await ctx.replyOnce(replyKey, m.generate.incomplete(missingOf(evaluation, m))));
  const spec = { ...evaluation.pipeline, start_date: evaluation.pipeline.start_date ?? today() };
  const work = await ctx.workspace();
  try {
    const repository = await ctx.repository();
    const result = await renderForRepository(spec, config, async () => (repository.defaultBranch ? work.packsOf(repository.defaultBranch) : undefined));
    const report = await validateRender(result, config);
    const body = [
      `#### ${m.generate.previewTitle(spec.dag_id, result.files.length)}`,
      '',
      ...result.files.map((f) => `<details><summary><code>${f.path}</code></summary>\n\n${fenced(languageOf(f.path), f.content)}\n\n</details>\n`),
      reportMarkdown(report),
    ].join('\n');
    await ctx.replyOnce(replyKey, body);
  } catch (err) {
    if (err instanceof RenderError) return void (await ctx.replyOnce(replyKey, err.describe(m)));
    throw err;
  } finally {
    await work.done();
  }
}
