// Columns whose names say they hold secrets or personal data: their values are masked in samples, and a spec
// that would copy them to the target says so until the request leaves them out or keeps them on purpose.

const SENSITIVE = /pass(word)?|passwd|pwd|secret|token|api_?key|private|credential|ssn|social_sec|card|iban|account_?(no|num)|e_?mail|phone|mobile|address|birth|dob|salary|passport|tax_?id|ip_?addr|first_?name|last_?name|full_?name/i;

/** Whether a column's name looks like a secret or personal data. */
export function isSensitiveColumn(name: string): boolean {
  return SENSITIVE.test(name);
}

type SourcePart = { columns?: Array<{ name: string }>; exclude_columns?: string[]; keep_sensitive?: string[] } | undefined;

/** The columns a load would copy although their names look sensitive, and nobody has said what to do with them. */
export function unacknowledgedSensitiveColumns(source: SourcePart): string[] {
  const decided = new Set([...(source?.exclude_columns ?? []), ...(source?.keep_sensitive ?? [])]);
  return (source?.columns ?? []).map((c) => c.name).filter((name) => isSensitiveColumn(name) && !decided.has(name));
}

/** The source's columns without those the spec leaves out. */
export function copiedColumns<C extends { name: string }>(columns: C[] | undefined, exclude: string[] | undefined): C[] | undefined {
  if (!columns || !exclude?.length) return columns;
  return columns.filter((c) => !exclude.includes(c.name));
}
