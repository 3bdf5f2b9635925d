// The stand-in's GitLab, first half: users, projects, members, hooks, issues, merge requests and pushes. The
// second half (notes, discussions, awards, pipelines, quick actions) is in gitlab.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as git from './git.ts';
import { AccessLevels, Model, now, type Hook, type Issue, type MergeRequest, type Project, type User } from './model.ts';
import { Payloads, WebhookSender } from './webhooks.ts';

/** An error answered the way GitLab answers it: `{"message": …}` with the status. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, message: unknown) {
    super(typeof message === 'string' ? message : JSON.stringify(message));
    this.status = status;
    this.body = { message };
  }
}

export const notFound = (what = 'Not found') => new ApiError(404, `404 ${what}`);
export const forbidden = () => new ApiError(403, '403 Forbidden');

export type NoteTarget = { issue: number } | { mergeRequest: number };

/** What an edit of an issue or a merge request may change (the API's PUT and quick actions alike). */
export type ItemEdit = {
  title?: string;
  description?: string;
  labels?: string[];
  addLabels?: string[];
  removeLabels?: string[];
  stateEvent?: 'close' | 'reopen';
  assigneeIds?: number[];
};

type Changes = Record<string, { previous: unknown; current: unknown }>;

export class StandInGitLabItems {
  readonly model = new Model();
  readonly webhooks: WebhookSender;
  readonly payloads: Payloads;
  readonly reposRoot: string;
  private baseUrl = 'http://127.0.0.1';

  constructor(reposRoot: string) {
    this.reposRoot = reposRoot;
    this.webhooks = new WebhookSender(() => this.baseUrl);
    this.payloads = new Payloads(this.model, () => this.baseUrl);
  }

  get url(): string {
    return this.baseUrl;
  }

  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  // ---- users, projects, members, hooks

  createUser(username: string, options: { name?: string; admin?: boolean; bot?: boolean; tokenScopes?: string[] } = {}): User {
    if (this.model.userByUsername(username)) throw new ApiError(409, 'Username has already been taken');
    const user: User = {
      id: this.model.nextId(),
      username,
      name: options.name ?? username,
      email: `${username}@standIn.test`,
      token: `glpat-${randomBytes(15).toString('base64url')}`,
      tokenScopes: options.tokenScopes ?? ['api'],
      admin: options.admin ?? false,
      bot: options.bot ?? false,
      createdAt: now(),
    };
    this.model.users.push(user);
    return user;
  }

  async createProject(pathWithNamespace: string, options: { owner: User; seedDir?: string; defaultBranch?: string; description?: string }): Promise<Project> {
    const [namespace, name] = pathWithNamespace.split('/');
    if (!namespace || !name || pathWithNamespace.split('/').length !== 2 || !/^[\w.-]+$/.test(namespace) || !/^[\w.-]+$/.test(name)) {
      throw new ApiError(400, { path: ['must be group/project'] });
    }
    if (this.model.project(pathWithNamespace)) throw new ApiError(400, { name: ['has already been taken'] });
    const defaultBranch = options.defaultBranch ?? 'main';
    const project: Project = {
      id: this.model.nextId(),
      name,
      path: name,
      namespace,
      pathWithNamespace,
      description: options.description ?? '',
      defaultBranch,
      members: new Map([[options.owner.id, AccessLevels.owner]]),
      // GitLab's default: the default branch is protected; Maintainers push and merge.
      protectedBranches: new Map([[defaultBranch, { push: AccessLevels.maintainer, merge: AccessLevels.maintainer }]]),
      labels: [],
      issues: [],
      mergeRequests: [],
      notes: [],
      awards: [],
      hooks: [],
      repoDir: path.join(this.reposRoot, `${pathWithNamespace}.git`),
      createdAt: now(),
      nextIssueIid: 1,
      nextMergeRequestIid: 1,
    };
    await git.createRepository(project.repoDir, {
      defaultBranch,
      seedDir: options.seedDir,
      author: { name: options.owner.name, email: options.owner.email },
      projectName: name,
    });
    this.model.projects.push(project);
    return project;
  }

  addMember(project: Project, user: User, level: number): void {
    project.members.set(user.id, level);
  }

