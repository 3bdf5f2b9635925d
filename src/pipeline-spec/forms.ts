// The request forms the bot reads in issues and comments (pipeline-spec.md, "Request forms"): yaml blocks,
// `key: value` lines with dotted paths, the old chat front end's parameter table, and /set, /unset. Each
// gives a spec patch; credentials are found and left out, their URL only proposing a source.
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { proseLines } from '../markdown.ts';
import { DATABASE_TYPES, FIELD_PATHS, SOURCE_TYPES } from './schema.ts';
import { emptyPatch, mergePatches, patchFromObject, suggestFieldForLine, type SpecPatch } from './patch.ts';
import { findSecrets, proposeSource, type SecretFinding } from './secrets.ts';

/** Comments longer than this are not read (a pasted log, a dump). */
export const MAX_REQUEST_CHARS = 64 * 1024;

export type ParsedRequest = SpecPatch & {
  /** Whether the text held any request form at all (a block, a table, a field line). */
  structured: boolean;
  secrets: SecretFinding[];
  /** Fields a connection URL suggests (source type, conn_id, system), for what the request leaves open. */
  proposed: Record<string, unknown>;
};

const fence = /^ {0,3}(`{3,}|~{3,})[ \t]*([\w-]*)[^\n]*\n([\s\S]*?)\n {0,3}\1[ \t]*$/gm;

function yamlBlocks(text: string): SpecPatch[] {
  const patches: SpecPatch[] = [];
  for (const m of text.matchAll(fence)) {
    if (!/^(ya?ml)$/i.test(m[2]!)) continue;
    const patch = emptyPatch();
    try {
      const doc = parseYaml(m[3]!, { uniqueKeys: true });
      if (doc === null || doc === undefined) continue;
      patches.push(patchFromObject(doc));
    } catch (err) {
      const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
      patch.problems.push({ key: '@yaml', params: { line, problem: (err as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') } });
      patches.push(patch);
    }
  }
  return patches;
}

/** A value written after `key:` or `=`: YAML's reading when it has one (numbers, booleans, lists), else the text. */
export function scalar(raw: string): unknown {
  const text = raw.trim();
  if (text === '') return '';
  try {
    const value = parseYaml(text);
    return value === null ? text : value;
  } catch {
    return text;
  }
}

const fieldLine = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\s*:\s*(\S.*?)\s*$/;

function fieldLines(text: string): SpecPatch {
  const patch = emptyPatch();
  for (const [, line] of proseLines(text)) {
    if (line.trimStart().startsWith('|')) continue;
    const m = line.trim().match(fieldLine);
    if (!m) continue;
    if (!FIELD_PATHS.includes(m[1]!)) {
      const suggestion = suggestFieldForLine(m[1]!);
      if (suggestion) patch.problems.push({ key: '@unknown_field', path: m[1]!, params: { suggestion } });
      continue;
    }
    patch.set[m[1]!] = scalar(m[2]!);
  }
  return patch;
}

// ---- the parameter table of the earlier chat front end

const emptyCell = /^(|-|—|–|n\/a|none|null|tbd|\?)$/i;

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim().replace(/^`(.*)`$/, '$1'));
}

function parameterTable(text: string): SpecPatch & { secrets: SecretFinding[] } {
  const patch = { ...emptyPatch(), secrets: [] as SecretFinding[] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length - 1; i++) {
    const header = cells(lines[i]!);
    if (!/^parameters?$/i.test(header[0] ?? '') || !/^value$/i.test(header[1] ?? '') || !/^\s*\|?\s*:?-{2,}/.test(lines[i + 1]!)) continue;
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      const [name = '', value = ''] = cells(lines[j]!);
      if (emptyCell.test(value)) continue;
      tableRow(name.toLowerCase().replace(/\s+/g, '_'), value, patch);
    }
  }
  return patch;
}

function tableRow(name: string, value: string, patch: SpecPatch & { secrets: SecretFinding[] }): void {
  switch (name) {
    case 'dag_id':
      patch.set.dag_id = value;
      return;
    case 'source_database': {
      const secrets = findSecrets(value);
      const uri = value.match(/^[a-z][a-z0-9+.-]*:\/\//i);
      if (secrets.length) {
        patch.secrets.push(...secrets);
      } else if (uri) {
        const proposal = proposeSource({ kind: 'uri', masked: value, ...uriParts(value) });
        for (const [k, v] of Object.entries(proposal)) patch.set[`source.${k}`] = v;
      } else if ((SOURCE_TYPES as readonly string[]).includes(value.toLowerCase())) {
        patch.set['source.type'] = value.toLowerCase();
      } else {
        patch.set['source.conn_id'] = value;
      }
      return;
    }
    case 'source_table':
      patch.set['source.table'] = value;
      return;
    case 'source_table_ddl': {
      const columns = parseDdlColumns(value);
      if (columns.length) patch.set['source.columns'] = columns;
      else patch.problems.push({ key: '@ddl', path: 'source.columns' });
      return;
    }
    case 'interval':
      patch.set.schedule = scheduleWords[value.toLowerCase()] ?? value;
      return;
    case 'required_transformations':
      if (/^\s*(select|with)\b/i.test(value)) patch.set['transform.sql'] = value;
      else patch.notes.push({ key: '@transform_prose', path: 'transform.sql', params: { value } });
      return;
    case 'target_table':
      patch.set['target.table'] = value;
      return;
    case 'target_storing_type':
      patch.set['load.strategy'] = value.toLowerCase();
      return;
    case 'capture_changes_column':
      patch.set['load.watermark'] = value;
      return;
    case 'data_quality': {
      const { checks, unread } = readQualityList(value);
      if (!checks.length) {
        patch.notes.push({ key: '@quality_prose', path: 'quality', params: { value } });
        return;
      }
      patch.set.quality = checks;
      // Nothing vanishes silently: the rules a line holds beside the checks it reads are named on the card.
      if (unread.length) patch.notes.push({ key: '@quality_unread', path: 'quality', params: { items: unread } });
      return;
    }
    default:
      patch.problems.push({ key: '@unknown_row', params: { row: name } });
  }
}

function uriParts(value: string): { scheme?: string; host?: string; database?: string } {
  try {
    const url = new URL(value);
    return { scheme: url.protocol.replace(/:$/, ''), host: url.hostname, database: url.pathname.split('/').filter(Boolean)[0] };
  } catch {
    return {};
  }
}

const scheduleWords: Record<string, string> = {
  hourly: '@hourly',
  daily: '@daily',
  weekly: '@weekly',
  monthly: '@monthly',
  yearly: '@yearly',
  annually: '@yearly',
  manual: 'manual',
};

/** Columns of a `CREATE TABLE` statement, or of `name type` lines: name, type, nullability, key. */
export function parseDdlColumns(ddl: string): Array<{ name: string; type: string; nullable?: boolean; key?: boolean }> {
  const open = ddl.indexOf('(');
  const body = /create\s+table/i.test(ddl) && open >= 0 ? ddl.slice(open + 1, ddl.lastIndexOf(')')) : ddl;
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if ((ch === ',' || ch === '\n') && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  const keys = new Set<string>();
  const columns: Array<{ name: string; type: string; nullable?: boolean; key?: boolean }> = [];
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    const primary = raw.match(/^(?:constraint\s+\S+\s+)?primary\s+key\s*\(([^)]*)\)/i);
    if (primary) {
      for (const k of primary[1]!.split(',')) keys.add(k.trim().replace(/^["`[]|["`\]]$/g, ''));
      continue;
    }
    if (/^(constraint|unique|foreign|key|index|check)\b/i.test(raw)) continue;
    const m = raw.match(/^["`[]?([A-Za-z_][\w$]*)["`\]]?\s+(.+)$/);
    if (!m) continue;
    const rest = m[2]!;
    const type = rest.split(/\s+(?=not\b|null\b|primary\b|default\b|references\b|comment\b|unique\b|check\b|generated\b|collate\b|constraint\b)/i)[0]!.trim();
    const column: { name: string; type: string; nullable?: boolean; key?: boolean } = { name: m[1]!, type: type.toLowerCase() };
    if (/\bnot\s+null\b/i.test(rest)) column.nullable = false;
    if (/\bprimary\s+key\b/i.test(rest)) {
      column.key = true;
      column.nullable = false;
    }
    columns.push(column);
  }
  for (const column of columns) {
    if (keys.has(column.name)) {
      column.key = true;
      column.nullable = false;
    }
  }
  return columns;
}

/** The items of a list separated by commas or semicolons outside parentheses. */
function topLevelItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth = Math.max(0, depth - 1);
    if ((char === ',' || char === ';') && depth === 0) {
      items.push(current);
      current = '';
    } else current += char;
  }
  items.push(current);
  return items.map((i) => i.trim().replace(/\.$/, '')).filter(Boolean);
}

/** `not_null(a, b), unique(a), row_count >= 1, accepted_values(country: US|DE)`: the checks read, and the items that are none. */
export function readQualityList(text: string): { checks: unknown[]; unread: string[] } {
  const checks: unknown[] = [];
  const unread: string[] = [];
  for (const item of topLevelItems(text)) {
    const check = qualityCheckOf(item);
    if (check) checks.push(check);
    else unread.push(item);
  }
  return { checks, unread };
}

/** The checks of a list when every item is one; undefined when any is not (prose, or a rule of its own). */
export function parseQualityList(text: string): unknown[] | undefined {
  const { checks, unread } = readQualityList(text);
  return checks.length && !unread.length ? checks : undefined;
}

function qualityCheckOf(item: string): unknown {
  if (!/^[a-z_]+\s*(\([^)]*\)|>=\s*\d+)$/i.test(item)) return undefined;
  {
    const name = item.match(/^[a-z_]+/i)![0].toLowerCase();
    const args = item.match(/\(([^)]*)\)/)?.[1] ?? '';
    const list = args.split(',').map((a) => a.trim()).filter(Boolean);
    if (name === 'row_count') {
      const min = Number(item.match(/>=\s*(\d+)/)?.[1] ?? args.match(/min\s*=\s*(\d+)/)?.[1] ?? args);
      return { check: 'row_count', min: Number.isInteger(min) ? min : 1 };
    }
    if (name === 'not_null' || name === 'unique') return { check: name, columns: list };
    if (name === 'accepted_values') {
      const [column = '', values = ''] = args.split(':');
      return { check: 'accepted_values', column: column.trim(), values: values.split('|').map((v) => v.trim()).filter(Boolean) };
    }
    if (name === 'freshness') {
      const [column = '', maxAge = ''] = list;
      return { check: 'freshness', column, max_age: maxAge.replace(/^max_age\s*=\s*/, '') };
    }
    return undefined;
  }
}

/** The first paragraph of prose (no heading, list, table, code or field line): the pipeline's description. */
export function firstParagraph(text: string): string | undefined {
  const paragraphs: string[][] = [[]];
  for (const [, line] of proseLines(text)) {
    const trimmed = line.trim();
    if (trimmed === '') {
      paragraphs.push([]);
      continue;
    }
    if (/^(#|\||[-*+]\s|\d+\.\s|\/|@)/.test(trimmed) || fieldLine.test(trimmed)) {
      paragraphs.push([]);
      continue;
    }
    paragraphs.at(-1)!.push(trimmed);
  }
  const first = paragraphs.find((p) => p.length > 0);
  return first?.join(' ').slice(0, 2_000);
}

/**
 * Reads every request form in a text. `description`: the first prose paragraph becomes the description
 * (for the issue's own text, when it holds a request).
 */
export function parseRequestText(text: string, options: { description?: boolean } = {}): ParsedRequest {
  if (text.length > MAX_REQUEST_CHARS) {
    return { ...emptyPatch(), problems: [{ key: '@too_long', params: { limit: MAX_REQUEST_CHARS } }], structured: false, secrets: findSecrets(text.slice(0, MAX_REQUEST_CHARS)), proposed: {} };
  }
  const blocks = yamlBlocks(text);
  const table = parameterTable(text);
  const lines = fieldLines(text);
  const patch = mergePatches(...blocks, table, lines);
  const structured = blocks.length > 0 || Object.keys(table.set).length > 0 || table.secrets.length > 0 || Object.keys(lines.set).length > 0;
  const secrets = findSecrets(text);
  // A connection URL proposes the source, never more: its credentials are not kept.
  const proposed: Record<string, unknown> = {};
  for (const finding of secrets) {
    for (const [key, value] of Object.entries(proposeSource(finding))) {
      const path = `source.${key}`;
      if (!(path in patch.set) && !(path in proposed)) proposed[path] = value;
    }
  }
  if (secrets.some((s) => s.kind === 'uri') && !patch.set['source.type'] && !proposed['source.type']) patch.notes.push({ key: '@uri_unknown_type' });
  if (options.description && structured && !('description' in patch.set)) {
    const description = firstParagraph(text);
    if (description) patch.set.description = description;
  }
  // Values that still carry a credential are refused by the schema; drop them here so none is stored.
  for (const [path, value] of Object.entries(patch.set)) {
    if (JSON.stringify(value).match(/:\/\/[^\s/@"]*:[^\s@/"]+@/)) {
      delete patch.set[path];
      patch.problems.push({ key: '@url_with_password', path, params: { masked: findSecrets(JSON.stringify(value))[0]?.masked ?? '' } });
    }
  }
  return { ...patch, structured, secrets, proposed };
}

export function isDatabaseType(type: unknown): boolean {
  return typeof type === 'string' && (DATABASE_TYPES as readonly string[]).includes(type);
}
