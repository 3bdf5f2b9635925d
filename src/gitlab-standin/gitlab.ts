// What happens in the stand-in's GitLab when someone acts: the REST API and the scripting interface both
// come here, so an action has the same effects (state, quick actions, webhooks) whichever way it came.
import { randomBytes } from 'node:crypto';
import * as git from './git.ts';
import { ApiError, forbidden, notFound, StandInGitLabItems, type ItemEdit, type NoteTarget } from './gitlab-items.ts';
import { AccessLevels, now, type Award, type Issue, type MergeRequest, type Note, type Position, type Project, type User } from './model.ts';
import { extractQuickActions, labelArgs, userArgs, type QuickAction } from './quick-actions.ts';

export { ApiError, forbidden, notFound, type ItemEdit, type NoteTarget };

export class StandInGitLab extends StandInGitLabItems {
  private pipelineSequence = 0;

  // ---- notes, discussions, awards

  protected noteable(project: Project, target: NoteTarget): { type: 'Issue'; issue: Issue } | { type: 'MergeRequest'; mergeRequest: MergeRequest } {
    return 'issue' in target
      ? { type: 'Issue', issue: this.issue(project, target.issue) }
      : { type: 'MergeRequest', mergeRequest: this.mergeRequest(project, target.mergeRequest) };
  }

  protected async noteHook(project: Project, note: Note, actor: User, action: string): Promise<void> {
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

  /** A merge request; quick actions in its description are taken out and applied as its author, as in GitLab. */
  override async createMergeRequest(project: Project, author: User, input: Parameters<StandInGitLabItems['createMergeRequest']>[2]): Promise<MergeRequest> {
    const { text, actions } = extractQuickActions(input.description ?? '', 'MergeRequest');
    const mr = await super.createMergeRequest(project, author, { ...input, description: text });
    await this.applyQuickActions(project, { type: 'MergeRequest', mergeRequest: mr }, author, actions);
    return mr;
  }

  /** An edit; a new description's quick actions are taken out and applied, as in GitLab. */
  override async editMergeRequest(project: Project, mr: MergeRequest, actor: User, input: Parameters<StandInGitLabItems['editMergeRequest']>[3]): Promise<MergeRequest> {
    if (input.description === undefined) return super.editMergeRequest(project, mr, actor, input);
    const { text, actions } = extractQuickActions(input.description, 'MergeRequest');
    await super.editMergeRequest(project, mr, actor, { ...input, description: text });
    await this.applyQuickActions(project, { type: 'MergeRequest', mergeRequest: mr }, actor, actions);
    return mr;
  }

  protected async applyQuickActions(project: Project, noteable: ReturnType<StandInGitLab['noteable']>, actor: User, actions: QuickAction[]): Promise<void> {
    if (actions.length === 0) return;
    const edit: ItemEdit & { addLabels: string[]; removeLabels: string[]; draft?: boolean; targetBranch?: string; reviewerIds?: number[] } = { addLabels: [], removeLabels: [] };
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
        case 'target_branch':
          if (canEdit && action.args && (await git.branchHeads(project.repoDir)).has(action.args)) edit.targetBranch = action.args;
          break;
        case 'assign_reviewer':
        case 'request_review':
          if (level >= AccessLevels.reporter && noteable.type === 'MergeRequest') edit.reviewerIds = [...new Set([...(edit.reviewerIds ?? noteable.mergeRequest.reviewerIds), ...usersOf(action.args)])];
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
