// Prose → a spec patch: the model proposes field values (checked by the spec's own field schemas, like any
// request form) and says whether the text asks it a question.
import { stringify as toYaml } from 'yaml';
import type { ToolSet } from 'ai';
import { z } from 'zod';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import { scalar } from '../pipeline-spec/forms.ts';
import { checkPatch, emptyPatch, type SpecPatch } from '../pipeline-spec/patch.ts';
import { FIELD_PATHS } from '../pipeline-spec/schema.ts';
import { messages } from '../i18n/index.ts';
import type { ModelSession } from './llm.ts';
import { prompt } from './prompts.ts';

/** A spec field's dotted path, as the model may name it. */
export const fieldPath = z.enum(FIELD_PATHS as [string, ...string[]]);
/** Field values as the model writes them: each a path and its value in YAML. */
export const fieldValues = z.array(z.object({ path: fieldPath, value: z.string().describe('the value, written as YAML') }));

export const extractionSchema = z.object({
  set: fieldValues,
  unset: z.array(fieldPath),
  question: z.string().nullable().describe('the question the text asks, or null'),
});

export type Extraction = { patch: SpecPatch; question: string | undefined };

/** The model's field values as a checked spec patch (values the spec refuses become its problems). */
export function patchFromAnswer(set: z.infer<typeof fieldValues>, unset: string[]): SpecPatch {
  const patch = emptyPatch();
  for (const { path, value } of set) patch.set[path] = scalar(value);
  patch.unset.push(...unset);
  return checkPatch(patch);
}

/**
 * What a text (an issue's description or a comment) gives the spec, read by the model. Values the spec
 * refuses are sent back once with the reasons; those still wrong are returned as the patch's problems.
 */
export async function extractSpecPatch(
  session: ModelSession,
  input: { text: string; kind: 'issue' | 'comment'; author: string; spec: Record<string, unknown>; sourceFacts?: string },
  tools?: ToolSet,
): Promise<Extraction> {
  const current = Object.keys(input.spec).length ? toYaml(input.spec, { lineWidth: 0 }).trim() : '(empty)';
  const facts = input.sourceFacts ? `\n\nWhat the bot found in the source:\n${input.sourceFacts}` : '';
  const task = `The spec so far:\n${current}${facts}\n\nThe ${input.kind === 'issue' ? "issue's description" : 'comment'} by @${input.author}:\n<<<\n${input.text.trim()}\n>>>`;
  const first = await session.object({ instructions: prompt('extract'), prompt: task, schema: extractionSchema, tools });
  let patch = patchFromAnswer(first.set, first.unset);
  let answer = first;
  if (patch.problems.length) {
    const en = messages('en');
    const problems = patch.problems.map((p) => describeProblem(p, en).replace(/`/g, ''));
    answer = await session.object({
      instructions: prompt('extract'),
      prompt: `${task}\n\nThese values of your previous answer were refused:\n${problems.map((p) => `- ${p}`).join('\n')}\nAnswer again with them corrected, or left out.`,
      schema: extractionSchema,
      tools,
    });
    patch = patchFromAnswer(answer.set, answer.unset);
  }
  return { patch, question: answer.question?.trim() || undefined };
}
