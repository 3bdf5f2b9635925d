// GitLab webhook payloads: which deliveries we handle, their zod schemas, and the names they are routed by.
//
// Schemas check only what the router and the handlers rely on and keep every other field as GitLab sent
// it (GitLab adds fields over time, and its own samples carry EE-only and malformed ones).
import { z } from 'zod';
import { resourceKeyOf, type ProjectRef, type ResourceRef } from '../gitlab/resource.ts';

// GitLab's ids and iids start at 1.
const id = z.number().int().positive();

const user = z.looseObject({ id, username: z.string(), name: z.string().optional() });

const project = z.looseObject({
  id,
  path_with_namespace: z.string().min(1),
  web_url: z.string().optional(),
});

const label = z.looseObject({ title: z.string() });

const issueRef = z.looseObject({ id: id.optional(), iid: id, title: z.string().optional(), description: z.string().nullish() });
const mergeRequestRef = z.looseObject({
  id: id.optional(),
  iid: id,
  source_branch: z.string().optional(),
  target_branch: z.string().optional(),
  title: z.string().optional(),
});

export const issuePayload = z.looseObject({
  object_kind: z.literal('issue'),
  user,
  project,
  object_attributes: z.looseObject({
    id,
    iid: id,
    action: z.string().min(1),
    title: z.string(),
    description: z.string().nullish(),
    state: z.string().optional(),
    confidential: z.boolean().optional(),
    updated_at: z.string().optional(),
    author_id: id.optional(),
  }),
  labels: z.array(label).nullish(),
  changes: z.looseObject({ description: z.looseObject({ previous: z.string().nullish(), current: z.string().nullish() }).optional() }).optional(),
});

export const notePayload = z.looseObject({
  object_kind: z.literal('note'),
  user,
  project,
  object_attributes: z.looseObject({
    id,
    note: z.string(),
    noteable_type: z.string(),
    system: z.boolean().optional(),
    // Older GitLab sends no action: a note hook then always meant a new note.
    action: z.string().optional().default('create'),
    type: z.string().nullish(),
    discussion_id: z.string().nullish(),
    updated_at: z.string().optional(),
    // Where a line comment (DiffNote) stands in the merge request's diff.
    position: z
      .looseObject({
        new_path: z.string().nullish(),
        new_line: z.number().nullish(),
        old_line: z.number().nullish(),
        line_range: z
          .looseObject({ start: z.looseObject({ new_line: z.number().nullish() }).nullish(), end: z.looseObject({ new_line: z.number().nullish() }).nullish() })
          .nullish(),
      })
      .nullish()
      .catch(undefined),
  }),
  issue: issueRef.optional(),
  merge_request: mergeRequestRef.optional(),
});

export const mergeRequestPayload = z.looseObject({
  object_kind: z.literal('merge_request'),
  user,
  project,
  object_attributes: z.looseObject({
    id,
    iid: id,
    action: z.string().min(1),
    source_branch: z.string(),
    target_branch: z.string(),
    state: z.string().optional(),
    title: z.string().optional(),
    updated_at: z.string().optional(),
    last_commit: z.looseObject({ id: z.string() }).nullish(),
    merge_commit_sha: z.string().nullish(),
  }),
});

export const pipelinePayload = z.looseObject({
  object_kind: z.literal('pipeline'),
  user: user.nullish(),
  project,
  object_attributes: z.looseObject({
    id,
    status: z.string(),
    ref: z.string().nullish(),
    sha: z.string().optional(),
    finished_at: z.string().nullish(),
  }),
  merge_request: mergeRequestRef.nullish(),
});

export const emojiPayload = z.looseObject({
  object_kind: z.literal('emoji'),
  event_type: z.string().optional(),
  user,
  project,
  object_attributes: z.looseObject({
    id,
    name: z.string(),
    awardable_type: z.string(),
    awardable_id: id,
    action: z.string().optional(),
  }),
  note: z.looseObject({ id, noteable_type: z.string().optional() }).nullish(),
  issue: issueRef.nullish(),
  merge_request: mergeRequestRef.nullish(),
});

export type IssuePayload = z.infer<typeof issuePayload>;
export type NotePayload = z.infer<typeof notePayload>;
export type MergeRequestPayload = z.infer<typeof mergeRequestPayload>;
export type PipelinePayload = z.infer<typeof pipelinePayload>;
export type EmojiPayload = z.infer<typeof emojiPayload>;

export type Payloads = {
  issue: IssuePayload;
  note: NotePayload;
  merge_request: MergeRequestPayload;
  pipeline: PipelinePayload;
  emoji: EmojiPayload;
};
export type EventKind = keyof Payloads;
export type AnyPayload = Payloads[EventKind];

/** `issue`, `issue.open`, `note.merge_request` …: a kind alone matches every action of that kind. */
export type EventName = EventKind | `${EventKind}.${string}`;
export type PayloadFor<N extends string> = N extends `${infer K}.${string}`
  ? K extends EventKind
    ? Payloads[K]
    : never
  : N extends EventKind
    ? Payloads[N]
    : never;

const schemas: { [K in EventKind]: z.ZodType<Payloads[K]> } = {
  issue: issuePayload,
  note: notePayload,
  merge_request: mergeRequestPayload,
  pipeline: pipelinePayload,
  emoji: emojiPayload,
};

/** The X-Gitlab-Event headers we handle; every other hook (push, job, wiki, …) is acknowledged and ignored. */
const headerKinds: Record<string, { kind: EventKind; confidential: boolean }> = {
  'Issue Hook': { kind: 'issue', confidential: false },
  'Confidential Issue Hook': { kind: 'issue', confidential: true },
  'Note Hook': { kind: 'note', confidential: false },
  'Confidential Note Hook': { kind: 'note', confidential: true },
  'Merge Request Hook': { kind: 'merge_request', confidential: false },
  'Pipeline Hook': { kind: 'pipeline', confidential: false },
  'Emoji Hook': { kind: 'emoji', confidential: false },
};

