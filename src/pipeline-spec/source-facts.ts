// What the bot found by inspecting a request's source table: kept with the conversation, shown on the card,
// given to the model as context.

export type SourceFacts = {
  connId: string;
  table: string;
  /** When it was inspected (ms). */
  at: number;
  /** Why it could not be inspected, in plain words (redacted). */
  error?: string;
  /** The bot was given no connection of that id. */
  notGiven?: boolean;
  columns?: Array<{ name: string; type: string; nullable: boolean; key?: boolean; comment?: string }>;
  primaryKey?: string[];
  rows?: number;
  watermarks?: Array<{ column: string; kind: 'timestamp' | 'serial'; min: string | null; max: string | null }>;
};

/** Facts about the source in a few lines, for a prompt; undefined when there are none. */
export function describeSourceFacts(facts: SourceFacts | undefined): string | undefined {
  if (!facts) return undefined;
  if (facts.error) return `${facts.connId} ${facts.table}: not inspected (${facts.error})`;
  const lines = [`${facts.connId} ${facts.table}: about ${facts.rows ?? '?'} rows; primary key ${facts.primaryKey?.join(', ') || 'none'}`];
  if (facts.columns?.length) lines.push(`columns: ${facts.columns.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' not null'}`).join(', ')}`);
  if (facts.watermarks?.length) lines.push(`watermark candidates (indexed): ${facts.watermarks.map((w) => `${w.column} (${w.kind}, ${w.min} … ${w.max})`).join(', ')}`);
  return lines.join('\n');
}
