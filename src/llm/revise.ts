// A reviewer's comment on the bot's merge request → a spec patch, search/replace edits to the pipeline's
// own files, or a reasoned decline. The edits are applied here, to the allowed files only; the caller
// validates the result and sends the report back (see `reviseFiles`).
import { tool, type ToolSet } from 'ai';
import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { fieldPath, fieldValues } from './extract.ts';
import type { ModelSession } from './llm.ts';
import { prompt } from './prompts.ts';

export const revisionSchema = z.object({
  action: z.enum(['spec', 'edit', 'decline', 'none']),
  set: fieldValues,
  unset: z.array(fieldPath),
  edits: z.array(z.object({ path: z.string(), search: z.string(), replace: z.string() })),
  explanation: z.string(),
});
export type RevisionAnswer = z.infer<typeof revisionSchema>;

export type RevisionInput = {
  comment: string;
  author: string;
  spec: Record<string, unknown>;
  /** The pipeline's files on the branch, by path: the only files an edit may touch. */
  files: Record<string, string>;
  /** For a line comment: where it sits (a range for a comment on several lines). */
  line?: { path: string; line: number; to?: number };
};

/** The lines around a line comment (`line` to `last`, marked with >), numbered, for the prompt. */
export function excerpt(content: string, line: number, around = 12, last = line): string {
  const lines = content.split('\n');
  const from = Math.max(1, line - around);
  const to = Math.min(lines.length, last + around);
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(`${String(n).padStart(4)}${n >= line && n <= last ? '>' : ' '} ${lines[n - 1]}`);
  return out.join('\n');
}

/** Applies search/replace edits to the allowed files; each search text must occur exactly once. */
export function applyEdits(files: Record<string, string>, edits: RevisionAnswer['edits']): { files: Record<string, string>; changed: string[] } | { problems: string[] } {
  const next = { ...files };
  const problems: string[] = [];
  const changed = new Set<string>();
  for (const edit of edits) {
    // A path is a file of the pipeline's only when it is one of its own keys (`__proto__`, `constructor` are not).
    const current = Object.hasOwn(next, edit.path) ? next[edit.path] : undefined;
    if (typeof current !== 'string') {
      problems.push(`${edit.path} is not one of the pipeline's files (${Object.keys(files).join(', ')})`);
      continue;
    }
    const at = edit.search ? current.indexOf(edit.search) : -1;
    if (at < 0) problems.push(`the search text of an edit to ${edit.path} is not in the file`);
    else if (current.indexOf(edit.search, at + 1) >= 0) problems.push(`the search text of an edit to ${edit.path} occurs more than once: give more lines`);
    else {
      next[edit.path] = current.slice(0, at) + edit.replace + current.slice(at + edit.search.length);
      changed.add(edit.path);
    }
  }
  return problems.length ? { problems } : { files: next, changed: [...changed] };
}

function task(input: RevisionInput): string {
  const parts = [
    `The spec:\n${toYaml(input.spec, { lineWidth: 0 }).trim()}`,
    `Allowed files: ${Object.keys(input.files).join(', ')}`,
  ];
  if (input.line && Object.hasOwn(input.files, input.line.path)) {
    const { line, to } = input.line;
    const where = to && to > line ? `lines ${line}-${to}` : `line ${line}`;
    parts.push(`The comment is on ${where} of ${input.line.path}:\n${excerpt(input.files[input.line.path]!, line, 12, to && to > line ? to : line)}`);
  } else if (input.line) {
    parts.push(`The comment is on line ${input.line.line} of ${input.line.path}, which is not one of the allowed files.`);
  }
  parts.push(`The comment by @${input.author}:\n<<<\n${input.comment.trim()}\n>>>`);
  return parts.join('\n\n');
}

/**
 * Asks the model for a revision. `feedback` (problems applying its edits, or the validation report of the
 * result) goes back with the same request for another round.
 */
export function proposeRevision(session: ModelSession, input: RevisionInput, feedback?: { answer: RevisionAnswer; problems: string }, sourceTools: ToolSet = {}): Promise<RevisionAnswer> {
  const readFile = tool({
    description: "Returns the current content of one of the pipeline's files (only the allowed files).",
    inputSchema: z.object({ path: z.string().describe('one of the allowed files') }),
    execute: async ({ path }) => (Object.hasOwn(input.files, path) ? input.files[path] : `not available: only ${Object.keys(input.files).join(', ')} can be read`),
  });
  let text = task(input);
  if (feedback) {
    text += `\n\nYour previous answer:\n${JSON.stringify(feedback.answer)}\n\nIt could not be used:\n${feedback.problems}\nAnswer again with this corrected.`;
  }
  return session.object({ instructions: prompt('revise'), prompt: text, schema: revisionSchema, tools: { ...sourceTools, read_file: readFile } });
}

export type RevisionOutcome =
  | { kind: 'none' }
  | { kind: 'decline'; explanation: string }
  | { kind: 'spec'; answer: RevisionAnswer }
  | { kind: 'outside'; paths: string[] }
  | { kind: 'invalid'; report: string }
  | { kind: 'edits'; files: Record<string, string>; changed: string[]; explanation: string };

/**
 * The whole revision: the model's proposal, and for edits their application to the allowed files and their
 * validation, with what went wrong sent back for at most `maxCorrections` more rounds. Touches nothing: the
 * caller commits the edited files or replies.
 */
export async function reviseFiles(
  session: ModelSession,
  input: RevisionInput,
  options: { validate: (files: Record<string, string>) => Promise<string | undefined>; maxCorrections: number; tools?: ToolSet },
): Promise<RevisionOutcome> {
  let answer = await proposeRevision(session, input, undefined, options.tools);
  for (let round = 0; ; round++) {
    if (answer.action === 'none') return { kind: 'none' };
    if (answer.action === 'decline') return { kind: 'decline', explanation: answer.explanation };
    if (answer.action === 'spec') return { kind: 'spec', answer };
    const outside = [...new Set(answer.edits.map((e) => e.path).filter((p) => !Object.hasOwn(input.files, p)))];
    if (outside.length) return { kind: 'outside', paths: outside };
    const applied = applyEdits(input.files, answer.edits);
    const problems = 'problems' in applied ? applied.problems.map((p) => `- ${p}`).join('\n') : await options.validate(applied.files);
    if (!problems && !('problems' in applied)) return { kind: 'edits', files: applied.files, changed: applied.changed, explanation: answer.explanation };
    if (round >= options.maxCorrections) return { kind: 'invalid', report: problems! };
    answer = await proposeRevision(session, input, { answer, problems: problems! }, options.tools);
  }
}
