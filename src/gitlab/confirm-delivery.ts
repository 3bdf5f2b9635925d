// What a delivery says that GitLab's API can confirm is read from the API before the bot acts on it: the
// project (its path, and the allowlist matched against what GitLab resolves), a comment's author and words,
// an issue's author, title, text and confidentiality, a merge request's title, text, state and branches. A
// delivery that GitLab contradicts is forged (or names something gone): nothing is done for it.
import type { GitLabClient } from './client.ts';
import { isGitLabError } from './client.ts';
import type { ProjectDirectory } from './projects.ts';

/** What of a delivery's payload this reads and confirms (the event framework's payloads have this shape). */
type Payload = {
  object_kind: string;
  project: { path_with_namespace: string };
  user?: { id: number; username: string; name?: string } | null;
  object_attributes: Record<string, unknown> & { id: number };
  issue?: { iid: number } | null;
  merge_request?: { iid: number } | null;
};
type Delivered<P extends Payload> = { projectId: number; payload: P };

/** The payload as GitLab confirms it (and whether GitLab says it is confidential), or why not. */
export type Confirmation<P> = { ok: true; payload: P; confidential: boolean } | { ok: false; reason: string };

type ApiUser = { id: number; username: string; name?: string };
type ApiNote = { id: number; body: string; system?: boolean; author: ApiUser };
type ApiIssue = { iid: number; title: string; description: string | null; state: string; confidential?: boolean; author: ApiUser };
type ApiMergeRequest = { iid: number; title: string; description: string | null; state: string; source_branch: string; target_branch: string; author: ApiUser };

/** Whether the allowlist (ids and paths) holds the project GitLab resolved: its id, or the path GitLab gives that id. */
export function allowedByList(allowed: readonly string[], project: { id: number; pathWithNamespace: string }): boolean {
  if (!allowed.length) return true;
  const entries = new Set(allowed.map((a) => a.toLowerCase()));
  return entries.has(String(project.id)) || entries.has(project.pathWithNamespace.toLowerCase());
}

async function found<T>(read: () => Promise<unknown>): Promise<T | undefined> {
  try {
    return (await read()) as T;
  } catch (err) {
    if (isGitLabError(err, 404) || isGitLabError(err, 403)) return undefined;
    throw err;
  }
}

export async function confirmDelivery<P extends Payload>(gitlab: GitLabClient, projects: ProjectDirectory, event: Delivered<P>, allowed: readonly string[]): Promise<Confirmation<P>> {
  const payload = event.payload;
  const projectId = event.projectId;
  const repository = await found<Awaited<ReturnType<ProjectDirectory['repository']>>>(() => projects.repository(projectId));
  if (!repository) return { ok: false, reason: `GitLab shows the bot no project ${projectId}` };
  const named = payload.project.path_with_namespace;
  if (named.toLowerCase() !== repository.pathWithNamespace.toLowerCase()) {
    return { ok: false, reason: `the delivery names project ${projectId} ${named}, which GitLab calls ${repository.pathWithNamespace}` };
  }
  if (!allowedByList(allowed, { id: projectId, pathWithNamespace: repository.pathWithNamespace })) {
    return { ok: false, reason: `project ${repository.pathWithNamespace} (${projectId}) is not in ALLOWED_PROJECTS` };
  }
  switch (payload.object_kind) {
    case 'note':
      return confirmNote(gitlab, event);
    case 'issue':
      return confirmIssue(gitlab, event);
    case 'merge_request':
      return confirmMergeRequest(gitlab, event);
    default:
      return { ok: true, payload, confidential: false };
  }
}

async function confirmNote<P extends Payload>(gitlab: GitLabClient, { projectId, payload }: Delivered<P>): Promise<Confirmation<P>> {
  const noteId = payload.object_attributes.id;
  const read = payload.issue
    ? () => gitlab.IssueNotes.show(projectId, payload.issue!.iid, noteId)
    : payload.merge_request
      ? () => gitlab.MergeRequestNotes.show(projectId, payload.merge_request!.iid, noteId)
      : undefined;
  // Comments on commits or snippets: nothing of the bot's acts on them.
  if (!read) return { ok: true, payload, confidential: false };
  const note = await found<ApiNote>(read);
  if (!note) return { ok: false, reason: `GitLab has no comment ${noteId} there` };
  if (note.author.id !== payload.user?.id) return { ok: false, reason: `comment ${noteId} was written by @${note.author.username}, not by @${payload.user?.username} as the delivery says` };
  const confirmed = {
    ...payload,
    user: { ...payload.user, id: note.author.id, username: note.author.username, ...(note.author.name ? { name: note.author.name } : {}) },
    object_attributes: { ...payload.object_attributes, note: note.body, system: note.system ?? payload.object_attributes.system },
  };
  return { ok: true, payload: confirmed, confidential: false };
}

async function confirmIssue<P extends Payload>(gitlab: GitLabClient, { projectId, payload }: Delivered<P>): Promise<Confirmation<P>> {
  const iid = payload.object_attributes.iid as number;
  const issue = await found<ApiIssue>(() => gitlab.Issues.show(iid, { projectId }));
  if (!issue) return { ok: false, reason: `GitLab has no issue #${iid} there` };
  if (payload.object_attributes.action === 'open' && issue.author.id !== payload.user?.id) {
    return { ok: false, reason: `issue #${iid} was opened by @${issue.author.username}, not by @${payload.user?.username} as the delivery says` };
  }
  const confirmed = {
    ...payload,
    object_attributes: {
      ...payload.object_attributes,
      title: issue.title,
      description: issue.description ?? '',
      state: issue.state,
      confidential: issue.confidential ?? payload.object_attributes.confidential,
      author_id: issue.author.id,
    },
  };
  return { ok: true, payload: confirmed, confidential: !!issue.confidential };
}

async function confirmMergeRequest<P extends Payload>(gitlab: GitLabClient, { projectId, payload }: Delivered<P>): Promise<Confirmation<P>> {
  const iid = payload.object_attributes.iid as number;
  const mr = await found<ApiMergeRequest>(() => gitlab.MergeRequests.show(projectId, iid));
  if (!mr) return { ok: false, reason: `GitLab has no merge request !${iid} there` };
  if (payload.object_attributes.action === 'merge' && mr.state !== 'merged') return { ok: false, reason: `merge request !${iid} is ${mr.state}, not merged as the delivery says` };
  const confirmed = {
    ...payload,
    object_attributes: { ...payload.object_attributes, title: mr.title, description: mr.description ?? '', state: mr.state, source_branch: mr.source_branch, target_branch: mr.target_branch },
  };
  return { ok: true, payload: confirmed, confidential: false };
}
