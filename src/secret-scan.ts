// Where credentials stand in a text. Linear in the text's length by construction: every scan looks for a
// literal (`://`, `-----BEGIN`) or walks maximal runs of name characters once, and what it reads after a hit
// is bounded or stops at the next hit; no pattern here can backtrack over the text. (The first version used
// regular expressions that retried a long run at every start position: 80k characters took 1.6 s.)
//
// Three sources, merged:
// - shapes the project knows: URL user info, `*_password=`/`*_secret:`/`*_token`/… assignments in env,
//   YAML, JSON, SQL and table forms, Authorization values, private key blocks, GitLab's and OpenAI's token
//   prefixes, a bare 40-character cloud secret key;
// - the token catalogue of secretlint's recommended preset (AWS, GCP, GitHub, Slack, npm, SendGrid, Shopify,
//   Hugging Face, Anthropic, Vault, Databricks, Docker, Figma, … — maintained with the scanners' knowledge);
// - values registered at run time (the bot's own token, webhook secrets, the model key).
import { rules as secretlintRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintRuleContext, SecretLintRuleReportHandler, SecretLintSourceCode } from '@secretlint/types';

export const MASK = '****';

export type SecretKind = 'uri' | 'password' | 'token';

export type SecretHit = {
  kind: SecretKind;
  /** The characters to mask: [start, end). */
  start: number;
  end: number;
  /** The value is the mask already (text redacted before): still a finding, nothing left to mask. */
  masked: boolean;
  /** For assignments, the name and connector as written (`db_password=`); for tokens, the kept prefix. */
  label?: string;
  /** For URIs: where the credential is used. */
  uri?: { scheme: string; host: string; database?: string; whole: [number, number] };
};

const MAX_VALUE = 1024;
const MAX_SCHEME = 32;

const isNameChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
const isSpace = (c: number) => c === 32 || c === 9;
const isWhite = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
const isSchemeChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45;

/** Names whose value is a credential, compared without `_`, `-` and case; matched at the name's end. */
const credentialNameEndings = [
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'secretkey',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'credential',
  'credentials',
  'authkey',
  'sessionkey',
  'signingkey',
  'encryptionkey',
];

function isCredentialName(name: string): boolean {
  const segment = name.slice(name.lastIndexOf('.') + 1).slice(-48);
  const lower = segment.toLowerCase();
  if (lower === 'pass' || lower.endsWith('_pass') || lower.endsWith('-pass') || lower === 'auth') return true;
  const compact = lower.replace(/[_-]/g, '');
  return credentialNameEndings.some((ending) => compact.endsWith(ending));
}

/** GitLab's token prefixes (personal, deploy, runner, trigger, feed, OAuth …) and OpenAI's. */
const tokenPrefixes = /^(gl(?:pat|dt|rt|ptt|ft|imt|oas|soat|cbt|ffct|agent|cdt|rtr|wt)-|sk-)/;

