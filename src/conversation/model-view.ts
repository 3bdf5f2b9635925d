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
import { connectionIds } from '../sources/connections.ts';
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

export type ModelView = { spec: Record<string, unknown>; scope: ToolScope };

/** Whether a field's setter holds the role that may use the model. */
export type ModelTrust = (provenance: Provenance) => Promise<boolean>;

/**
 * Who may steer the model in this issue: the project's members' roles, read once per turn, and the issue's
 * author (for fields from its text), read when a field needs it.
 */
export async function modelTrust(ctx: Context, issueIid: number): Promise<ModelTrust> {
  const required = minAccessLevelOf(await ctx.config());
  const levels = new Map<string, number>();
  for (const member of (await ctx.gitlab.ProjectMembers.all(ctx.projectId, { includeInherited: true })) as unknown as Array<{ username: string; access_level: number; state?: string }>) {
    const name = member.username.toLowerCase();
    if (!member.state || member.state === 'active') levels.set(name, Math.max(member.access_level, levels.get(name) ?? 0));
  }
  let issueAuthor: Promise<string | undefined> | undefined;
  const authorOfIssue = () =>
    (issueAuthor ??= ctx.gitlab.Issues.show(issueIid, { projectId: ctx.projectId }).then(
      (issue) => (issue as unknown as { author: { username: string } }).author.username,
      (err: unknown) => (isGitLabError(err, 404) ? undefined : Promise.reject(err)),
    ));
  return async (provenance) => {
    const setter = setterOf(provenance);
    if (setter === undefined) return true;
    const user = setter === 'issue' ? await authorOfIssue() : setter.user;
    return user !== undefined && (levels.get(user.toLowerCase()) ?? 0) >= required;
  };
}

/** The request as the model may see it, and the scope of its tools, for a turn saying `text`. */
export async function modelView(trust: ModelTrust, state: Conversation, turn: { text: string }): Promise<ModelView> {
  const kept: Record<string, unknown> = {};
  for (const [path, field] of Object.entries(state.fields)) if (await trust(field.provenance)) kept[path] = field.value;
  const spec = toObject(kept);
  const source = (spec.source ?? {}) as { conn_id?: string; table?: string };
  const target = (spec.target ?? {}) as { conn_id?: string; table?: string };
  const fromText = namedInText(turn.text, connectionIds());
  const scope: ToolScope = {
    connIds: new Set([source.conn_id, target.conn_id, ...fromText.connIds].filter((c): c is string => !!c)),
    tables: new Set([source.table, target.table, ...fromText.tables].filter((t): t is string => !!t)),
  };
  return { spec, scope };
}

/** The model's tools for this view. */
export async function toolsFor(ctx: Context, view: ModelView): Promise<ToolSet> {
  return scopeTools(await ctx.modelTools(), view.scope);
}
