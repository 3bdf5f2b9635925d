// GitLab webhook deliveries for tests, shaped like GitLab's (see fixtures/gitlab-samples/), with the fields
// a test cares about as parameters.
import { randomUUID } from 'node:crypto';

export type Delivery = { headers: Record<string, string>; body: Record<string, unknown> };

let counter = 0;
const nextId = () => 5000 + ++counter;

export function user(id = 7, username = 'alice') {
  return { id, name: username[0]!.toUpperCase() + username.slice(1), username, avatar_url: null, email: '[REDACTED]' };
}

export function project(id = 42, path = 'data/warehouse') {
  return {
    id,
    name: path.split('/').pop(),
    description: '',
    web_url: `http://gitlab.test/${path}`,
    avatar_url: null,
    git_ssh_url: `git@gitlab.test:${path}.git`,
    git_http_url: `http://gitlab.test/${path}.git`,
    namespace: path.split('/')[0],
    visibility_level: 0,
    path_with_namespace: path,
    default_branch: 'main',
    ci_config_path: null,
    homepage: `http://gitlab.test/${path}`,
    url: `git@gitlab.test:${path}.git`,
    ssh_url: `git@gitlab.test:${path}.git`,
    http_url: `http://gitlab.test/${path}.git`,
  };
}

const stamp = () => new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

export function deliveryHeaders(event: string, extra: Record<string, string> = {}): Record<string, string> {
  const uuid = randomUUID();
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'GitLab/18.6.0',
    'X-Gitlab-Event': event,
    'X-Gitlab-Webhook-UUID': randomUUID(),
    'X-Gitlab-Event-UUID': uuid,
    'X-Gitlab-Instance': 'http://gitlab.test',
    'Idempotency-Key': randomUUID(),
    ...extra,
  };
}

export function issueEvent(o: { iid?: number; action?: string; projectId?: number; author?: ReturnType<typeof user>; description?: string; confidential?: boolean } = {}): Delivery {
  const iid = o.iid ?? 1;
  const author = o.author ?? user();
  const id = nextId();
  return {
    headers: deliveryHeaders(o.confidential ? 'Confidential Issue Hook' : 'Issue Hook'),
    body: {
      object_kind: 'issue',
      event_type: o.confidential ? 'confidential_issue' : 'issue',
      user: author,
      project: project(o.projectId),
      object_attributes: {
        id,
        iid,
        title: 'Load customers daily',
        description: o.description ?? 'Copy public.customers from the orders database every morning.',
        author_id: author.id,
        project_id: o.projectId ?? 42,
        state: o.action === 'close' ? 'closed' : 'opened',
        action: o.action ?? 'open',
        confidential: o.confidential ?? false,
        created_at: stamp(),
        updated_at: `${stamp()}#${id}`,
        labels: [],
        url: `http://gitlab.test/data/warehouse/-/issues/${iid}`,
      },
      labels: [],
      changes: {},
      repository: { name: 'warehouse', url: 'git@gitlab.test:data/warehouse.git' },
    },
  };
}

export function noteOnIssue(o: { note: string; iid?: number; noteId?: number; author?: ReturnType<typeof user>; action?: 'create' | 'update'; system?: boolean; projectId?: number; confidential?: boolean }): Delivery {
  const iid = o.iid ?? 1;
  const author = o.author ?? user();
  const noteId = o.noteId ?? nextId();
  return {
    headers: deliveryHeaders(o.confidential ? 'Confidential Note Hook' : 'Note Hook'),
    body: {
      object_kind: 'note',
      event_type: o.confidential ? 'confidential_note' : 'note',
      user: author,
      project_id: o.projectId ?? 42,
      project: project(o.projectId),
      object_attributes: {
        id: noteId,
        note: o.note,
        noteable_type: 'Issue',
        author_id: author.id,
        created_at: stamp(),
        updated_at: stamp(),
        project_id: o.projectId ?? 42,
        attachment: null,
        line_code: null,
        commit_id: '',
        noteable_id: 900 + iid,
        system: o.system ?? false,
        st_diff: null,
        action: o.action ?? 'create',
        type: null,
        discussion_id: randomUUID().replace(/-/g, ''),
        url: `http://gitlab.test/data/warehouse/-/issues/${iid}#note_${noteId}`,
      },
      issue: {
        id: 900 + iid,
        iid,
        title: 'Load customers daily',
        description: 'Copy public.customers from the orders database every morning.',
        state: 'opened',
        labels: [],
      },
      repository: { name: 'warehouse', url: 'git@gitlab.test:data/warehouse.git' },
    },
  };
}

