// The model's tools, scoped to what the request names: a call that names a connection or a table the request
// does not is refused (an answer the model reads), never run. What a person below the model's role wrote
// cannot steer the model to read a table nobody asked about.
import type { ToolSet } from 'ai';

export type ToolScope = { connIds: ReadonlySet<string>; tables: ReadonlySet<string> };

/** Whether `table` is one the scope names: equal, or equal but for a schema one side does not give. */
function tableInScope(table: string, tables: ReadonlySet<string>): boolean {
  const wanted = table.toLowerCase().replace(/["`]/g, '');
  const [wantedName, wantedSchema] = [wanted.split('.').at(-1), wanted.includes('.') ? wanted.split('.').slice(0, -1).join('.') : undefined];
  for (const named of tables) {
    const n = named.toLowerCase();
    if (n === wanted) return true;
    const [name, schema] = [n.split('.').at(-1), n.includes('.') ? n.split('.').slice(0, -1).join('.') : undefined];
    if (name === wantedName && (!schema || !wantedSchema)) return true;
  }
  return false;
}

export function scopeTools(tools: ToolSet, scope: ToolScope): ToolSet {
  const scoped: ToolSet = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute;
    scoped[name] = {
      ...tool,
      execute: execute
        ? async (input: unknown, options: Parameters<typeof execute>[1]) => {
            const args = (input ?? {}) as { conn_id?: unknown; table?: unknown };
            if (typeof args.conn_id === 'string' && !scope.connIds.has(args.conn_id)) {
              return `refused: this request names the connection${scope.connIds.size === 1 ? '' : 's'} ${[...scope.connIds].join(', ') || '(none)'}; ${args.conn_id} is not one it names`;
            }
            if (typeof args.table === 'string' && !tableInScope(args.table, scope.tables)) {
              return `refused: this request names the table${scope.tables.size === 1 ? '' : 's'} ${[...scope.tables].join(', ') || '(none)'}; ${args.table} is not one it names`;
            }
            return execute(input as never, options);
          }
        : undefined,
    } as ToolSet[string];
  }
  return scoped;
}

/** Connection ids and tables a text names: known connection ids as words, and words that read as tables. */
export function namedInText(text: string, knownConnIds: readonly string[]): ToolScope {
  const words = new Set(text.toLowerCase().match(/[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?/g) ?? []);
  return { connIds: new Set(knownConnIds.filter((id) => words.has(id.toLowerCase()))), tables: words };
}
