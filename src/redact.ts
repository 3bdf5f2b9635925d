// The one redaction function: every log line, comment, stored payload and error passes through it.

export const MASK = '****';

const patterns: Array<[RegExp, string]> = [
  // The password of a URL's user info becomes **** (scheme, user, host and database stay readable)
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]*):([^\s@/'"`]+)@/gi, `$1:${MASK}@`],
  // password=…, pwd: …, secret=…, token=…, api_key=… (quoted or bare values)
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?token)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"`]+)/gi,
    `$1$2${MASK}`,
  ],
  // GitLab personal, deploy, runner, pipeline-trigger, feed … tokens
  [/\b(gl(?:pat|dt|rt|ptt|ft|imt|oas|soat|cbt|ffct|agent)-)[A-Za-z0-9_-]{16,}/g, `$1${MASK}`],
  // OpenAI-style API keys
  [/\b(sk-)(?:proj-)?[A-Za-z0-9_-]{16,}/g, `$1${MASK}`],
  // Authorization header values
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
];

// A cheap first look: text with none of these cannot match any pattern above (most strings of a payload).
const mayHoldSecret = /:\/\/[^\s/@]*:|pass|pwd|secret|token|key|gl[a-z]{1,5}-|sk-|bearer|basic/i;

// Values known to be secret at run time (the GitLab token, the webhook secrets, the model key).
const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  if (!mayHoldSecret.test(out)) return out;
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out;
}

/** Redacts every string inside a JSON-like value; returns a new value, the input is not changed. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item);
    return out as T;
  }
  return value;
}