export function noteOnMergeRequest(o: { note: string; iid?: number; author?: ReturnType<typeof user>; diffNote?: boolean }): Delivery {
  const iid = o.iid ?? 3;
  const author = o.author ?? user();
  const noteId = nextId();
  const position = {
    base_sha: 'b5d6e7b1613fca24d250fa8e5bc7bcc3dd6002ef',
    start_sha: '7c9c2ead8a320fb7ba0b4e234bd9529a2614e306',
    head_sha: '4803c71e6b1833ca72b8b26ef2ecd5adc8a38031',
    old_path: 'dags/raw/orders/orders_customers_daily.py',
    new_path: 'dags/raw/orders/orders_customers_daily.py',
    position_type: 'text',
    old_line: null,
    new_line: 12,
    line_range: null,
  };
  return {
    headers: deliveryHeaders('Note Hook'),
    body: {
      object_kind: 'note',
      event_type: 'note',
      user: author,
      project_id: 42,
      project: project(),
      object_attributes: {
        id: noteId,
        note: o.note,
        noteable_type: 'MergeRequest',
        author_id: author.id,
        created_at: stamp(),
        updated_at: stamp(),
        project_id: 42,
        noteable_id: 700 + iid,
        system: false,
        action: 'create',
        type: o.diffNote ? 'DiffNote' : null,
        discussion_id: randomUUID().replace(/-/g, ''),
        ...(o.diffNote ? { position, original_position: position } : {}),
        url: `http://gitlab.test/data/warehouse/-/merge_requests/${iid}#note_${noteId}`,
      },
      merge_request: mergeRequestAttributes(iid, 'opened'),
    },
  };
}

function mergeRequestAttributes(iid: number, state: string) {
  return {
    id: 700 + iid,
    iid,
    target_branch: 'main',
    source_branch: `dagwright/1-orders_customers_daily`,
    source_project_id: 42,
    target_project_id: 42,
    title: 'Add pipeline orders_customers_daily',
    state,
    merge_status: 'can_be_merged',
    detailed_merge_status: 'mergeable',
    description: 'Closes #1',
    url: `http://gitlab.test/data/warehouse/-/merge_requests/${iid}`,
    last_commit: { id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'Add pipeline', title: 'Add pipeline' },
    draft: false,
    work_in_progress: false,
  };
}

export function mergeRequestEvent(o: { iid?: number; action?: string; author?: ReturnType<typeof user> } = {}): Delivery {
  const iid = o.iid ?? 3;
  const action = o.action ?? 'open';
  return {
    headers: deliveryHeaders('Merge Request Hook'),
    body: {
      object_kind: 'merge_request',
      event_type: 'merge_request',
      user: o.author ?? user(),
      project: project(),
      object_attributes: {
        ...mergeRequestAttributes(iid, action === 'merge' ? 'merged' : action === 'close' ? 'closed' : 'opened'),
        action,
        updated_at: `${stamp()}#${nextId()}`,
      },
      labels: [],
      changes: {},
    },
  };
}

export function pipelineEvent(o: { status?: string; mergeRequestIid?: number } = {}): Delivery {
  return {
    headers: deliveryHeaders('Pipeline Hook'),
    body: {
      object_kind: 'pipeline',
      object_attributes: {
        id: nextId(),
        iid: 3,
        ref: 'main',
        tag: false,
        sha: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2',
        source: 'push',
        status: o.status ?? 'success',
        stages: ['test'],
        created_at: stamp(),
        finished_at: stamp(),
        duration: 63,
      },
      merge_request: o.mergeRequestIid ? { id: 700 + o.mergeRequestIid, iid: o.mergeRequestIid, state: 'opened' } : null,
      user: user(99, 'dagwright'),
      project: project(),
      builds: [],
    },
  };
}

export function toRequestInit(delivery: Delivery, token: string | undefined): RequestInit {
  const headers = { ...delivery.headers };
  if (token !== undefined) headers['X-Gitlab-Token'] = token;
  return { method: 'POST', headers, body: JSON.stringify(delivery.body) };
}
