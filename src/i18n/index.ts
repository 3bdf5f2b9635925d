import { en, type Messages } from './en/index.ts';
import { ru } from './ru/index.ts';

export type Language = 'en' | 'ru';
export type { Messages };

const catalogs: Record<Language, Messages> = { en, ru };

export function messages(language: Language): Messages {
  return catalogs[language];
}

/** The language of a text's prose (code left out): Russian when most of its letters are Cyrillic, else English. */
export function detectLanguage(text: string): Language {
  const prose = text.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
  const cyrillic = prose.match(/[\u0400-\u04FF]/g)?.length ?? 0;
  const latin = prose.match(/[A-Za-z]/g)?.length ?? 0;
  return cyrillic > 0 && cyrillic >= latin ? 'ru' : 'en';
}