const unquoted = (value: string) => value.replace(/^["'`]|["'`]$/g, '').trim();

/** Values that stand for a credential without being one: references, templates, placeholders. */
function isPlaceholder(value: string): boolean {
  const inner = unquoted(value);
  if (!inner) return true;
  if (/^(\$\{|\{\{|\{%|<|%\(|\$[A-Za-z_]|%[A-Za-z_]+%)/.test(inner)) return true;
  if (/^\*{1,3}$/.test(inner)) return true;
  if (/^(null|none|nil|true|false|~|undefined|required|optional|changeme)$/i.test(inner)) return true;
  // Code that reads a credential from somewhere else is no credential.
  return /^(os\.environ|os\.getenv|Variable\.get|conn\.|env\.|process\.env|getpass|secrets?\.)/.test(inner);
}

type Sink = (hit: SecretHit) => void;

/** A value after a connector: quoted (to its closing quote, on one line) or bare (to a delimiter). */
function readValue(text: string, from: number): [number, number] | undefined {
  const first = text.charCodeAt(from);
  const limit = Math.min(text.length, from + MAX_VALUE);
  // SQL inside a quoted string doubles its quotes: `PASSWORD ''secret''` reads to the next doubled quote.
  if (first === 39 && text.charCodeAt(from + 1) === 39 && text.charCodeAt(from + 2) !== 39 && !isWhite(text.charCodeAt(from + 2))) {
    const close = text.indexOf("''", from + 2);
    return [from, close === -1 || close > limit ? limit : close + 2];
  }
  if (first === 34 || first === 39 || first === 96) {
    let i = from + 1;
    while (i < limit && text.charCodeAt(i) !== first && text.charCodeAt(i) !== 10) i += text.charCodeAt(i) === 92 ? 2 : 1;
    return [from, Math.min(i + 1, text.length)];
  }
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    // whitespace & ; , quotes ) } ] | stop a bare value
    if (isWhite(c) || c === 38 || c === 59 || c === 44 || c === 34 || c === 39 || c === 96 || c === 41 || c === 125 || c === 93 || c === 124) break;
    i++;
  }
  return i > from ? [from, i] : undefined;
}

/** After a credential's name: `=`, `:`, `=>`, `:=`, a table cell's `|`, or SQL's `PASSWORD 'x'` / `IDENTIFIED BY 'x'`. */
function connectorEnd(text: string, from: number, sqlForm: boolean): number | undefined {
  let i = from;
  const c0 = text.charCodeAt(i);
  if (c0 === 34 || c0 === 39) i++; // the closing quote of a quoted key
  const afterKey = i;
  let spaces = 0;
  while (spaces < 8 && isSpace(text.charCodeAt(i))) (i++, spaces++);
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  if (c === 61 && next === 62) i += 2; // =>
  else if (c === 58 && next === 61) i += 2; // :=
  else if (c === 61 || c === 58 || c === 124) i += 1;
  else if (sqlForm && i > afterKey && (c === 39 || c === 34 || text.startsWith(MASK, i))) return i;
  else return undefined;
  // `key::type` and `a=b==c` are no assignments.
  if (text.charCodeAt(i) === 58 || text.charCodeAt(i) === 61) return undefined;
  spaces = 0;
  while (spaces < 8 && isSpace(text.charCodeAt(i))) (i++, spaces++);
  return i;
}

function scanNames(text: string, sink: Sink): void {
  const length = text.length;
  let i = 0;
  let previous = '';
  while (i < length) {
    if (!isNameChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < length && isNameChar(text.charCodeAt(i))) i++;
    const name = text.slice(start, i);
    const before = previous;
    previous = name;
    // The user of a URL's user info (`https://token:…@host`) is the URI scan's.
    if (text.startsWith('://', start - 3)) continue;

    const prefix = tokenPrefixes.exec(name.slice(0, 16));
    if (prefix && name.length - prefix[0].length >= 16) {
      sink({ kind: 'token', start: start + prefix[0].length, end: i, masked: false, label: prefix[0] });
      continue;
    }
    // A token masked before keeps its prefix (`glpat-****`, `ghp_****`, `SG.****`).
    if (name.length <= 12 && /[-_.]$/.test(name) && text.startsWith(MASK, i)) {
      sink({ kind: 'token', start: i, end: i + MASK.length, masked: true, label: name });
      continue;
    }

    const lower = name.toLowerCase();
    if ((lower === 'bearer' || lower === 'basic' || lower === 'token') && text.charCodeAt(i) === 32) {
      let j = i + 1;
      const limit = Math.min(length, j + MAX_VALUE);
      while (j < limit && /[A-Za-z0-9._~+/=-]/.test(text[j]!)) j++;
      const value = text.slice(i + 1, j);
      // A bearer token is one whatever it looks like; after "Basic" or "Token" prose is told from a value by
      // its characters. A value with a known prefix keeps it.
      const looksLikeValue = lower === 'bearer' || /\d|[+/=]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value));
      if (value.length >= 8 && looksLikeValue) {
        const kept = tokenPrefixes.exec(value)?.[0] ?? '';
        sink({ kind: 'token', start: i + 1 + kept.length, end: j, masked: false, label: `${name} ${kept}` });
      } else if (text.startsWith(MASK, i + 1)) {
        sink({ kind: 'token', start: i + 1, end: i + 1 + MASK.length, masked: true, label: `${name} ` });
      }
      continue;
    }

    const sqlForm = lower === 'password' || (lower === 'by' && before.toLowerCase() === 'identified');
    if (!sqlForm && !isCredentialName(name)) continue;
    const valueStart = connectorEnd(text, i, sqlForm);
    if (valueStart === undefined) continue;
    if (text.startsWith(MASK, valueStart)) {
      sink({ kind: 'password', start: valueStart, end: valueStart + MASK.length, masked: true, label: text.slice(start, valueStart) });
      continue;
    }
    const value = readValue(text, valueStart);
    if (!value) continue;
    const raw = text.slice(value[0], value[1]);
    if (isPlaceholder(raw)) continue;
    sink({ kind: 'password', start: value[0], end: value[1], masked: unquoted(raw) === MASK, label: text.slice(start, valueStart) });
    i = Math.max(i, value[1]);
  }
}

/**
 * A URL's user info (after `://`: a user, a colon, the password, `@`, the host): the password is what lies
 * between the user's colon and the last `@` of the authority, so a password with `@` or `/` in it is masked
 * whole.
 */
function scanUris(text: string, sink: Sink): void {
  let at = text.indexOf('://');
  while (at !== -1) {
    const next = text.indexOf('://', at + 3);
    let schemeStart = at;
    while (schemeStart > 0 && at - schemeStart < MAX_SCHEME && isSchemeChar(text.charCodeAt(schemeStart - 1))) schemeStart--;
    const scheme = text.slice(schemeStart, at).replace(/^[^A-Za-z]+/, '');
    const bodyStart = at + 3;
    let end = bodyStart;
    const limit = Math.min(text.length, next === -1 ? text.length : next, bodyStart + MAX_VALUE);
    while (end < limit) {
      const c = text.charCodeAt(end);
      if (isWhite(c) || c === 34 || c === 39 || c === 96 || c === 60 || c === 62) break;
      end++;
    }
    const segment = text.slice(bodyStart, end);
    const lastAt = segment.lastIndexOf('@');
    const colon = segment.indexOf(':');
    const slash = segment.indexOf('/');
    if (scheme && lastAt > 0 && colon !== -1 && colon < lastAt && (slash === -1 || slash > colon)) {
      const hostPart = segment.slice(lastAt + 1);
      const host = hostPart.split(/[/?#,;|)]/, 1)[0]!.replace(/:\d+$/, '');
      const path = hostPart.slice(hostPart.split(/[/?#]/, 1)[0]!.length);
      const database = path.startsWith('/') ? path.slice(1).split(/[/?#,;|)]/, 1)[0] || undefined : undefined;
      const password = segment.slice(colon + 1, lastAt);
      const wholeEnd = bodyStart + lastAt + 1 + hostPart.split(/[,;|)]/, 1)[0]!.length;
      if (host && password && !isPlaceholder(password)) {
        sink({
          kind: 'uri',
          start: bodyStart + colon + 1,
          end: bodyStart + lastAt,
          masked: password === MASK,
          uri: { scheme: scheme.toLowerCase(), host, database, whole: [schemeStart + (text.slice(schemeStart, at).length - scheme.length), wholeEnd] },
        });
      }
    }
    at = next;
  }
}

/** `-----BEGIN … PRIVATE KEY-----` blocks: the key's body up to its END line. */
function scanPrivateKeys(text: string, sink: Sink): void {
  let begin = text.indexOf('-----BEGIN');
  // Where the next END line is; -1 once a search found none (then none lies after any later header either,
  // and searching again for each header would make the scan quadratic).
  let end = -2;
  while (begin !== -1) {
    const header = text.slice(begin, begin + 60);
    const close = header.indexOf('PRIVATE KEY');
    const headerEnd = close === -1 ? -1 : header.indexOf('-----', close);
    if (headerEnd !== -1) {
      const bodyStart = begin + headerEnd + 5;
      if (end !== -1 && end < bodyStart) end = text.indexOf('-----END', bodyStart);
      const bodyEnd = end === -1 ? Math.min(text.length, bodyStart + 10_000) : end;
      const body = text.slice(bodyStart, bodyEnd).trim();
      if (body) sink({ kind: 'token', start: bodyStart, end: bodyEnd, masked: body === MASK, label: text.slice(begin, bodyStart) });
      begin = text.indexOf('-----BEGIN', Math.max(bodyEnd, begin + 10));
    } else {
      begin = text.indexOf('-----BEGIN', begin + 10);
    }
  }
}

function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / value.length) * Math.log2(n / value.length);
  return bits;
}

/** A 40-character secret key on its own (AWS's shape): mixed case, digits, and the spread of a random value. */
function scanBareSecretKeys(text: string, sink: Sink): void {
  const isKeyChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 47;
  let i = 0;
  while (i < text.length) {
    if (!isKeyChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isKeyChar(text.charCodeAt(i))) i++;
    if (i - start !== 40 || text.charCodeAt(i) === 61 || isNameChar(text.charCodeAt(start - 1)) || isNameChar(text.charCodeAt(i))) continue;
    const value = text.slice(start, i);
    if (/[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value) && entropy(value) >= 4.3) {
      sink({ kind: 'token', start, end: i, masked: false, label: '' });
    }
  }
}

// secretlint's rules through their published interface (SecretLintRuleCreator): created once, each
// reporting the ranges it finds into the scan that runs.
let libraryReports: Array<readonly [number, number]> | undefined;
const libraryContext: SecretLintRuleContext = {
  sharedOptions: {},
  createTranslator: (() => (id: string) => ({ id, message: id, data: {} })) as unknown as SecretLintRuleContext['createTranslator'],
  report: (descriptor) => void libraryReports?.push(descriptor.range),
  ignore: () => undefined,
};
// URLs with user info are the URI scan's: it keeps placeholders (`<password>`) and the host readable.
const ownShapes = new Set(['@secretlint/secretlint-rule-database-connection-string', '@secretlint/secretlint-rule-basicauth']);
// Access key ids are scanned too: with the secret key beside them they are half of a credential.
const ruleOptions: Record<string, object> = { '@secretlint/secretlint-rule-aws': { enableIDScanRule: true } };
const libraryHandlers: SecretLintRuleReportHandler[] = secretlintRules
  .filter((rule) => rule.meta.type === 'scanner' && !ownShapes.has(rule.meta.id) && rule.meta.supportedContentTypes.some((t) => t === 'text' || t === 'all'))
  .map((rule) => rule.create(libraryContext, ruleOptions[rule.meta.id] ?? {}));

function scanWithCatalogue(text: string, sink: Sink): void {
  const source = {
    hasBOM: false,
    content: text,
    filePath: 'text.txt',
    physicalFilePath: undefined,
    contentType: 'text',
    ext: '.txt',
    getFilePath: () => 'text.txt',
    getPhysicalFilePath: () => undefined,
  } as unknown as SecretLintSourceCode;
  libraryReports = [];
  try {
    for (const handler of libraryHandlers) {
      // A rule for binary files may answer with a promise; text gets synchronous answers, and no failure of
      // a rule may escape as an unhandled rejection.
      const answer = handler.file?.(source);
      if (answer instanceof Promise) answer.catch(() => undefined);
    }
    for (const [start, end] of libraryReports) {
      // A token keeps its prefix (`ghp_`, `xoxb-`), which says what it was.
      const prefix = /^[A-Za-z]{1,10}[_.-]/.exec(text.slice(start, Math.min(end, start + 11)))?.[0] ?? '';
      sink({ kind: 'token', start: start + prefix.length, end, masked: false, label: prefix });
    }
  } finally {
    libraryReports = undefined;
  }
}

const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

/** The values registered so far (for a worker thread that redacts on this process's behalf). */
export function knownSecretValues(): string[] {
  return [...knownSecrets];
}

function scanKnown(text: string, sink: Sink): void {
  for (const secret of knownSecrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + secret.length)) {
      sink({ kind: 'token', start: at, end: at + secret.length, masked: false, label: '' });
    }
  }
}

/**
 * Every credential in a text, in order, without overlaps. Where the catalogue and a precise shape of our
 * own see the same credential, ours is kept (it knows where the value starts; the catalogue's ranges of
 * `KEY=value` shapes may start at the key).
 */
export function scanSecrets(text: string): SecretHit[] {
  if (!text) return [];
  const own: SecretHit[] = [];
  const sink: Sink = (hit) => void own.push(hit);
  scanKnown(text, sink);
  scanUris(text, sink);
  scanPrivateKeys(text, sink);
  scanNames(text, sink);
  scanBareSecretKeys(text, sink);
  const catalogue: SecretHit[] = [];
  scanWithCatalogue(text, (hit) => void catalogue.push(hit));
  const overlaps = (a: SecretHit, b: SecretHit) => a.start < b.end && b.start < a.end;
  const all = [...own, ...catalogue.filter((hit) => !own.some((o) => overlaps(o, hit)))].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SecretHit[] = [];
  for (const hit of all) {
    const last = merged.at(-1);
    if (last && hit.start < last.end) {
      if (hit.end > last.end) last.end = hit.end;
      continue;
    }
    merged.push({ ...hit });
  }
  return merged;
}

/** The text with every credential replaced by the mask (a token keeps its prefix). */
export function maskSecrets(text: string, hits: readonly SecretHit[] = scanSecrets(text)): string {
  if (!hits.length) return text;
  let out = '';
  let from = 0;
  for (const hit of hits) {
    if (hit.masked) continue;
    out += text.slice(from, hit.start) + MASK;
    from = hit.end;
  }
  return out + text.slice(from);
}
