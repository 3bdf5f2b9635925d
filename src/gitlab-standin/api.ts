// The stand-in's REST API: the subset of GitLab's /api/v4 that Dagwright uses, with GitLab's shapes, auth,
// access levels, errors and pagination.
import { Hono, type Context } from 'hono';
import * as entities from './entities.ts';
import * as git from './git.ts';
import { ApiError, forbidden, notFound, type ItemEdit, type NoteTarget, type StandInGitLab } from './gitlab.ts';
import { AccessLevels, type Hook, type Position, type Project, type User } from './model.ts';
import { GITLAB_VERSION } from './webhooks.ts';

type Env = { Variables: { user: User; params: Record<string, unknown> } };

const toInt = (value: unknown): number | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
};
const toBool = (value: unknown): boolean | undefined =>
  value === undefined ? undefined : value === true || value === 'true' || value === '1' || value === 1;
const toList = (value: unknown): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
};
const toIds = (value: unknown): number[] | undefined => toList(value)?.map(Number).filter(Number.isInteger);

/** `position[base_sha]=…` → `{ position: { base_sha: … } }`, as Grape (GitLab's API layer) reads form keys. */
function assignBracketed(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.replace(/\]/g, '').split('[');
  const last = parts.pop()!;
  let node = target;
  for (const part of parts) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[last] = value;
}

/** Query string and body (JSON, urlencoded or multipart form) together, as GitLab's API reads them. */
async function readParams(c: Context<Env>): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = {};
  const add = (key: string, value: unknown) => {
    if (key.endsWith('[]')) {
      const name = key.slice(0, -2);
      params[name] = [...((params[name] as unknown[]) ?? []), ...(Array.isArray(value) ? value : [value])];
    } else if (key.includes('[')) {
      assignBracketed(params, key, value);
    } else {
      params[key] = value;
    }
  };
  for (const [key, value] of new URL(c.req.url).searchParams) add(key, value);
  if (c.req.method === 'GET' || c.req.method === 'DELETE') return params;
  const type = c.req.header('content-type') ?? '';
  if (type.includes('multipart/form-data') || type.includes('application/x-www-form-urlencoded')) {
    const form = await c.req.parseBody({ all: true });
    for (const [key, value] of Object.entries(form)) add(key, value);
    return params;
  }
  const text = await c.req.text();
  if (!text) return params;
  try {
    Object.assign(params, JSON.parse(text));
  } catch {
    throw new ApiError(400, '400 Bad request - body is not valid JSON');
  }
  return params;
}

