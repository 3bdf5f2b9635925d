// What a delivery says that GitLab's API can confirm is read from the API before the bot acts on it: the
// project (its path, and the allowlist matched against what GitLab resolves), a comment's author and words,
// an issue's author, title, text and confidentiality, a merge request's title, text, state and branches. A
// delivery that GitLab contradicts is forged (or names something gone): nothing is done for it.
import type { GitLabClient } from '../gitlab/client.ts';
import { isGitLabError } from '../gitlab/client.ts';
import type { ProjectDirectory } from '../gitlab/projects.ts';
import type { GitLabEvent, IssuePayload, MergeRequestPayload, NotePayload } from './events.ts';

export type Confirmation = { ok: true; event: GitLabEvent } | { ok: false; reason: string };

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

export async function confirmEvent(gitlab: GitLabClient, projects: ProjectDirectory, event: GitLabEvent, allowed: readonly string[]): Promise<Confirmation> {
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
      return confirmNote(gitlab, event, payload);
    case 'issue':
      return confirmIssue(gitlab, event, payload);
    case 'merge_request':
      return confirmMergeRequest(gitlab, event, payload);
    default:
      return { ok: true, event };
  }
}

async function confirmNote(gitlab: GitLabClient, event: GitLabEvent, payload: NotePayload): Promise<Confirmation> {
  const noteId = payload.object_attributes.id;
  const read = payload.issue
    ? () => gitlab.IssueNotes.show(event.projectId, payload.issue!.iid, noteId)
    : payload.merge_request
      ? () => gitlab.MergeRequestNotes.show(event.projectId, payload.merge_request!.iid, noteId)
      : undefined;
  // Comments on commits or snippets: nothing of the bot's acts on them.
  if (!read) return { ok: true, event };
  const note = await found<ApiNote>(read);
  if (!note) return { ok: false, reason: `GitLab has no comment ${noteId} there` };
  if (note.author.id !== payload.user.id) return { ok: false, reason: `comment ${noteId} was written by @${note.author.username}, not by @${payload.user.username} as the delivery says` };
  const confirmed: NotePayload = {
    ...payload,
    user: { ...payload.user, id: note.author.id, username: note.author.username, ...(note.author.name ? { name: note.author.name } : {}) },
    object_attributes: { ...payload.object_attributes, note: note.body, system: note.system ?? payload.object_attributes.system },
  };
  return { ok: true, event: { ...event, payload: confirmed } };
}

async function confirmIssue(gitlab: GitLabClient, event: GitLabEvent, payload: IssuePayload): Promise<Confirmation> {
  const iid = payload.object_attributes.iid;
  const issue = await found<ApiIssue>(() => gitlab.Issues.show(iid, { projectId: event.projectId }));
  if (!issue) return { ok: false, reason: `GitLab has no issue #${iid} there` };
  if (payload.object_attributes.action === 'open' && issue.author.id !== payload.user.id) {
    return { ok: false, reason: `issue #${iid} was opened by @${issue.author.username}, not by @${payload.user.username} as the delivery says` };
  }
  const confirmed: IssuePayload = {
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
  return { ok: true, event: { ...event, payload: confirmed, confidential: event.confidential || !!issue.confidential } };
}

async function confirmMergeRequest(gitlab: GitLabClient, event: GitLabEvent, payload: MergeRequestPayload): Promise<Confirmation> {
  const iid = payload.object_attributes.iid;
  const mr = await found<ApiMergeRequest>(() => gitlab.MergeRequests.show(event.projectId, iid));
  if (!mr) return { ok: false, reason: `GitLab has no merge request !${iid} there` };
  if (payload.object_attributes.action === 'merge' && mr.state !== 'merged') return { ok: false, reason: `merge request !${iid} is ${mr.state}, not merged as the delivery says` };
  const confirmed: MergeRequestPayload = {
    ...payload,
    object_attributes: { ...payload.object_attributes, title: mr.title, description: mr.description ?? '', state: mr.state, source_branch: mr.source_branch, target_branch: mr.target_branch },
  };
  return { ok: true, event: { ...event, payload: confirmed } };
}
