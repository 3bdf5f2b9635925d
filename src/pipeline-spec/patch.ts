// Spec patches and the spec being built: each field (a dotted path) holds its value and where it came
// from. Every request form, and later the model, produces a patch; patches merge onto the stored fields.
import { closestName } from '../closest-name.ts';
import { FIELD_PATHS, STRATEGY_ALIASES, fieldSchema } from './schema.ts';

export type Provenance =
  | { kind: 'issue' }
  | { kind: 'comment'; user: string }
  | { kind: 'command'; user: string }
  | { kind: 'default'; from: 'repo-config' | 'dagwright' | 'derived' }
  | { kind: 'secret'; user?: string }
  /** Found by inspecting the source table. */
  | { kind: 'introspected' }
  /** Prose read by the model: the issue's text (user = its author) or a comment. */
  | { kind: 'model'; user: string; from: 'issue' | 'comment' };

export type Field = { value: unknown; provenance: Provenance };
/** The spec in the making: dotted path → field. */
export type SpecFields = Record<string, Field>;

/** Something in a request that was not applied, with a message key for the user's language. */
export type Problem = { key: string; params?: Record<string, unknown>; path?: string };

export type SpecPatch = {
  set: Record<string, unknown>;
  unset: string[];
  problems: Problem[];
  /** Notes that are not errors (an alias that was translated, a credential that was left out). */
  notes: Problem[];
};

export const emptyPatch = (): SpecPatch => ({ set: {}, unset: [], problems: [], notes: [] });

export function mergePatches(...patches: SpecPatch[]): SpecPatch {
  const out = emptyPatch();
  for (const p of patches) {
    Object.assign(out.set, p.set);
    out.unset.push(...p.unset);
    out.problems.push(...p.problems);
    out.notes.push(...p.notes);
  }
  return out;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** Turns a (partial) spec object into field paths; keys that are no field become problems. */
export function patchFromObject(object: unknown, at = ''): SpecPatch {
  const patch = emptyPatch();
  if (!isPlainObject(object)) {
    patch.problems.push({ key: '@not_a_mapping' });
    return patch;
  }
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (FIELD_PATHS.includes(path)) patch.set[path] = value;
      else if (FIELD_PATHS.some((p) => p.startsWith(`${path}.`)) && isPlainObject(value)) walk(value, path);
      else if (FIELD_PATHS.some((p) => p.startsWith(`${path}.`))) patch.problems.push({ key: '@type_object', path });
      else patch.problems.push({ key: '@unknown_field', path, params: { suggestion: suggestField(path) } });
    }
  };
  walk(object, at);
  return patch;
}

export function suggestField(path: string): string | undefined {
  // Field names are longer than commands: a third of the letters may be off.
  return sameStem(path) ?? closestName(path, FIELD_PATHS, Math.max(2, Math.ceil(path.length / 3))) ?? FIELD_PATHS.find((p) => p.endsWith(`.${path}`));
}

/** `retry` for `retries`, `owners` for `owner`: the field whose singular is the name's. */
function sameStem(path: string): string | undefined {
  const stem = (name: string) => name.replace(/ies$/, 'y').replace(/s$/, '');
  return FIELD_PATHS.find((p) => p !== path && stem(p) === stem(path));
}

/**
 * The field a `key: value` line's unknown key was meant to be, only when it is plainly a typo of one (such
 * lines are often prose: "Note: …").
 */
export function suggestFieldForLine(key: string): string | undefined {
  return sameStem(key) ?? closestName(key, FIELD_PATHS, Math.max(1, Math.ceil(key.length / 4)));
}

/**
 * Checks each value of a patch against its field's schema: wrong values become problems and are not
 * applied. Old request forms' strategy names are translated (full → snapshot, partition → incremental).
 */
export function checkPatch(patch: SpecPatch): SpecPatch {
  const out: SpecPatch = { set: {}, unset: [], problems: [...patch.problems], notes: [...patch.notes] };
  for (let [path, value] of Object.entries(patch.set)) {
    if (path === 'load.strategy' && typeof value === 'string' && STRATEGY_ALIASES[value.toLowerCase()]) {
      out.notes.push({ key: '@alias', path, params: { from: value, to: STRATEGY_ALIASES[value.toLowerCase()] } });
      value = STRATEGY_ALIASES[value.toLowerCase()];
    }
    const schema = fieldSchema(path);
    if (!schema) {
      out.problems.push({ key: '@unknown_field', path, params: { suggestion: suggestField(path) } });
      continue;
    }
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) out.set[path] = parsed.data;
    else {
      const issue = parsed.error.issues[0]!;
      out.problems.push({
        key: issue.message.startsWith('@') ? issue.message : '@invalid',
        path: [path, ...issue.path.map(String)].join('.'),
        params: { ...(issue as { params?: Record<string, unknown> }).params, ...allowedValues(issue), value },
      });
    }
  }
  for (const path of patch.unset) {
    if (FIELD_PATHS.includes(path)) out.unset.push(path);
    else out.problems.push({ key: '@unknown_field', path, params: { suggestion: suggestField(path) } });
  }
  return out;
}

/** The allowed values of an enum or literal issue, for "must be one of …". */
export function allowedValues(issue: { code?: string; values?: unknown[]; options?: unknown[] }): { allowed?: string } {
  const values = issue.values ?? issue.options;
  return values ? { allowed: values.map(String).join(', ') } : {};
}

/** Applies a checked patch; returns the new fields and the paths whose value changed. */
export function applyPatch(fields: SpecFields, patch: SpecPatch, provenance: Provenance): { fields: SpecFields; changed: string[] } {
  const next: SpecFields = { ...fields };
  const changed: string[] = [];
  for (const [path, value] of Object.entries(patch.set)) {
    if (JSON.stringify(next[path]?.value) !== JSON.stringify(value)) changed.push(path);
    next[path] = { value, provenance };
  }
  for (const path of patch.unset) {
    if (path in next) {
      delete next[path];
      changed.push(path);
    }
  }
  return { fields: next, changed };
}

/**
 * The issue description was edited: the fields it gave before are replaced by what it gives now. Fields
 * set later in comments or commands stay: they were the more recent word.
 */
export function replaceIssueFields(fields: SpecFields, issuePatch: SpecPatch): { fields: SpecFields; changed: string[] } {
  const next: SpecFields = {};
  const changed: string[] = [];
  for (const [path, field] of Object.entries(fields)) {
    if (field.provenance.kind === 'issue' && !(path in issuePatch.set)) changed.push(path);
    else next[path] = field;
  }
  for (const [path, value] of Object.entries(issuePatch.set)) {
    const current = next[path];
    if (current && current.provenance.kind !== 'issue' && current.provenance.kind !== 'default') continue;
    if (JSON.stringify(current?.value) !== JSON.stringify(value)) changed.push(path);
    next[path] = { value, provenance: { kind: 'issue' } };
  }
  return { fields: next, changed };
}

/** Field paths → nested spec object. */
export function toObject(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(fields)) {
    const keys = path.split('.');
    let node = out;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  return out;
}

export function valuesOf(fields: SpecFields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([path, field]) => [path, field.value]));
}
