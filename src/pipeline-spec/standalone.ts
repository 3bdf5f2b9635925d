// A whole spec given at once (a YAML file, a tool call) rather than built in a conversation: checked as a
// request is, with every problem in words.
import type { RepoConfig } from './repo-config.ts';
import { messages } from '../i18n/index.ts';
import { describeProblem } from './describe-problem.ts';
import { evaluateSpec } from './evaluate.ts';
import { applyPatch, checkPatch, patchFromObject } from './patch.ts';
import type { PipelineSpec } from './schema.ts';

export function specFromObject(raw: unknown, config: RepoConfig, overrides: Record<string, unknown> = {}): { spec: PipelineSpec } | { problems: string[] } {
  const m = messages('en');
  const patch = checkPatch(patchFromObject(raw));
  Object.assign(patch.set, overrides);
  const evaluation = evaluateSpec(applyPatch({}, patch, { kind: 'issue' }).fields, config);
  const problems = [...patch.problems, ...evaluation.errors].map((p) => describeProblem(p, m).replace(/`/g, ''));
  const refused = new Set(patch.problems.map((p) => p.path));
  problems.push(...evaluation.missing.filter((p) => !refused.has(p)).map((p) => `${p}: is needed`));
  return problems.length ? { problems } : { spec: evaluation.pipeline! };
}
