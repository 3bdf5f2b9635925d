// What the model is shown of a request, and what its tools may read. Fields set by people below the role
// that may use the model (the repo config's min_access_level) are data the model never sees: a Guest's
// `description:` line cannot carry instructions into a Developer's turn. The tools read only the connections
// and tables the request names — in fields set by people who hold that role, or in the words of the person
// whose turn it is.
import type { ToolSet } from 'ai';
import type { Context } from '../bot/context.ts';
import { isGitLabError } from '../gitlab/client.ts';
import { namedInText, scopeTools, type ToolScope } from '../llm/tool-scope.ts';
import { toObject } from '../pipeline-spec/patch.ts';
import { minAccessLevelOf } from '../pipeline-spec/repo-config.ts';
import type { Provenance } from '../pipeline-spec/patch.ts';
import type { Conversation } from './store.ts';

/** Who set a field: a username, the issue's author, or nobody (defaults, what the bot found). */
function setterOf(provenance: Provenance): { user: string } | 'issue' | undefined {
  switch (provenance.kind) {
    case 'comment':
    case 'command':
    case 'model':
      return { user: provenance.user };
    case 'secret':
      return provenance.user ? { user: provenance.user } : 'issue';
    case 'issue':
      return 'issue';
    default:
      return undefined;
  }
}

export type ModelView = { spec: Record<string, unknown>; withheld: string[]; scope: ToolScope };

/** The request as the model may see it, and the scope of its tools, for a turn by `asker` saying `text`. */
export async function modelView(ctx: Context, state: Conversation, issueIid: number, turn: { text: string }): Promise<ModelView> {
  const required = minAccessLevelOf(await ctx.config());
  const levels = new Map<string, number>();
  for (const member of (await ctx.gitlab.ProjectMembers.all(ctx.projectId, { includeInherited: true })) as unknown as Array<{ username: string; access_level: number; state?: string }>) {
    if (!member.state || member.state === 'active') levels.set(member.username.toLowerCase(), Math.max(member.access_level, levels.get(member.username.toLowerCase()) ?? 0));
  }
  let issueAuthor: string | undefined | null = null;
  const authorOfIssue = async () => {
    if (issueAuthor !== null) return issueAuthor;
    try {
      issueAuthor = ((await ctx.gitlab.Issues.show(issueIid, { projectId: ctx.projectId })) as unknown as { author: { username: string } }).author.username;
    } catch (err) {
      if (!isGitLabError(err, 404)) throw err;
      issueAuthor = undefined;
    }
    return issueAuthor;
  };
  const kept: Record<string, unknown> = {};
  const withheld: string[] = [];
  for (const [path, field] of Object.entries(state.fields)) {
    const setter = setterOf(field.provenance);
    const user = setter === 'issue' ? await authorOfIssue() : setter?.user;
    const trusted = setter === undefined || (user !== undefined && (levels.get(user.toLowerCase()) ?? 0) >= required);
    if (trusted) kept[path] = field.value;
    else withheld.push(path);
  }
  const spec = toObject(kept);
  const source = (spec.source ?? {}) as { conn_id?: string; table?: string };
  const target = (spec.target ?? {}) as { conn_id?: string; table?: string };
  const fromText = namedInText(turn.text, knownConnectionIds());
  const scope: ToolScope = {
    connIds: new Set([source.conn_id, target.conn_id, ...fromText.connIds].filter((c): c is string => !!c)),
    tables: new Set([source.table, target.table, ...fromText.tables].filter((t): t is string => !!t)),
  };
  return { spec, withheld, scope };
}

/** The connections the bot was given (AIRFLOW_CONN_<ID>), as ids. */
function knownConnectionIds(): string[] {
  return Object.keys(process.env)
    .filter((name) => name.startsWith('AIRFLOW_CONN_'))
    .map((name) => name.slice('AIRFLOW_CONN_'.length).toLowerCase());
}

/** The model's tools for this view. */
export async function toolsFor(ctx: Context, view: ModelView): Promise<ToolSet> {
  return scopeTools(await ctx.modelTools(), view.scope);
}
