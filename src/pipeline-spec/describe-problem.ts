// A problem with a spec field (a key and its parameters) as one sentence in the reader's language.
import type { Messages } from '../i18n/index.ts';
import type { Problem } from './patch.ts';

/** `field: what is wrong`, or the sentence alone when the problem names no field. */
export function describeProblem(problem: Problem, m: Messages, kind: 'problems' | 'notes' = 'problems'): string {
  const render = m.spec[kind][problem.key] ?? m.spec.problems['@invalid']!;
  const text = render(problem.params ?? {});
  return problem.path ? m.card.item(problem.path, text) : text.charAt(0).toUpperCase() + text.slice(1);
}
