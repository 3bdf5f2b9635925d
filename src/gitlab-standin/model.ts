// The stand-in's in-memory GitLab: users, projects and what lives in them. Git data lives in bare
// repositories on disk (see git.ts); everything else is here.

export const AccessLevels = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

export type User = {
  id: number;
  username: string;
  name: string;
  email: string;
  token: string;
  /** The scopes of the user's token (GitLab: api, read_api, read_repository, write_repository …). */
  tokenScopes: string[];
  admin: boolean;
  bot: boolean;
  createdAt: string;
};

export type Label = { id: number; title: string; color: string; description: string | null };

export type Issue = {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  authorId: number;
  assigneeIds: number[];
  labels: string[];
  confidential: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedById: number | null;
  updatedById: number | null;
};

export type MergeRequest = {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  authorId: number;
  assigneeIds: number[];
  reviewerIds: number[];
  labels: string[];
  sourceBranch: string;
  targetBranch: string;
  /** Head of the source branch as last seen. */
  sha: string;
  mergeCommitSha: string | null;
  mergedById: number | null;
  mergedAt: string | null;
  closedAt: string | null;
  draft: boolean;
  removeSourceBranch: boolean;
  createdAt: string;
  updatedAt: string;
};

export type Position = {
  base_sha: string;
  start_sha: string;
  head_sha: string;
  old_path: string;
  new_path: string;
  position_type: 'text';
  old_line: number | null;
  new_line: number | null;
  line_range: null | Record<string, unknown>;
};

export type Note = {
  id: number;
  projectId: number;
  noteableType: 'Issue' | 'MergeRequest';
  noteableId: number;
  noteableIid: number;
  body: string;
  authorId: number;
  system: boolean;
  type: null | 'DiscussionNote' | 'DiffNote';
  discussionId: string;
  position: Position | null;
  resolvable: boolean;
  resolved: boolean;
  resolvedById: number | null;
  internal: boolean;
  createdAt: string;
  updatedAt: string;
};

export type Award = {
  id: number;
  name: string;
  userId: number;
  awardableType: 'Note' | 'Issue' | 'MergeRequest';
  awardableId: number;
  createdAt: string;
};

export type Hook = {
  id: number;
  projectId: number;
  url: string;
  token: string | null;
  events: {
    issues_events: boolean;
    confidential_issues_events: boolean;
    note_events: boolean;
    confidential_note_events: boolean;
    merge_requests_events: boolean;
    pipeline_events: boolean;
    emoji_events: boolean;
    push_events: boolean;
  };
  enableSslVerification: boolean;
  createdAt: string;
};

export type Project = {
  id: number;
  name: string;
  path: string;
  namespace: string;
  pathWithNamespace: string;
  description: string;
  defaultBranch: string;
  /** user id → access level */
  members: Map<number, number>;
  /** branch name → minimum access level to push / to merge into it */
  protectedBranches: Map<string, { push: number; merge: number }>;
  labels: Label[];
  issues: Issue[];
  mergeRequests: MergeRequest[];
  notes: Note[];
  awards: Award[];
  hooks: Hook[];
  repoDir: string;
  createdAt: string;
  nextIssueIid: number;
  nextMergeRequestIid: number;
};

export const now = () => new Date().toISOString();

export class Model {
  readonly users: User[] = [];
  readonly projects: Project[] = [];
  private sequence = 0;

  nextId(): number {
    return ++this.sequence;
  }

  userByToken(token: string | undefined): User | undefined {
    return token ? this.users.find((u) => u.token === token) : undefined;
  }

  userById(id: number): User | undefined {
    return this.users.find((u) => u.id === id);
  }

  userByUsername(username: string): User | undefined {
    return this.users.find((u) => u.username.toLowerCase() === username.toLowerCase());
  }

  /** By numeric id or by full path (`group/project`, case-insensitive as in GitLab). */
  project(idOrPath: string | number): Project | undefined {
    const key = String(idOrPath);
    if (/^\d+$/.test(key)) return this.projects.find((p) => p.id === Number(key));
    return this.projects.find((p) => p.pathWithNamespace.toLowerCase() === key.toLowerCase());
  }

  accessLevel(project: Project, user: User | undefined): number {
    if (!user) return 0;
    if (user.admin) return AccessLevels.owner;
    return project.members.get(user.id) ?? 0;
  }

  /** GitLab creates labels used in a quick action or an API call when they do not exist yet. */
  ensureLabels(project: Project, titles: string[]): void {
    for (const title of titles) {
      if (!project.labels.some((l) => l.title === title)) {
        project.labels.push({ id: this.nextId(), title, color: '#6699cc', description: null });
      }
    }
  }
}
