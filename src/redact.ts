// The one redaction function: every log line, comment, stored payload, prompt and error passes through it.
// What counts as a credential is src/secret-scan.ts's.
import { MASK, maskSecrets, registerSecret, scanSecrets } from './secret-scan.ts';

export { MASK, registerSecret };

export function redact(text: string): string {
  return maskSecrets(text);
}

/** How deep redactDeep walks; GitLab's payloads are a few levels deep, a log object about as much. */
export const MAX_REDACT_DEPTH = 64;

/**
 * Redacts every string inside a JSON-like value; returns a new value, the input is not changed. The strings
 * are scanned together, as one text, so the cost is one scan however many strings there are. What lies
 * deeper than MAX_REDACT_DEPTH is replaced by a note (intake refuses such payloads before they get here).
 */
export function redactDeep<T>(value: T): T {
  const strings: string[] = [];
  const collect = (item: unknown, depth: number): void => {
    if (typeof item === 'string') strings.push(item);
    else if (depth < MAX_REDACT_DEPTH && item !== null && typeof item === 'object') {
      for (const child of Array.isArray(item) ? item : Object.values(item)) collect(child, depth + 1);
    }
  };
  collect(value, 0);
  const redacted = redactAll(strings);
  let next = 0;
  const rebuild = (item: unknown, depth: number): unknown => {
    if (typeof item === 'string') return redacted[next++];
    if (item === null || typeof item !== 'object') return item;
    if (depth >= MAX_REDACT_DEPTH) return '[nested too deep]';
    if (Array.isArray(item)) return item.map((child) => rebuild(child, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(item)) out[key] = rebuild(child, depth + 1);
    return out;
  };
  return rebuild(value, 0) as T;
}

const SEPARATOR = '\n\n';

/** Redacts many strings with one scan of their concatenation; a mask never reaches across two strings. */
export function redactAll(strings: readonly string[]): string[] {
  if (!strings.length) return [];
  const joined = strings.join(SEPARATOR);
  const hits = scanSecrets(joined);
  if (!hits.length) return [...strings];
  const out: string[] = [];
  let offset = 0;
  let h = 0;
  for (const text of strings) {
    const end = offset + text.length;
    let result = '';
    let from = offset;
    while (h < hits.length && hits[h]!.start < end) {
      const hit = hits[h]!;
      const start = Math.max(hit.start, offset);
      const stop = Math.min(hit.end, end);
      if (!hit.masked && start < stop) {
        result += joined.slice(from, start) + MASK;
        from = stop;
      }
      if (hit.end > end) break;
      h++;
    }
    out.push(result + joined.slice(from, end));
    offset = end + SEPARATOR.length;
    while (h < hits.length && hits[h]!.end <= offset) h++;
  }
  return out;
}
