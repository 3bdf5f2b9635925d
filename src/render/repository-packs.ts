// Rendering with a repository's own template packs. Eta templates are JavaScript, and a repository's pack is
// code that people other than the operator wrote: it is rendered in a sandboxed child (no environment of the
// bot's, no network, only the pack and Dagwright's own sources visible), never in the bot's process. A spec
// whose pack the repository does not override renders in-process with the built-in packs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../pipeline-spec/schema.ts';
import { runSandboxed } from '../sandbox/run.ts';
import { mermaidGraph, planPipeline, RenderError } from './plan.ts';
import { renderPipeline, type RenderedFile, type RenderResult } from './render.ts';
import type { RenderProblem } from '../i18n/en/render.ts';

const appRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('./render-child.ts', import.meta.url));
const RENDER_TIMEOUT_MS = 60_000;

export type ChildAnswer =
  | { files: RenderedFile[] }
  | { renderError: { pack: string; field: string; problem: RenderProblem; params: Record<string, unknown> } }
  | { failure: string };

/** Whether `repoPacksDir` holds a pack of this name (which then takes the place of, or adds to, a built-in one). */
export function repositoryHasPack(repoPacksDir: string | undefined, pack: string): boolean {
  return !!repoPacksDir && /^[a-z0-9][a-z0-9_-]{0,62}$/.test(pack) && fs.existsSync(path.join(repoPacksDir, pack));
}

export async function renderWithRepositoryPacks(spec: PipelineSpec, config: RepoConfig, options: { today: string; repoPacksDir?: string }): Promise<RenderResult> {
  const pack = spec.pack ?? config.pack;
  if (!repositoryHasPack(options.repoPacksDir, pack)) return renderPipeline(spec, config, { today: options.today });
  const plan = planPipeline(spec, config, { today: options.today, pack });
  const nodePrefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)));
  const result = await runSandboxed({
    command: process.execPath,
    args: ['--no-warnings', childScript],
    readOnly: [...new Set([nodePrefix, path.join(appRoot, 'src'), path.join(appRoot, 'node_modules'), path.join(appRoot, 'package.json'), options.repoPacksDir!])],
    writable: [],
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', NODE_ENV: 'production' },
    cwd: '/tmp',
    stdin: JSON.stringify({ spec, config, today: options.today, repoPacksDir: options.repoPacksDir }),
    timeoutMs: RENDER_TIMEOUT_MS,
  });
  if (result.timedOut) throw new RenderError(pack, 'pack', 'packFailed', { why: `no answer within ${RENDER_TIMEOUT_MS / 1000} s` });
  let answer: ChildAnswer;
  try {
    answer = JSON.parse(result.stdout) as ChildAnswer;
  } catch {
    throw new RenderError(pack, 'pack', 'packFailed', { why: (result.stderr.trim().split('\n').at(-1) ?? '').slice(0, 300) || `exit ${result.code ?? result.signal}` });
  }
  if ('renderError' in answer) {
    const e = answer.renderError;
    throw new RenderError(e.pack, e.field, e.problem, e.params);
  }
  if ('failure' in answer) throw new RenderError(pack, 'pack', 'packFailed', { why: answer.failure.slice(0, 300) });
  return { files: answer.files, plan, graph: mermaidGraph(plan.tasks) };
}
