// The bodies of the stand-in's webhooks, shaped as GitLab's own (fixtures/gitlab-samples/).
import { createHash } from 'node:crypto';
import type { CommitInfo } from './git.ts';
import type { Award, Issue, MergeRequest, Model, Note, Project, User } from './model.ts';
import { hookTime } from './webhooks.ts';

/** GitLab's default avatar for users without an upload (Gravatar, enabled by default). */
export function avatarUrl(user: User): string {
  return `https://www.gravatar.com/avatar/${createHash('md5').update(user.email.toLowerCase()).digest('hex')}?s=80&d=identicon`;
}

/** Builds the payloads; `urls.base` is the stand-in's address. */
export class Payloads {
  private readonly model: Model;
  private readonly base: () => string;

  constructor(model: Model, base: () => string) {
    this.model = model;
    this.base = base;
  }

  user(u: User) {
    return { id: u.id, name: u.name, username: u.username, avatar_url: avatarUrl(u), email: '[REDACTED]' };
  }

  project(p: Project) {
    const web = `${this.base()}/${p.pathWithNamespace}`;
    const host = new URL(this.base()).hostname;
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      web_url: web,
      avatar_url: null,
      git_ssh_url: `git@${host}:${p.pathWithNamespace}.git`,
      git_http_url: `${web}.git`,
      namespace: p.namespace,
      visibility_level: 0,
      path_with_namespace: p.pathWithNamespace,
      default_branch: p.defaultBranch,
      ci_config_path: null,
      homepage: web,
      url: `git@${host}:${p.pathWithNamespace}.git`,
      ssh_url: `git@${host}:${p.pathWithNamespace}.git`,
      http_url: `${web}.git`,
    };
  }

  repository(p: Project) {
    const web = `${this.base()}/${p.pathWithNamespace}`;
    return { name: p.name, url: `git@${new URL(this.base()).hostname}:${p.pathWithNamespace}.git`, description: p.description, homepage: web };
  }

  labels(p: Project, titles: string[]) {
    return titles.map((title) => {
      const label = p.labels.find((l) => l.title === title)!;
      return {
        id: label.id,
        title: label.title,
        color: label.color,
        project_id: p.id,
        created_at: hookTime(p.createdAt),
        updated_at: hookTime(p.createdAt),
        template: false,
        description: label.description,
        type: 'ProjectLabel',
        group_id: null,
      };
    });
  }

  private assigneeRefs(ids: number[]) {
    return ids.map((id) => {
      const u = this.model.userById(id)!;
      return { id: u.id, name: u.name, username: u.username, avatar_url: avatarUrl(u) };
    });
  }

  issueAttributes(p: Project, i: Issue) {
    return {
      author_id: i.authorId,
      closed_at: hookTime(i.closedAt),
      confidential: i.confidential,
      created_at: hookTime(i.createdAt),
      description: i.description,
      discussion_locked: null,
      due_date: null,
      id: i.id,
      iid: i.iid,
      last_edited_at: null,
      last_edited_by_id: null,
      milestone_id: null,
      moved_to_id: null,
      duplicated_to_id: null,
      project_id: p.id,
      relative_position: 0,
      state_id: i.state === 'opened' ? 1 : 2,
      time_estimate: 0,
      title: i.title,
      updated_at: hookTime(i.updatedAt),
      updated_by_id: i.updatedById,
      type: 'Issue',
      url: `${this.base()}/${p.pathWithNamespace}/-/issues/${i.iid}`,
      total_time_spent: 0,
      time_change: 0,
      human_total_time_spent: null,
      human_time_change: null,
      human_time_estimate: null,
      assignee_ids: i.assigneeIds,
      assignee_id: i.assigneeIds[0] ?? null,
      labels: this.labels(p, i.labels),
      state: i.state,
      severity: 'unknown',
    };
  }

  issue(p: Project, i: Issue, actor: User, action: string, changes: Record<string, unknown> = {}) {
    const assignees = this.assigneeRefs(i.assigneeIds);
    return {
      object_kind: 'issue',
      event_type: i.confidential ? 'confidential_issue' : 'issue',
      user: this.user(actor),
      project: this.project(p),
      object_attributes: { ...this.issueAttributes(p, i), action },
      labels: this.labels(p, i.labels),
      changes,
      repository: this.repository(p),
      ...(assignees.length ? { assignees, assignee: assignees[0] } : {}),
    };
  }

  private lastCommit(p: Project, commit: CommitInfo | undefined) {
    if (!commit) return null;
    return {
      id: commit.id,
      message: commit.message,
      title: commit.title,
      timestamp: commit.authored_date,
      url: `${this.base()}/${p.pathWithNamespace}/-/commit/${commit.id}`,
      author: { name: commit.author_name, email: commit.author_email },
    };
  }

  mergeRequestAttributes(p: Project, mr: MergeRequest, commit: CommitInfo | undefined) {
    return {
      assignee_id: mr.assigneeIds[0] ?? null,
      author_id: mr.authorId,
      created_at: hookTime(mr.createdAt),
      description: mr.description,
      draft: mr.draft,
      head_pipeline_id: null,
      id: mr.id,
      iid: mr.iid,
      last_edited_at: null,
      last_edited_by_id: null,
      merge_commit_sha: mr.mergeCommitSha,
      merge_error: null,
      merge_params: { force_remove_source_branch: mr.removeSourceBranch ? '1' : '0' },
      merge_status: mr.state === 'opened' ? 'can_be_merged' : 'unchecked',
      merge_user_id: mr.mergedById,
      merge_when_pipeline_succeeds: false,
      milestone_id: null,
      source_branch: mr.sourceBranch,
      source_project_id: p.id,
      state_id: { opened: 1, closed: 2, merged: 3 }[mr.state],
      target_branch: mr.targetBranch,
      target_project_id: p.id,
      time_estimate: 0,
      title: mr.title,
      updated_at: hookTime(mr.updatedAt),
      updated_by_id: null,
      prepared_at: hookTime(mr.createdAt),
      assignee_ids: mr.assigneeIds,
      blocking_discussions_resolved: true,
      detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
      first_contribution: false,
      human_time_change: null,
      human_time_estimate: null,
      human_total_time_spent: null,
      labels: this.labels(p, mr.labels),
      last_commit: this.lastCommit(p, commit),
      reviewer_ids: mr.reviewerIds,
      source: this.project(p),
      state: mr.state,
      target: this.project(p),
      time_change: 0,
      total_time_spent: 0,
      url: `${this.base()}/${p.pathWithNamespace}/-/merge_requests/${mr.iid}`,
      work_in_progress: mr.draft,
    };
  }

  mergeRequest(p: Project, mr: MergeRequest, actor: User, action: string, commit: CommitInfo | undefined, extra: { oldrev?: string; changes?: Record<string, unknown> } = {}) {
    return {
      object_kind: 'merge_request',
      event_type: 'merge_request',
      user: this.user(actor),
      project: this.project(p),
      object_attributes: { ...this.mergeRequestAttributes(p, mr, commit), action, ...(extra.oldrev ? { oldrev: extra.oldrev } : {}) },
      labels: this.labels(p, mr.labels),
      changes: extra.changes ?? {},
      repository: this.repository(p),
      ...(mr.assigneeIds.length ? { assignees: this.assigneeRefs(mr.assigneeIds) } : {}),
      ...(mr.reviewerIds.length ? { reviewers: this.assigneeRefs(mr.reviewerIds) } : {}),
    };
  }

  noteAttributes(p: Project, n: Note, action: string) {
    const url =
      n.noteableType === 'Issue'
        ? `${this.base()}/${p.pathWithNamespace}/-/issues/${n.noteableIid}#note_${n.id}`
        : `${this.base()}/${p.pathWithNamespace}/-/merge_requests/${n.noteableIid}#note_${n.id}`;
    return {
      attachment: null,
      author_id: n.authorId,
      change_position: null,
      commit_id: n.position?.head_sha ?? null,
      created_at: hookTime(n.createdAt),
      discussion_id: n.discussionId,
      id: n.id,
      line_code: n.position ? `${n.position.new_path}_${n.position.old_line ?? ''}_${n.position.new_line ?? ''}` : null,
      note: n.body,
      noteable_id: n.noteableId,
      noteable_type: n.noteableType,
      original_position: n.position,
      position: n.position,
      project_id: p.id,
      resolved_at: null,
      resolved_by_id: n.resolvedById,
      resolved_by_push: null,
      st_diff: null,
      system: n.system,
      type: n.type,
      updated_at: hookTime(n.updatedAt),
      updated_by_id: null,
      description: n.body,
      url,
      action,
      internal: n.internal,
    };
  }

  note(p: Project, n: Note, actor: User, action: string, noteable: { issue?: Issue; mergeRequest?: MergeRequest; commit?: CommitInfo }) {
    return {
      object_kind: 'note',
      event_type: noteable.issue?.confidential || n.internal ? 'confidential_note' : 'note',
      user: this.user(actor),
      project_id: p.id,
      project: this.project(p),
      object_attributes: this.noteAttributes(p, n, action),
      repository: this.repository(p),
      ...(noteable.issue ? { issue: { ...this.issueAttributes(p, noteable.issue), position: 0, branch_name: null } } : {}),
      ...(noteable.mergeRequest
        ? {
            merge_request: {
              ...this.mergeRequestAttributes(p, noteable.mergeRequest, noteable.commit),
              position: 0,
              ...(noteable.mergeRequest.assigneeIds.length ? { assignee: this.assigneeRefs(noteable.mergeRequest.assigneeIds)[0] } : {}),
            },
          }
        : {}),
    };
  }

  emoji(p: Project, a: Award, actor: User, action: 'award' | 'revoke', target: { note?: Note; issue?: Issue; mergeRequest?: MergeRequest; commit?: CommitInfo }) {
    const on = target.note
      ? this.noteAttributes(p, target.note, 'create')
      : undefined;
    return {
      object_kind: 'emoji',
      event_type: action,
      user: this.user(actor),
      project_id: p.id,
      project: this.project(p),
      object_attributes: {
        user_id: a.userId,
        created_at: hookTime(a.createdAt),
        id: a.id,
        name: a.name,
        awardable_type: a.awardableType,
        awardable_id: a.awardableId,
        updated_at: hookTime(a.createdAt),
        action,
        awarded_on_url: on?.url ?? `${this.base()}/${p.pathWithNamespace}`,
      },
      ...(on ? { note: on } : {}),
      ...(target.issue ? { issue: this.issueAttributes(p, target.issue) } : {}),
      ...(target.mergeRequest ? { merge_request: this.mergeRequestAttributes(p, target.mergeRequest, target.commit) } : {}),
    };
  }

  pipeline(p: Project, o: { id: number; iid: number; ref: string; sha: string; beforeSha: string; status: string; source: string; actor: User; commit: CommitInfo | undefined; mergeRequest?: MergeRequest; createdAt: string; finishedAt: string | null }) {
    const web = `${this.base()}/${p.pathWithNamespace}`;
    return {
      object_kind: 'pipeline',
      object_attributes: {
        id: o.id,
        iid: o.iid,
        name: null,
        ref: o.ref,
        tag: false,
        sha: o.sha,
        before_sha: o.beforeSha,
        source: o.source,
        status: o.status,
        detailed_status: o.status,
        stages: ['test'],
        created_at: hookTime(o.createdAt),
        finished_at: hookTime(o.finishedAt),
        duration: o.finishedAt ? Math.max(0, Math.round((Date.parse(o.finishedAt) - Date.parse(o.createdAt)) / 1000)) : null,
        queued_duration: null,
        variables: [],
        url: `${web}/-/pipelines/${o.id}`,
      },
      merge_request: o.mergeRequest
        ? {
            id: o.mergeRequest.id,
            iid: o.mergeRequest.iid,
            title: o.mergeRequest.title,
            source_branch: o.mergeRequest.sourceBranch,
            source_project_id: p.id,
            target_branch: o.mergeRequest.targetBranch,
            target_project_id: p.id,
            state: o.mergeRequest.state,
            merge_status: 'can_be_merged',
            detailed_merge_status: 'mergeable',
            url: `${web}/-/merge_requests/${o.mergeRequest.iid}`,
          }
        : null,
      user: this.user(o.actor),
      project: this.project(p),
      commit: o.commit
        ? { id: o.commit.id, message: o.commit.message, title: o.commit.title, timestamp: o.commit.authored_date, url: `${web}/-/commit/${o.commit.id}`, author: { name: o.commit.author_name, email: o.commit.author_email } }
        : null,
      builds: [
        {
          id: o.id * 10,
          stage: 'test',
          name: 'dag-integrity',
          status: o.status,
          created_at: hookTime(o.createdAt),
          started_at: hookTime(o.createdAt),
          finished_at: hookTime(o.finishedAt),
          duration: null,
          queued_duration: null,
          failure_reason: o.status === 'failed' ? 'script_failure' : null,
          when: 'on_success',
          manual: false,
          allow_failure: false,
          user: this.user(o.actor),
          runner: null,
          artifacts_file: { filename: null, size: null },
          environment: null,
        },
      ],
    };
  }
}
