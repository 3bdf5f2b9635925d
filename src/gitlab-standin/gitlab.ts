// What happens in the stand-in's GitLab when someone acts: the REST API and the scripting interface both
// come here, so an action has the same effects (state, quick actions, webhooks) whichever way it came.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as git from './git.ts';
import { AccessLevels, Model, now, type Award, type Hook, type Issue, type MergeRequest, type Note, type Position, type Project, type User } from './model.ts';
import { extractQuickActions, labelArgs, userArgs, type QuickAction } from './quick-actions.ts';
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

export class StandInGitLab {
  readonly model = new Model();
  readonly webhooks: WebhookSender;
  readonly payloads: Payloads;
  readonly reposRoot: string;
  private baseUrl = 'http://127.0.0.1';
  private pipelineSequence = 0;

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

  private issueHook(project: Project, issue: Issue, actor: User, action: string, changes: Record<string, unknown> = {}): void {
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
  private applyEdit<T extends Issue | MergeRequest>(project: Project, item: T, input: ItemEdit, extra: Partial<Pick<T, keyof T>> = {}): { changes: Changes; action: string } {
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

  private touch(item: Issue | MergeRequest, actor: User, changes: Changes): void {
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

  private async mergeRequestHook(project: Project, mr: MergeRequest, actor: User, action: string, extra: { oldrev?: string; changes?: Record<string, unknown> } = {}): Promise<void> {
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

  async editMergeRequest(project: Project, mr: MergeRequest, actor: User, input: ItemEdit & { targetBranch?: string; draft?: boolean }): Promise<MergeRequest> {
    const extra: Partial<MergeRequest> = {};
    if (input.targetBranch !== undefined) extra.targetBranch = input.targetBranch;
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

  // ---- notes, discussions, awards

  private noteable(project: Project, target: NoteTarget): { type: 'Issue'; issue: Issue } | { type: 'MergeRequest'; mergeRequest: MergeRequest } {
    return 'issue' in target
      ? { type: 'Issue', issue: this.issue(project, target.issue) }
      : { type: 'MergeRequest', mergeRequest: this.mergeRequest(project, target.mergeRequest) };
  }

  private async noteHook(project: Project, note: Note, actor: User, action: string): Promise<void> {
    const issue = note.noteableType === 'Issue' ? project.issues.find((i) => i.id === note.noteableId) : undefined;
    const mergeRequest = note.noteableType === 'MergeRequest' ? project.mergeRequests.find((m) => m.id === note.noteableId) : undefined;
    const commit = mergeRequest ? await git.commitInfo(project.repoDir, mergeRequest.sha) : undefined;
    const confidential = issue?.confidential || note.internal;
    this.webhooks.emit(project, confidential ? 'Confidential Note Hook' : 'Note Hook', this.payloads.note(project, note, actor, action, { issue, mergeRequest, commit }));
  }

  /**
   * A comment. Quick actions are taken out and applied; a comment made only of them is not stored (undefined
   * is returned with what was applied) and fires no Note Hook, as in GitLab.
   */
  async createNote(project: Project, target: NoteTarget, author: User, body: string, options: { position?: Position; discussionId?: string; internal?: boolean } = {}): Promise<{ note?: Note; actions: QuickAction[] }> {
    if (!body?.trim()) throw new ApiError(400, 'body is missing');
    const noteable = this.noteable(project, target);
    const { text, actions } = extractQuickActions(body, noteable.type);
    await this.applyQuickActions(project, noteable, author, actions);
    if (!text) return { actions };
    const at = now();
    const inThread = options.discussionId ? project.notes.find((n) => n.discussionId === options.discussionId) : undefined;
    if (options.discussionId && !inThread) throw notFound('Discussion Not Found');
    const isMergeRequest = noteable.type === 'MergeRequest';
    const note: Note = {
      id: this.model.nextId(),
      projectId: project.id,
      noteableType: noteable.type,
      noteableId: noteable.type === 'Issue' ? noteable.issue.id : noteable.mergeRequest.id,
      noteableIid: noteable.type === 'Issue' ? noteable.issue.iid : noteable.mergeRequest.iid,
      body: text,
      authorId: author.id,
      system: false,
      type: options.position ? 'DiffNote' : inThread ? (inThread.type ?? 'DiscussionNote') : null,
      discussionId: inThread?.discussionId ?? randomBytes(20).toString('hex'),
      position: options.position ?? inThread?.position ?? null,
      resolvable: isMergeRequest && (!!options.position || !!inThread?.resolvable || options.discussionId !== undefined),
      resolved: false,
      resolvedById: null,
      internal: options.internal ?? false,
      createdAt: at,
      updatedAt: at,
    };
    if (inThread && inThread.type === null) {
      // Replying to an individual comment turns it into a thread.
      for (const n of project.notes.filter((n) => n.discussionId === inThread.discussionId)) n.type = 'DiscussionNote';
      note.type = 'DiscussionNote';
    }
    project.notes.push(note);
    await this.noteHook(project, note, author, 'create');
    return { note, actions };
  }

  async startDiscussion(project: Project, target: NoteTarget, author: User, body: string, position?: Position): Promise<{ note?: Note; actions: QuickAction[] }> {
    const result = await this.createNote(project, target, author, body, { position });
    if (result.note && !position) {
      result.note.type = 'DiscussionNote';
      result.note.resolvable = result.note.noteableType === 'MergeRequest';
    }
    return result;
  }

  async editNote(project: Project, note: Note, actor: User, body: string): Promise<Note> {
    if (note.authorId !== actor.id) throw forbidden();
    if (!body?.trim()) throw new ApiError(400, 'body is missing');
    if (note.body === body) return note;
    note.body = body;
    note.updatedAt = now();
    await this.noteHook(project, note, actor, 'update');
    return note;
  }

  resolveDiscussion(project: Project, discussionId: string, actor: User, resolved: boolean): Note[] {
    const notes = project.notes.filter((n) => n.discussionId === discussionId);
    if (notes.length === 0) throw notFound('Discussion Not Found');
    if (!notes[0]!.resolvable) throw new ApiError(400, 'Discussion is not resolvable');
    for (const n of notes) {
      n.resolved = resolved;
      n.resolvedById = resolved ? actor.id : null;
    }
    return notes;
  }

  async award(project: Project, awardable: { note: Note } | { issue: Issue } | { mergeRequest: MergeRequest }, user: User, name: string): Promise<Award> {
    if (!/^[a-z0-9_+-]+$/.test(name)) throw notFound('Award Emoji Name is not a valid emoji name');
    const [awardableType, awardableId] =
      'note' in awardable ? (['Note', awardable.note.id] as const) : 'issue' in awardable ? (['Issue', awardable.issue.id] as const) : (['MergeRequest', awardable.mergeRequest.id] as const);
    if (project.awards.some((a) => a.awardableType === awardableType && a.awardableId === awardableId && a.userId === user.id && a.name === name)) {
      throw notFound('Award Emoji Name has already been taken');
    }
    const award: Award = { id: this.model.nextId(), name, userId: user.id, awardableType, awardableId, createdAt: now() };
    project.awards.push(award);
    const note = 'note' in awardable ? awardable.note : undefined;
    const issue = 'issue' in awardable ? awardable.issue : note?.noteableType === 'Issue' ? project.issues.find((i) => i.id === note.noteableId) : undefined;
    const mergeRequest = 'mergeRequest' in awardable ? awardable.mergeRequest : note?.noteableType === 'MergeRequest' ? project.mergeRequests.find((m) => m.id === note.noteableId) : undefined;
    const commit = mergeRequest ? await git.commitInfo(project.repoDir, mergeRequest.sha) : undefined;
    this.webhooks.emit(project, 'Emoji Hook', this.payloads.emoji(project, award, user, 'award', { note, issue, mergeRequest, commit }));
    return award;
  }

  // ---- pipelines

  async runPipeline(project: Project, input: { ref: string; status: string; user: User; mergeRequestIid?: number }): Promise<number> {
    const heads = await git.branchHeads(project.repoDir);
    const sha = heads.get(input.ref);
    if (!sha) throw new ApiError(400, { base: ['Reference not found'] });
    const commit = await git.commitInfo(project.repoDir, sha);
    const id = 1_000 + ++this.pipelineSequence;
    const mergeRequest = input.mergeRequestIid !== undefined ? this.mergeRequest(project, input.mergeRequestIid) : undefined;
    const createdAt = now();
    const finished = ['success', 'failed', 'canceled', 'skipped'].includes(input.status);
    this.webhooks.emit(
      project,
      'Pipeline Hook',
      this.payloads.pipeline(project, {
        id,
        iid: this.pipelineSequence,
        ref: input.ref,
        sha,
        beforeSha: commit?.parent_ids[0] ?? '0000000000000000000000000000000000000000',
        status: input.status,
        source: mergeRequest ? 'merge_request_event' : 'push',
        actor: input.user,
        commit,
        mergeRequest,
        createdAt,
        finishedAt: finished ? now() : null,
      }),
    );
    return id;
  }

  // ---- quick actions

  private async applyQuickActions(project: Project, noteable: ReturnType<StandInGitLab['noteable']>, actor: User, actions: QuickAction[]): Promise<void> {
    if (actions.length === 0) return;
    const edit: ItemEdit & { addLabels: string[]; removeLabels: string[]; draft?: boolean } = { addLabels: [], removeLabels: [] };
    let merge = false;
    const current = noteable.type === 'Issue' ? noteable.issue : noteable.mergeRequest;
    const level = this.model.accessLevel(project, actor);
    const canEdit = level >= AccessLevels.reporter || current.authorId === actor.id;
    for (const action of actions) {
      const usersOf = (args: string) => userArgs(args).map((u) => this.model.userByUsername(u)).filter((u): u is User => !!u).map((u) => u.id);
      switch (action.name) {
        case 'close':
          if (canEdit) edit.stateEvent = 'close';
          break;
        case 'reopen':
          if (canEdit) edit.stateEvent = 'reopen';
          break;
        case 'title':
          if (canEdit && action.args) edit.title = action.args;
          break;
        case 'label':
          if (level >= AccessLevels.reporter) edit.addLabels.push(...labelArgs(action.args));
          break;
        case 'unlabel':
          if (level >= AccessLevels.reporter) {
            if (action.args) edit.removeLabels.push(...labelArgs(action.args));
            else edit.labels = [];
          }
          break;
        case 'relabel':
          if (level >= AccessLevels.reporter) edit.labels = labelArgs(action.args);
          break;
        case 'assign':
          if (level >= AccessLevels.reporter) edit.assigneeIds = [...new Set([...(edit.assigneeIds ?? current.assigneeIds), ...(action.args === 'me' ? [actor.id] : usersOf(action.args))])];
          break;
        case 'unassign':
          if (level >= AccessLevels.reporter) edit.assigneeIds = action.args ? (edit.assigneeIds ?? current.assigneeIds).filter((id) => !usersOf(action.args).includes(id)) : [];
          break;
        case 'draft':
        case 'wip':
          edit.draft = true;
          break;
        case 'ready':
          edit.draft = false;
          break;
        case 'merge':
          merge = true;
          break;
        default:
          // Known to GitLab but without an effect the stand-in models: taken out of the text all the same.
          break;
      }
    }
    if (noteable.type === 'Issue') {
      this.editIssue(project, noteable.issue, actor, edit);
    } else {
      await this.editMergeRequest(project, noteable.mergeRequest, actor, edit);
      if (merge && this.mayMerge(project, noteable.mergeRequest, actor) && noteable.mergeRequest.state === 'opened') {
        await this.mergeMergeRequest(project, noteable.mergeRequest, actor);
      }
    }
  }
}