  addHook(project: Project, options: { url: string; token?: string | null; events?: Partial<Hook['events']>; enableSslVerification?: boolean }): Hook {
    const hook: Hook = {
      id: this.model.nextId(),
      projectId: project.id,
      url: options.url,
      token: options.token ?? null,
      events: {
        issues_events: false,
        confidential_issues_events: false,
        note_events: false,
        confidential_note_events: false,
        merge_requests_events: false,
        pipeline_events: false,
        emoji_events: false,
        push_events: true,
        ...options.events,
      },
      enableSslVerification: options.enableSslVerification ?? true,
      createdAt: now(),
    };
    project.hooks.push(hook);
    return hook;
  }

  // ---- issues

  issue(project: Project, iid: number): Issue {
    const issue = project.issues.find((i) => i.iid === iid);
    if (!issue) throw notFound('Issue Not Found');
    return issue;
  }

  protected issueHook(project: Project, issue: Issue, actor: User, action: string, changes: Record<string, unknown> = {}): void {
    this.webhooks.emit(project, issue.confidential ? 'Confidential Issue Hook' : 'Issue Hook', this.payloads.issue(project, issue, actor, action, changes));
  }

  openIssue(project: Project, author: User, input: { title: string; description?: string; labels?: string[]; assigneeIds?: number[]; confidential?: boolean }): Issue {
    if (!input.title?.trim()) throw new ApiError(400, 'title is missing');
    const at = now();
    const labels = input.labels ?? [];
    this.model.ensureLabels(project, labels);
    const issue: Issue = {
      id: this.model.nextId(),
      iid: project.nextIssueIid++,
      projectId: project.id,
      title: input.title,
      description: input.description ?? '',
      state: 'opened',
      authorId: author.id,
      assigneeIds: input.assigneeIds ?? [],
      labels,
      confidential: input.confidential ?? false,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      closedById: null,
      updatedById: null,
    };
    project.issues.push(issue);
    this.issueHook(project, issue, author, 'open');
    return issue;
  }

