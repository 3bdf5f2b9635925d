// Answers to questions in an engaged issue, grounded in the spec, what the bot knows of the source, and the
// template pack's documentation.
import fs from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { BUILTIN_PACKS_DIR } from '../render/render.ts';
import { ModelOutputInvalid, type ModelSession } from './llm.ts';
import { prompt } from './prompts.ts';

/** A pack's README (the built-in packs have one; a repository's own pack may not). */
export function packDocumentation(pack: string, repoPacksDir?: string): string | undefined {
  for (const dir of [repoPacksDir && path.join(repoPacksDir, pack), path.join(BUILTIN_PACKS_DIR, pack)]) {
    if (!dir) continue;
    const file = path.join(dir, 'README.md');
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  }
  return undefined;
}

export async function answerQuestion(
  session: ModelSession,
  input: { question: string; asker: string; spec: Record<string, unknown>; missing: string[]; pack: string; sourceFacts?: string; language: 'en' | 'ru' },
): Promise<string> {
  const parts = [
    `The spec so far:\n${Object.keys(input.spec).length ? toYaml(input.spec, { lineWidth: 0 }).trim() : '(empty)'}`,
    `Still missing: ${input.missing.length ? input.missing.join(', ') : 'nothing'}`,
    input.sourceFacts ? `About the source:\n${input.sourceFacts}` : 'About the source: nothing is known yet.',
    `Documentation of the pack:\n${packDocumentation(input.pack) ?? '(none)'}`,
    `The question, from @${input.asker}:\n<<<\n${input.question.trim()}\n>>>`,
    `Answer in ${input.language === 'ru' ? 'Russian' : 'English'}.`,
  ];
  const instructions = prompt('answer');
  const answer = await session.text({ instructions, prompt: parts.join('\n\n') });
  if (echoes(answer, instructions)) throw new ModelOutputInvalid(['the answer repeated the model\'s own instructions instead of answering']);
  return answer;
}

/** Whether a text repeats a sentence of the instructions word for word (a model asked to show its prompt). */
export function echoes(text: string, instructions: string): boolean {
  const normal = (t: string) => t.toLowerCase().replace(/\s+/g, ' ');
  const said = normal(text);
  return instructions
    .split(/(?<=[.:!?])\s+/)
    .map(normal)
    .some((sentence) => sentence.length >= 40 && said.includes(sentence.trim()));
}
