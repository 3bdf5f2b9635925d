// Encoders: the one way a value reaches generated code. Each turns a value into a literal of one language
// whose meaning is exactly the value, whatever it holds — quotes, backslashes, line breaks, templates,
// invisible characters. Templates never concatenate a value into code by hand.

// Characters a reader cannot see or that change how the text around them reads (controls, bidirectional
// formatting, line and paragraph separators, unassigned and private code points): always escaped.
const UNSEEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu;

function pythonEscape(character: string): string {
  const code = character.codePointAt(0)!;
  if (character === '\n') return '\\n';
  if (character === '\t') return '\\t';
  if (character === '\r') return '\\r';
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** A Python string literal ("…") holding exactly `text`. */
export function pythonString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(UNSEEN, pythonEscape)}"`;
}

/** The inside of a Python `"""…"""` literal holding exactly `text`, its line breaks kept as lines. */
export function pythonDocstring(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`).replace(UNSEEN, (c) => (c === '\n' ? '\n' : pythonEscape(c)));
}

/** JSON data (strings, numbers, booleans, null, lists, mappings) as a Python literal. */
export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no Python literal here`);
    return String(value);
  }
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonString(k)}: ${pythonLiteral(v)}`).join(', ')}}`;
}

/** A Spark SQL string literal ('…'): Spark reads backslash escapes in literals by default. */
export function sparkSqlString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

/** A Jinja string literal ('…') for a value inside `{{ … }}` that the bot writes. */
export function jinjaString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
