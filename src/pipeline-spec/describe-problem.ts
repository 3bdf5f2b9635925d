// A problem with a spec field (a key and its parameters) as one sentence in the reader's language.
import type { Messages } from '../i18n/index.ts';
import type { Problem } from './patch.ts';

/** `field: what is wrong`, or the sentence alone when the problem names no field. */
export function describeProblem(problem: Problem, m: Messages, kind: 'problems' | 'notes' = 'problems'): string {
  const render = m.spec[kind][problem.key] ?? m.spec.problems['@invalid']!;
  const text = render(problem.params ?? {});
  return problem.path ? `${pathForPeople(problem.path, m)}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
}

/** `quality.1.check` as people count: `quality` item 2 `check`. */
export function pathForPeople(path: string, m: Messages): string {
  const parts: string[] = [];
  let names: string[] = [];
  const flush = () => {
    if (names.length) parts.push(`\`${names.join('.')}\``);
    names = [];
  };
  for (const segment of path.split('.')) {
    if (/^\d+$/.test(segment)) {
      flush();
      parts.push(m.card.nth(Number(segment) + 1));
    } else names.push(segment);
  }
  flush();
  return parts.join(' ');
}
