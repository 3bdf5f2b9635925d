// How the stand-in shows its objects through the REST API, in the shapes of GitLab's API documentation.
import type { Award, Hook, Issue, MergeRequest, Model, Note, Project, User } from './model.ts';
import { avatarUrl } from './webhooks.ts';

export type Urls = { base: string };

export function userBasic(user: User, urls: Urls) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: avatarUrl(user),
    web_url: `${urls.base}/${user.username}`,
  };
}

export function currentUser(user: User, urls: Urls) {
  return {
    ...userBasic(user, urls),
    created_at: user.createdAt,
    bio: '',
    public_email: null,
    bot: user.bot,
    email: user.email,
    is_admin: user.admin,
    can_create_project: true,
    two_factor_enabled: false,
    external: false,
  };
}

export function member(user: User, level: number, urls: Urls) {
  return { ...userBasic(user, urls), access_level: level, created_at: user.createdAt, expires_at: null, membership_state: 'active' };
}

export function project(p: Project, urls: Urls) {
  const web = `${urls.base}/${p.pathWithNamespace}`;
  return {
    id: p.id,
    description: p.description,
    name: p.name,
    name_with_namespace: `${p.namespace} / ${p.name}`,
    path: p.path,
    path_with_namespace: p.pathWithNamespace,
    created_at: p.createdAt,
    default_branch: p.defaultBranch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@${new URL(urls.base).hostname}:${p.pathWithNamespace}.git`,
    http_url_to_repo: `${web}.git`,
    web_url: web,
    readme_url: null,
    avatar_url: null,
    forks_count: 0,
    star_count: 0,
    last_activity_at: p.createdAt,
    namespace: { id: p.id + 100_000, name: p.namespace, path: p.namespace, kind: 'group', full_path: p.namespace, parent_id: null, avatar_url: null, web_url: `${urls.base}/groups/${p.namespace}` },
    visibility: 'private',
    archived: false,
    issues_enabled: true,
    merge_requests_enabled: true,
    empty_repo: false,
    open_issues_count: p.issues.filter((i) => i.state === 'opened').length,
  };
}

export function issue(model: Model, p: Project, i: Issue, urls: Urls) {
  const author = model.userById(i.authorId)!;
  const assignees = i.assigneeIds.map((id) => userBasic(model.userById(id)!, urls));
  return {
    id: i.id,
    iid: i.iid,
    project_id: p.id,
    title: i.title,
    description: i.description,
    state: i.state,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    closed_at: i.closedAt,
    closed_by: i.closedById ? userBasic(model.userById(i.closedById)!, urls) : null,
    labels: i.labels,
    milestone: null,
    assignees,
    author: userBasic(author, urls),
    type: 'ISSUE',
    assignee: assignees[0] ?? null,
    user_notes_count: p.notes.filter((n) => n.noteableType === 'Issue' && n.noteableId === i.id && !n.system).length,
    merge_requests_count: 0,
    upvotes: 0,
    downvotes: 0,
    due_date: null,
    confidential: i.confidential,
    discussion_locked: null,
    issue_type: 'issue',
    web_url: `${urls.base}/${p.pathWithNamespace}/-/issues/${i.iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    task_completion_status: { count: 0, completed_count: 0 },
    references: { short: `#${i.iid}`, relative: `#${i.iid}`, full: `${p.pathWithNamespace}#${i.iid}` },
  };
}

export function mergeRequest(model: Model, p: Project, mr: MergeRequest, urls: Urls, extra: { diffRefs?: { base_sha: string; head_sha: string; start_sha: string } } = {}) {
  const user = (id: number | null) => (id ? userBasic(model.userById(id)!, urls) : null);
  const assignees = mr.assigneeIds.map((id) => user(id)!);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merged_by: user(mr.mergedById),
    merge_user: user(mr.mergedById),
    merged_at: mr.mergedAt,
    closed_by: null,
    closed_at: mr.closedAt,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: p.notes.filter((n) => n.noteableType === 'MergeRequest' && n.noteableId === mr.id && !n.system).length,
    upvotes: 0,
    downvotes: 0,
    author: user(mr.authorId),
    assignees,
    assignee: assignees[0] ?? null,
    reviewers: mr.reviewerIds.map((id) => user(id)!),
    source_project_id: p.id,
    target_project_id: p.id,
    labels: mr.labels,
    draft: mr.draft,
    work_in_progress: mr.draft,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: mr.state === 'opened' ? 'can_be_merged' : 'unchecked',
    detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
    sha: mr.sha,
    merge_commit_sha: mr.mergeCommitSha,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: mr.removeSourceBranch,
    reference: `!${mr.iid}`,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${p.pathWithNamespace}!${mr.iid}` },
    web_url: `${urls.base}/${p.pathWithNamespace}/-/merge_requests/${mr.iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    squash: false,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: false,
    blocking_discussions_resolved: p.notes.every((n) => n.noteableId !== mr.id || !n.resolvable || n.resolved),
    ...(extra.diffRefs ? { diff_refs: extra.diffRefs } : {}),
  };
}

export function note(model: Model, n: Note, urls: Urls) {
  return {
    id: n.id,
    type: n.type,
    body: n.body,
    attachment: null,
    author: userBasic(model.userById(n.authorId)!, urls),
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    system: n.system,
    noteable_id: n.noteableId,
    noteable_type: n.noteableType,
    project_id: n.projectId,
    noteable_iid: n.noteableIid,
    commit_id: null,
    ...(n.position ? { position: n.position } : {}),
    resolvable: n.resolvable,
    ...(n.resolvable ? { resolved: n.resolved, resolved_by: n.resolvedById ? userBasic(model.userById(n.resolvedById)!, urls) : null } : {}),
    confidential: false,
    internal: n.internal,
    imported: false,
    imported_from: 'none',
  };
}

export function discussion(model: Model, notes: Note[], urls: Urls) {
  return {
    id: notes[0]!.discussionId,
    individual_note: notes.length === 1 && notes[0]!.type === null,
    notes: notes.map((n) => note(model, n, urls)),
  };
}

export function award(model: Model, a: Award, urls: Urls) {
  return {
    id: a.id,
    name: a.name,
    user: userBasic(model.userById(a.userId)!, urls),
    created_at: a.createdAt,
    updated_at: a.createdAt,
    awardable_id: a.awardableId,
    awardable_type: a.awardableType,
  };
}

export function hook(h: Hook) {
  return {
    id: h.id,
    url: h.url,
    project_id: h.projectId,
    ...h.events,
    wiki_page_events: false,
    deployment_events: false,
    job_events: false,
    releases_events: false,
    tag_push_events: false,
    enable_ssl_verification: h.enableSslVerification,
    created_at: h.createdAt,
    alert_status: 'executable',
  };
}