function paginate<T>(c: Context<Env>, items: T[]): T[] {
  const url = new URL(c.req.url);
  const perPage = Math.min(100, Math.max(1, toInt(url.searchParams.get('per_page')) ?? 20));
  const page = Math.max(1, toInt(url.searchParams.get('page')) ?? 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number) => {
    const u = new URL(url);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return u.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
  c.header('x-page', String(page));
  c.header('x-per-page', String(perPage));
  c.header('x-total', String(items.length));
  c.header('x-total-pages', String(totalPages));
  c.header('x-next-page', page < totalPages ? String(page + 1) : '');
  c.header('x-prev-page', page > 1 ? String(page - 1) : '');
  c.header('link', links.join(', '));
  return items.slice((page - 1) * perPage, page * perPage);
}

/** The fields of a PUT on an issue or a merge request that both share. */
function itemEdit(params: Record<string, unknown>): ItemEdit {
  const stateEvent = params.state_event as string | undefined;
  if (stateEvent !== undefined && stateEvent !== 'close' && stateEvent !== 'reopen') throw new ApiError(400, 'state_event does not have a valid value');
  return {
    title: params.title as string | undefined,
    description: params.description as string | undefined,
    labels: toList(params.labels),
    addLabels: toList(params.add_labels),
    removeLabels: toList(params.remove_labels),
    stateEvent,
    assigneeIds: toIds(params.assignee_ids),
  };
}

export function createApi(gitlab: StandInGitLab): Hono<Env> {
  const api = new Hono<Env>().basePath('/api/v4');
  const model = gitlab.model;
  const urls = () => ({ base: gitlab.url });

  api.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.body as object, err.status as 400);
    return c.json({ message: '500 Internal Server Error' }, 500);
  });
  api.notFound((c) => c.json({ message: '404 Not Found' }, 404));

  api.use('*', async (c, next) => {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const user = model.userByToken(c.req.header('private-token') ?? bearer);
    if (!user) return c.json({ message: '401 Unauthorized' }, 401);
    // A token without the api scope reads (read_api) or nothing, as GitLab enforces it.
    const scopes = user.tokenScopes;
    if (!scopes.includes('api') && !(c.req.method === 'GET' && scopes.includes('read_api'))) {
      return c.json({ error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api read_api' }, 403);
    }
    c.set('user', user);
    c.set('params', await readParams(c));
    await next();
  });

  /** The project, if the user may see it, and if their level is at least `min` (else 403). */
  const projectFor = (c: Context<Env>, min: number = AccessLevels.guest): Project => {
    const project = model.project(c.req.param('id') ?? '');
    const level = project ? model.accessLevel(project, c.get('user')) : 0;
    if (!project || level === 0) throw notFound('Project Not Found');
    if (level < min) throw forbidden();
    return project;
  };
  const p = (c: Context<Env>) => c.get('params');
  const userOf = (c: Context<Env>) => c.get('user');

  api.get('/user', (c) => c.json(entities.currentUser(userOf(c), urls())));
  // GitLab 15.5+: the token the request was made with.
  api.get('/personal_access_tokens/self', (c) => {
    const user = userOf(c);
    return c.json({ id: user.id, name: `${user.username}-token`, revoked: false, created_at: user.createdAt, scopes: user.tokenScopes, user_id: user.id, last_used_at: new Date().toISOString(), active: true, expires_at: null });
  });
  const metadata = { version: GITLAB_VERSION, revision: 'standin', kas: { enabled: false, externalUrl: null, version: null }, enterprise: false };
  api.get('/version', (c) => c.json(metadata));
  api.get('/metadata', (c) => c.json(metadata));

  api.get('/projects/:id', (c) => c.json(entities.project(projectFor(c), urls())));

  // ---- members
  api.get('/projects/:id/members/all/:user_id', (c) => {
    const project = projectFor(c);
    const user = model.userById(Number(c.req.param('user_id')));
    const level = user ? project.members.get(user.id) : undefined;
    if (!user || level === undefined) throw notFound();
    return c.json(entities.member(user, level, urls()));
  });
  api.get('/projects/:id/members/all', (c) => {
    const project = projectFor(c);
    const members = [...project.members].map(([id, level]) => entities.member(model.userById(id)!, level, urls()));
    return c.json(paginate(c, members));
  });

  // ---- repository
  api.get('/projects/:id/repository/branches', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const heads = await git.branchHeads(project.repoDir);
    const search = (p(c).search as string | undefined)?.toLowerCase();
    const names = [...heads.keys()].filter((n) => !search || n.toLowerCase().includes(search)).sort();
    const page = paginate(c, names);
    return c.json(await Promise.all(page.map((name) => branchEntity(project, name, heads.get(name)!))));
  });
  api.get('/projects/:id/repository/branches/:branch{.+}', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const name = decodeURIComponent(c.req.param('branch'));
    const sha = (await git.branchHeads(project.repoDir)).get(name);
    if (!sha) throw notFound('Branch Not Found');
    return c.json(await branchEntity(project, name, sha));
  });
  async function branchEntity(project: Project, name: string, sha: string) {
    const commit = await git.commitInfo(project.repoDir, sha);
    const protection = project.protectedBranches.get(name);
    return {
      name,
      commit: { ...commit, web_url: `${gitlab.url}/${project.pathWithNamespace}/-/commit/${sha}` },
      merged: false,
      protected: !!protection,
      developers_can_push: (protection?.push ?? AccessLevels.developer) <= AccessLevels.developer,
      developers_can_merge: (protection?.merge ?? AccessLevels.developer) <= AccessLevels.developer,
      can_push: true,
      default: name === project.defaultBranch,
      web_url: `${gitlab.url}/${project.pathWithNamespace}/-/tree/${encodeURIComponent(name)}`,
    };
  }
  api.get('/projects/:id/repository/files/:file_path/raw', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const ref = (p(c).ref as string | undefined) ?? project.defaultBranch;
    const content = await git.readFileAt(project.repoDir, ref, decodeURIComponent(c.req.param('file_path')));
    if (!content) throw notFound('File Not Found');
    c.header('content-type', 'text/plain; charset=utf-8');
    return c.body(new Uint8Array(content));
  });

  // ---- hooks
  api.get('/projects/:id/hooks', (c) => c.json(paginate(c, projectFor(c, AccessLevels.maintainer).hooks.map(entities.hook))));
  // A hook's settings from the request: on create, GitLab's defaults for what is not given; on edit, the hook's own.
  const hookSettings = (params: Record<string, unknown>, current?: Hook) => {
    const flag = (name: keyof Hook['events'], fallback: boolean) => toBool(params[name]) ?? current?.events[name] ?? fallback;
    return {
      url: String(params.url),
      token: params.token !== undefined ? String(params.token) : (current?.token ?? null),
      enableSslVerification: toBool(params.enable_ssl_verification) ?? current?.enableSslVerification ?? true,
      events: {
        issues_events: flag('issues_events', false),
        confidential_issues_events: flag('confidential_issues_events', false),
        note_events: flag('note_events', false),
        confidential_note_events: flag('confidential_note_events', false),
        merge_requests_events: flag('merge_requests_events', false),
        pipeline_events: flag('pipeline_events', false),
        emoji_events: flag('emoji_events', false),
        push_events: flag('push_events', true),
      },
    };
  };
  const checkHookUrl = (params: Record<string, unknown>) => {
    if (!params.url || !URL.canParse(String(params.url))) throw new ApiError(422, { url: ['is blocked: Only allowed schemes are http, https'] });
  };
  api.post('/projects/:id/hooks', (c) => {
    const project = projectFor(c, AccessLevels.maintainer);
    const params = p(c);
    checkHookUrl(params);
    return c.json(entities.hook(gitlab.addHook(project, hookSettings(params))), 201);
  });

  api.put('/projects/:id/hooks/:hook_id', (c) => {
    const project = projectFor(c, AccessLevels.maintainer);
    const hook = project.hooks.find((h) => h.id === Number(c.req.param('hook_id')));
    if (!hook) throw notFound();
    const params = p(c);
    checkHookUrl(params);
    Object.assign(hook, hookSettings(params, hook));
    return c.json(entities.hook(hook));
  });

  api.delete('/projects/:id/hooks/:hook_id', (c) => {
    const project = projectFor(c, AccessLevels.maintainer);
    const index = project.hooks.findIndex((h) => h.id === Number(c.req.param('hook_id')));
    if (index < 0) throw notFound();
    project.hooks.splice(index, 1);
    return c.body(null, 204);
  });

  // ---- commits
  api.get('/projects/:id/repository/commits', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const ref = c.req.query('ref_name') || project.defaultBranch;
    // As GitLab: a ref that does not exist lists no commits (200, []).
    const commits = (await git.commitsOf(project.repoDir, ref)) ?? [];
    return c.json(paginate(c, commits).map((commit) => ({ ...commit, web_url: `${gitlab.url}/${project.pathWithNamespace}/-/commit/${commit.id}` })));
  });

  // ---- issues
  api.get('/projects/:id/issues', (c) => {
    const project = projectFor(c);
    const params = p(c);
    const labels = toList(params.labels);
    let issues = [...project.issues].sort((a, b) => b.id - a.id);
    if (params.state && params.state !== 'all') issues = issues.filter((i) => i.state === params.state);
    if (labels?.length) issues = issues.filter((i) => labels.every((l) => i.labels.includes(l)));
    if (params.iids) {
      const iids = toIds(params.iids)!;
      issues = issues.filter((i) => iids.includes(i.iid));
    }
    return c.json(paginate(c, issues).map((i) => entities.issue(model, project, i, urls())));
  });
  api.post('/projects/:id/issues', (c) => {
    const project = projectFor(c);
    const params = p(c);
    const issue = gitlab.openIssue(project, userOf(c), {
      title: String(params.title ?? ''),
      description: params.description as string | undefined,
      labels: toList(params.labels),
      assigneeIds: toIds(params.assignee_ids),
      confidential: toBool(params.confidential),
    });
    return c.json(entities.issue(model, project, issue, urls()), 201);
  });
  api.get('/projects/:id/issues/:iid', (c) => {
    const project = projectFor(c);
    return c.json(entities.issue(model, project, gitlab.issue(project, Number(c.req.param('iid'))), urls()));
  });
  api.put('/projects/:id/issues/:iid', (c) => {
    const project = projectFor(c);
    const issue = gitlab.issue(project, Number(c.req.param('iid')));
    const user = userOf(c);
    if (model.accessLevel(project, user) < AccessLevels.reporter && issue.authorId !== user.id) throw forbidden();
    gitlab.editIssue(project, issue, user, { ...itemEdit(p(c)), confidential: toBool(p(c).confidential) });
    return c.json(entities.issue(model, project, issue, urls()));
  });

  // ---- notes (issues and merge requests)
  for (const kind of ['issues', 'merge_requests'] as const) {
    const min = kind === 'issues' ? AccessLevels.guest : AccessLevels.reporter;
    const targetOf = (c: Context<Env>): NoteTarget => (kind === 'issues' ? { issue: Number(c.req.param('iid')) } : { mergeRequest: Number(c.req.param('iid')) });
    const notesOf = (project: Project, c: Context<Env>) => {
      const target = targetOf(c);
      const noteable = 'issue' in target ? gitlab.issue(project, target.issue) : gitlab.mergeRequest(project, target.mergeRequest);
      return project.notes.filter((n) => n.noteableId === noteable.id);
    };

    api.get(`/projects/:id/${kind}/:iid/notes`, (c) => {
      const project = projectFor(c, min);
      const params = p(c);
      const orderBy = params.order_by === 'updated_at' ? 'updatedAt' : 'createdAt';
      const ascending = params.sort === 'asc';
      const notes = [...notesOf(project, c)].sort((a, b) => {
        const d = a[orderBy].localeCompare(b[orderBy]) || a.id - b.id;
        return ascending ? d : -d;
      });
      return c.json(paginate(c, notes).map((n) => entities.note(model, n, urls())));
    });
    api.get(`/projects/:id/${kind}/:iid/notes/:note_id`, (c) => {
      const project = projectFor(c, min);
      const note = notesOf(project, c).find((n) => n.id === Number(c.req.param('note_id')));
      if (!note) throw notFound('Note Not Found');
      return c.json(entities.note(model, note, urls()));
    });
    api.post(`/projects/:id/${kind}/:iid/notes`, async (c) => {
      const project = projectFor(c, min);
      const params = p(c);
      const { note, actions } = await gitlab.createNote(project, targetOf(c), userOf(c), String(params.body ?? ''), { internal: toBool(params.internal) });
      if (!note) {
        return c.json({ commands_changes: Object.fromEntries(actions.map((a) => [a.name, a.args || true])), summary: actions.map((a) => `Applied /${a.name}`) }, 202);
      }
      return c.json(entities.note(model, note, urls()), 201);
    });
    api.put(`/projects/:id/${kind}/:iid/notes/:note_id`, async (c) => {
      const project = projectFor(c, min);
      const note = notesOf(project, c).find((n) => n.id === Number(c.req.param('note_id')));
      if (!note) throw notFound('Note Not Found');
      await gitlab.editNote(project, note, userOf(c), String(p(c).body ?? ''));
      return c.json(entities.note(model, note, urls()));
    });
    api.post(`/projects/:id/${kind}/:iid/notes/:note_id/award_emoji`, async (c) => {
      const project = projectFor(c, min);
      const note = notesOf(project, c).find((n) => n.id === Number(c.req.param('note_id')));
      if (!note) throw notFound('Note Not Found');
      const name = String(p(c).name ?? '');
      if (!name) throw new ApiError(400, 'name is missing');
      const award = await gitlab.award(project, { note }, userOf(c), name);
      return c.json(entities.award(model, award, urls()), 201);
    });
    api.get(`/projects/:id/${kind}/:iid/notes/:note_id/award_emoji`, (c) => {
      const project = projectFor(c, min);
      const noteId = Number(c.req.param('note_id'));
      const awards = project.awards.filter((a) => a.awardableType === 'Note' && a.awardableId === noteId);
      return c.json(paginate(c, awards).map((a) => entities.award(model, a, urls())));
    });
    api.get(`/projects/:id/${kind}/:iid/award_emoji`, (c) => {
      const project = projectFor(c, min);
      const target = targetOf(c);
      const awardable = 'issue' in target ? gitlab.issue(project, target.issue) : gitlab.mergeRequest(project, target.mergeRequest);
      const type = kind === 'issues' ? 'Issue' : 'MergeRequest';
      const awards = project.awards.filter((a) => a.awardableType === type && a.awardableId === awardable.id);
      return c.json(paginate(c, awards).map((a) => entities.award(model, a, urls())));
    });
    api.post(`/projects/:id/${kind}/:iid/award_emoji`, async (c) => {
      const project = projectFor(c, min);
      const target = targetOf(c);
      const name = String(p(c).name ?? '');
      if (!name) throw new ApiError(400, 'name is missing');
      const award = await gitlab.award(project, 'issue' in target ? { issue: gitlab.issue(project, target.issue) } : { mergeRequest: gitlab.mergeRequest(project, target.mergeRequest) }, userOf(c), name);
      return c.json(entities.award(model, award, urls()), 201);
    });
  }

  // ---- merge requests
  api.get('/projects/:id/merge_requests', (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const params = p(c);
    let mrs = [...project.mergeRequests].sort((a, b) => b.id - a.id);
    if (params.state && params.state !== 'all') mrs = mrs.filter((m) => m.state === params.state);
    if (params.source_branch) mrs = mrs.filter((m) => m.sourceBranch === params.source_branch);
    if (params.target_branch) mrs = mrs.filter((m) => m.targetBranch === params.target_branch);
    if (params.iids) {
      const iids = toIds(params.iids)!;
      mrs = mrs.filter((m) => iids.includes(m.iid));
    }
    return c.json(paginate(c, mrs).map((m) => entities.mergeRequest(model, project, m, urls())));
  });
  api.post('/projects/:id/merge_requests', async (c) => {
    const project = projectFor(c, AccessLevels.developer);
    const params = p(c);
    const mr = await gitlab.createMergeRequest(project, userOf(c), {
      sourceBranch: String(params.source_branch ?? ''),
      targetBranch: String(params.target_branch ?? ''),
      title: String(params.title ?? ''),
      description: params.description as string | undefined,
      labels: toList(params.labels),
      assigneeIds: toIds(params.assignee_ids),
      reviewerIds: toIds(params.reviewer_ids),
      removeSourceBranch: toBool(params.remove_source_branch),
    });
    return c.json(entities.mergeRequest(model, project, mr, urls(), { diffRefs: await gitlab.diffRefs(project, mr) }), 201);
  });
  api.get('/projects/:id/merge_requests/:iid', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    return c.json(entities.mergeRequest(model, project, mr, urls(), { diffRefs: await gitlab.diffRefs(project, mr) }));
  });
  api.put('/projects/:id/merge_requests/:iid', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const user = userOf(c);
    if (model.accessLevel(project, user) < AccessLevels.developer && mr.authorId !== user.id) throw forbidden();
    await gitlab.editMergeRequest(project, mr, user, { ...itemEdit(p(c)), targetBranch: p(c).target_branch as string | undefined });
    return c.json(entities.mergeRequest(model, project, mr, urls(), { diffRefs: await gitlab.diffRefs(project, mr) }));
  });
  api.put('/projects/:id/merge_requests/:iid/merge', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const params = p(c);
    await gitlab.mergeMergeRequest(project, mr, userOf(c), { sha: params.sha as string | undefined, removeSourceBranch: toBool(params.should_remove_source_branch) });
    return c.json(entities.mergeRequest(model, project, mr, urls(), { diffRefs: await gitlab.diffRefs(project, mr) }));
  });
  api.get('/projects/:id/merge_requests/:iid/diffs', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const refs = await gitlab.diffRefs(project, mr);
    const diffs = refs ? await git.diffBetween(project.repoDir, refs.base_sha, refs.head_sha) : [];
    return c.json(paginate(c, diffs));
  });

  // ---- discussions on merge requests
  const discussionsOf = (project: Project, mrId: number) => {
    const groups = new Map<string, typeof project.notes>();
    for (const note of project.notes.filter((n) => n.noteableType === 'MergeRequest' && n.noteableId === mrId)) {
      groups.set(note.discussionId, [...(groups.get(note.discussionId) ?? []), note]);
    }
    return [...groups.values()];
  };
  api.get('/projects/:id/merge_requests/:iid/discussions', (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    return c.json(paginate(c, discussionsOf(project, mr.id)).map((notes) => entities.discussion(model, notes, urls())));
  });
  api.get('/projects/:id/merge_requests/:iid/discussions/:discussion_id', (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const notes = discussionsOf(project, mr.id).find((d) => d[0]!.discussionId === c.req.param('discussion_id'));
    if (!notes) throw notFound('Discussion Not Found');
    return c.json(entities.discussion(model, notes, urls()));
  });
  api.post('/projects/:id/merge_requests/:iid/discussions', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const params = p(c);
    const position = params.position as (Partial<Position> & { new_line?: unknown; old_line?: unknown }) | undefined;
    const { note } = await gitlab.startDiscussion(
      project,
      { mergeRequest: mr.iid },
      userOf(c),
      String(params.body ?? ''),
      position
        ? {
            base_sha: String(position.base_sha),
            start_sha: String(position.start_sha),
            head_sha: String(position.head_sha),
            old_path: String(position.old_path ?? position.new_path),
            new_path: String(position.new_path ?? position.old_path),
            position_type: 'text',
            old_line: toInt(position.old_line) ?? null,
            new_line: toInt(position.new_line) ?? null,
            line_range: null,
          }
        : undefined,
    );
    if (!note) return c.body(null, 202);
    return c.json(entities.discussion(model, [note], urls()), 201);
  });
  api.post('/projects/:id/merge_requests/:iid/discussions/:discussion_id/notes', async (c) => {
    const project = projectFor(c, AccessLevels.reporter);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const { note } = await gitlab.createNote(project, { mergeRequest: mr.iid }, userOf(c), String(p(c).body ?? ''), { discussionId: c.req.param('discussion_id') });
    if (!note) return c.body(null, 202);
    return c.json(entities.note(model, note, urls()), 201);
  });
  api.put('/projects/:id/merge_requests/:iid/discussions/:discussion_id', (c) => {
    const project = projectFor(c, AccessLevels.developer);
    const mr = gitlab.mergeRequest(project, Number(c.req.param('iid')));
    const resolved = toBool(p(c).resolved);
    if (resolved === undefined) throw new ApiError(400, 'resolved is missing');
    const notes = gitlab.resolveDiscussion(project, c.req.param('discussion_id'), userOf(c), resolved);
    if (notes[0]!.noteableId !== mr.id) throw notFound('Discussion Not Found');
    return c.json(entities.discussion(model, notes, urls()));
  });

  return api;
}
