// The model's instructions: one markdown file per task in prompts/, read once.
import fs from 'node:fs';

const dir = new URL('../../prompts/', import.meta.url);
const cache = new Map<string, string>();

export function prompt(name: 'extract' | 'answer' | 'revise'): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(new URL(`${name}.md`, dir), 'utf8').trim();
    cache.set(name, text);
  }
  return text;
}