  /** Edits an issue; fires one hook whose action is close/reopen when the state changed, else update. */
  /**
   * Applies the fields shared by issues and merge requests; returns GitLab's `changes` and the hook action
   * (close/reopen when the state changed, else update). Nothing changed: empty changes.
   */
  protected applyEdit<T extends Issue | MergeRequest>(project: Project, item: T, input: ItemEdit, extra: Partial<Pick<T, keyof T>> = {}): { changes: Changes; action: string } {
    const changes: Changes = {};
    const set = (key: keyof T & string, value: unknown, hookKey: string = key) => {
      if (value === undefined || JSON.stringify(item[key]) === JSON.stringify(value)) return;
      changes[hookKey] = { previous: item[key], current: value };
      (item as Record<string, unknown>)[key] = value;
    };
    set('title', input.title);
    set('description', input.description);
    set('assigneeIds', input.assigneeIds, 'assignees');
    for (const [key, value] of Object.entries(extra)) set(key as keyof T & string, value, key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    let labels = input.labels ?? [...item.labels];
    labels = [...labels.filter((l) => !(input.removeLabels ?? []).includes(l)), ...(input.addLabels ?? []).filter((l) => !labels.includes(l))];
    this.model.ensureLabels(project, labels);
    if (JSON.stringify(labels) !== JSON.stringify(item.labels)) {
      changes.labels = { previous: this.payloads.labels(project, item.labels), current: this.payloads.labels(project, labels) };
      item.labels = labels;
    }
    let action = 'update';
    if (input.stateEvent === 'close' && item.state === 'opened') {
      item.state = 'closed';
      item.closedAt = now();
      changes.state_id = { previous: 1, current: 2 };
      action = 'close';
    } else if (input.stateEvent === 'reopen' && item.state === 'closed') {
      item.state = 'opened';
      item.closedAt = null;
      changes.state_id = { previous: 2, current: 1 };
      action = 'reopen';
    }
    return { changes, action };
  }

  protected touch(item: Issue | MergeRequest, actor: User, changes: Changes): void {
    const previous = item.updatedAt;
    item.updatedAt = now();
    changes.updated_at = { previous, current: item.updatedAt };
    changes.updated_by_id = { previous: null, current: actor.id };
  }

  /** Edits an issue; fires one hook whose action is close/reopen when the state changed, else update. */
  editIssue(project: Project, issue: Issue, actor: User, input: ItemEdit & { confidential?: boolean }): Issue {
    const { changes, action } = this.applyEdit(project, issue, input, input.confidential === undefined ? {} : { confidential: input.confidential });
    if (Object.keys(changes).length === 0) return issue;
    issue.closedById = issue.state === 'closed' ? (action === 'close' ? actor.id : issue.closedById) : null;
    issue.updatedById = actor.id;
    this.touch(issue, actor, changes);
    this.issueHook(project, issue, actor, action, changes);
    return issue;
  }

  // ---- merge requests

  mergeRequest(project: Project, iid: number): MergeRequest {
    const mr = project.mergeRequests.find((m) => m.iid === iid);
    if (!mr) throw notFound('Merge Request Not Found');
    return mr;
  }

  protected async mergeRequestHook(project: Project, mr: MergeRequest, actor: User, action: string, extra: { oldrev?: string; changes?: Record<string, unknown> } = {}): Promise<void> {
    const commit = await git.commitInfo(project.repoDir, mr.sha);
    this.webhooks.emit(project, 'Merge Request Hook', this.payloads.mergeRequest(project, mr, actor, action, commit, extra));
  }

  async createMergeRequest(project: Project, author: User, input: { sourceBranch: string; targetBranch: string; title: string; description?: string; labels?: string[]; assigneeIds?: number[]; reviewerIds?: number[]; removeSourceBranch?: boolean }): Promise<MergeRequest> {
    if (!input.title?.trim()) throw new ApiError(400, 'title is missing');
    if (!input.sourceBranch || !input.targetBranch) throw new ApiError(400, 'source_branch is missing');
    const heads = await git.branchHeads(project.repoDir);
    if (!heads.has(input.sourceBranch)) throw new ApiError(422, ['Source branch does not exist']);
    if (!heads.has(input.targetBranch)) throw new ApiError(422, ['Target branch does not exist']);
    if (input.sourceBranch === input.targetBranch) throw new ApiError(422, ['You can\'t use same project/branch for source and target']);
    const open = project.mergeRequests.find((m) => m.state === 'opened' && m.sourceBranch === input.sourceBranch && m.targetBranch === input.targetBranch);
    if (open) throw new ApiError(409, [`Another open merge request already exists for this source branch: !${open.iid}`]);
    const at = now();
    const labels = input.labels ?? [];
    this.model.ensureLabels(project, labels);
    const mr: MergeRequest = {
      id: this.model.nextId(),
      iid: project.nextMergeRequestIid++,
      projectId: project.id,
      title: input.title,
      description: input.description ?? '',
      state: 'opened',
      authorId: author.id,
      assigneeIds: input.assigneeIds ?? [],
      reviewerIds: input.reviewerIds ?? [],
      labels,
      sourceBranch: input.sourceBranch,
      targetBranch: input.targetBranch,
      sha: heads.get(input.sourceBranch)!,
      mergeCommitSha: null,
      mergedById: null,
      mergedAt: null,
      closedAt: null,
      draft: /^(draft:|\[draft\]|\(draft\))/i.test(input.title),
      removeSourceBranch: input.removeSourceBranch ?? false,
      createdAt: at,
      updatedAt: at,
    };
    project.mergeRequests.push(mr);
    await this.mergeRequestHook(project, mr, author, 'open');
    return mr;
  }

  async editMergeRequest(project: Project, mr: MergeRequest, actor: User, input: ItemEdit & { targetBranch?: string; draft?: boolean; reviewerIds?: number[] }): Promise<MergeRequest> {
    const extra: Partial<MergeRequest> = {};
    if (input.targetBranch !== undefined) extra.targetBranch = input.targetBranch;
    if (input.reviewerIds !== undefined) extra.reviewerIds = input.reviewerIds;
    if (input.draft !== undefined) extra.draft = input.draft;
    const { changes, action } = this.applyEdit(project, mr, input, extra);
    if (Object.keys(changes).length === 0) return mr;
    this.touch(mr, actor, changes);
    await this.mergeRequestHook(project, mr, actor, action, { changes });
    return mr;
  }

  mayMerge(project: Project, mr: MergeRequest, user: User): boolean {
    const level = this.model.accessLevel(project, user);
    const protection = project.protectedBranches.get(mr.targetBranch);
    return level >= (protection?.merge ?? AccessLevels.developer);
  }

  async mergeMergeRequest(project: Project, mr: MergeRequest, actor: User, options: { sha?: string; removeSourceBranch?: boolean } = {}): Promise<MergeRequest> {
    if (!this.mayMerge(project, mr, actor)) throw new ApiError(401, '401 Unauthorized');
    if (mr.state !== 'opened') throw new ApiError(405, '405 Method Not Allowed');
    const heads = await git.branchHeads(project.repoDir);
    const head = heads.get(mr.sourceBranch);
    if (options.sha && options.sha !== head) throw new ApiError(409, 'SHA does not match HEAD of source branch');
    const outcome = await git.mergeBranches(project.repoDir, {
      source: mr.sourceBranch,
      target: mr.targetBranch,
      message: `Merge branch '${mr.sourceBranch}' into '${mr.targetBranch}'\n\n${mr.title}\n\nSee merge request ${project.pathWithNamespace}!${mr.iid}`,
      author: { name: actor.name, email: actor.email },
    });
    if (!outcome.ok) throw new ApiError(outcome.reason === 'conflict' ? 406 : 409, outcome.reason === 'conflict' ? 'Branch cannot be merged' : 'Branch has been moved');
    mr.state = 'merged';
    mr.mergeCommitSha = outcome.sha;
    mr.mergedById = actor.id;
    mr.mergedAt = now();
    mr.updatedAt = mr.mergedAt;
    if (head) mr.sha = head;
    if (options.removeSourceBranch ?? mr.removeSourceBranch) await git.deleteBranch(project.repoDir, mr.sourceBranch);
    await this.mergeRequestHook(project, mr, actor, 'merge');
    return mr;
  }

  /** After a push: open merge requests from an updated branch get the new head and an update hook with `oldrev`. */
  async onPush(project: Project, pusher: User, updates: Array<{ branch: string; before: string | undefined; after: string | undefined }>): Promise<void> {
    for (const update of updates) {
      if (!update.after) continue;
      for (const mr of project.mergeRequests) {
        if (mr.state !== 'opened' || mr.sourceBranch !== update.branch) continue;
        const oldrev = mr.sha;
        mr.sha = update.after;
        mr.updatedAt = now();
        await this.mergeRequestHook(project, mr, pusher, 'update', { oldrev });
      }
    }
  }

  /** A commit as a person makes it: the files given are written (null deletes), on top of the branch's head. */
  async pushCommit(project: Project, author: User, input: { branch: string; files: Record<string, string | null>; message: string; startBranch?: string }): Promise<string> {
    const heads = await git.branchHeads(project.repoDir);
    const before = heads.get(input.branch);
    const parent = before ?? heads.get(input.startBranch ?? project.defaultBranch);
    if (!parent) throw new ApiError(400, 'You can only create or edit files when you are on a branch');
    const index = path.join(os.tmpdir(), `gitlab-standin-index-${randomUUID()}`);
    const env = {
      GIT_INDEX_FILE: index,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    try {
      await git.git(project.repoDir, ['read-tree', parent], { env });
      for (const [file, content] of Object.entries(input.files)) {
        if (content === null) {
          await git.git(project.repoDir, ['update-index', '--force-remove', file], { env });
          continue;
        }
        const blob = (await git.git(project.repoDir, ['hash-object', '-w', '--stdin'], { input: content })).trim();
        await git.git(project.repoDir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { env });
      }
      const tree = (await git.git(project.repoDir, ['write-tree'], { env })).trim();
      const sha = (await git.git(project.repoDir, ['commit-tree', tree, '-p', parent, '-m', input.message], { env })).trim();
      await git.git(project.repoDir, ['update-ref', `refs/heads/${input.branch}`, sha, before ?? '']);
      await this.onPush(project, author, [{ branch: input.branch, before, after: sha }]);
      return sha;
    } finally {
      fs.rmSync(index, { force: true });
    }
  }

  async diffRefs(project: Project, mr: MergeRequest): Promise<{ base_sha: string; head_sha: string; start_sha: string } | undefined> {
    const heads = await git.branchHeads(project.repoDir);
    const start = mr.state === 'merged' && mr.mergeCommitSha ? (await git.commitInfo(project.repoDir, mr.mergeCommitSha))?.parent_ids[0] : heads.get(mr.targetBranch);
    if (!start) return undefined;
    const base = (await git.mergeBase(project.repoDir, start, mr.sha)) ?? start;
    return { base_sha: base, head_sha: mr.sha, start_sha: start };
  }
}