export function kindOfHeader(header: string | undefined): { kind: EventKind; confidential: boolean } | undefined {
  return header ? headerKinds[header] : undefined;
}

export { resourceKeyOf, type ResourceRef };

/** A delivery after parsing: what it is about and the names handlers subscribe to. */
export type GitLabEvent = {
  kind: EventKind;
  names: string[];
  payload: AnyPayload;
  confidential: boolean;
  projectId: number;
  /** The issue or merge request the event concerns, when there is one. */
  resource: ResourceRef | undefined;
  /** Serialization key: events with the same key run one at a time, in arrival order. */
  resourceKey: string;
  /** Two deliveries with the same meaning key are the same event (e.g. sent by two hooks). */
  meaningKey: string | undefined;
};

const noteableTypes: Record<string, string> = {
  Issue: 'issue',
  MergeRequest: 'merge_request',
  Commit: 'commit',
  Snippet: 'snippet',
};

export type ParseResult =
  | { ok: true; event: GitLabEvent }
  | { ok: false; problem: string };

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}

export function parseEvent(kind: EventKind, confidential: boolean, body: unknown): ParseResult {
  const parsed = schemas[kind].safeParse(body);
  if (!parsed.success) return { ok: false, problem: describe(parsed.error) };
  const payload = parsed.data;
  const projectId = payload.project.id;
  let names: string[];
  let resource: ResourceRef | undefined;
  let meaningKey: string | undefined;
  let fallbackKey: string | undefined;

  switch (payload.object_kind) {
    case 'issue': {
      const a = payload.object_attributes;
      names = ['issue', `issue.${a.action}`];
      resource = { type: 'issue', iid: a.iid };
      meaningKey = `issue:${a.id}:${a.action}:${a.updated_at ?? ''}`;
      break;
    }
    case 'merge_request': {
      const a = payload.object_attributes;
      names = ['merge_request', `merge_request.${a.action}`];
      resource = { type: 'merge_request', iid: a.iid };
      meaningKey = `merge_request:${a.id}:${a.action}:${a.last_commit?.id ?? ''}:${a.updated_at ?? ''}`;
      break;
    }
    case 'note': {
      const a = payload.object_attributes;
      const target = noteableTypes[a.noteable_type] ?? a.noteable_type.toLowerCase();
      names = ['note', `note.${target}`];
      if (target === 'issue') {
        if (!payload.issue) return { ok: false, problem: 'issue: a note on an issue must carry the issue' };
        resource = { type: 'issue', iid: payload.issue.iid };
      } else if (target === 'merge_request') {
        if (!payload.merge_request) {
          return { ok: false, problem: 'merge_request: a note on a merge request must carry the merge request' };
        }
        resource = { type: 'merge_request', iid: payload.merge_request.iid };
      } else {
        fallbackKey = target;
      }
      meaningKey = `note:${a.id}:${a.action}:${a.action === 'create' ? '' : (a.updated_at ?? '')}`;
      break;
    }
    case 'pipeline': {
      const a = payload.object_attributes;
      names = ['pipeline'];
      if (payload.merge_request) resource = { type: 'merge_request', iid: payload.merge_request.iid };
      else fallbackKey = `ref:${a.ref ?? ''}`;
      meaningKey = `pipeline:${projectId}:${a.id}:${a.status}:${a.finished_at ?? ''}`;
      break;
    }
    case 'emoji': {
      const a = payload.object_attributes;
      const action = a.action ?? payload.event_type ?? 'award';
      names = ['emoji', `emoji.${action}`];
      if (payload.issue) resource = { type: 'issue', iid: payload.issue.iid };
      else if (payload.merge_request) resource = { type: 'merge_request', iid: payload.merge_request.iid };
      meaningKey = `emoji:${projectId}:${a.id}:${action}`;
      break;
    }
  }

  return {
    ok: true,
    event: {
      kind,
      names,
      payload,
      confidential,
      projectId,
      resource,
      resourceKey: resourceKeyOf(projectId, resource, fallbackKey),
      meaningKey,
    },
  };
}

/**
 * Loop prevention: what the bot itself did, and GitLab's system notes, never start work. Pipelines are the
 * exception: their status comes from CI, even when the bot's push started them.
 */
export function isFromBotOrSystem(event: GitLabEvent, botUserId: number | undefined): boolean {
  const payload = event.payload;
  if (payload.object_kind === 'pipeline') return false;
  if (payload.object_kind === 'note' && payload.object_attributes.system) return true;
  return botUserId !== undefined && payload.user.id === botUserId;
}

/** A comment's text, from a note event's payload (empty for other events). */
export function noteTextOf(payload: unknown): string {
  return (payload as { object_attributes?: { note?: unknown } } | null)?.object_attributes?.note?.toString() ?? '';
}

/** The project of an event, typed once for every handler. */
export function projectOf(payload: AnyPayload): ProjectRef {
  const p = payload.project;
  return { id: p.id, pathWithNamespace: p.path_with_namespace, webUrl: p.web_url };
}

/** The issue or merge request an event speaks of, as far as its payload tells: its title and description. */
export function subjectOf(payload: AnyPayload): { title?: string; description?: string | null } | undefined {
  switch (payload.object_kind) {
    case 'issue':
    case 'merge_request':
      return payload.object_attributes;
    case 'note':
      return payload.issue ?? payload.merge_request;
    default:
      return payload.issue ?? payload.merge_request ?? undefined;
  }
}
