// Writing comments on issues and merge requests: redacted, quick-action safe, and bot comments that are
// found again by a hidden marker and edited in place.
import { KeyedQueue } from '../keyed-queue.ts';
import { redact } from '../redact.ts';
import type { ResourceRef } from './resource.ts';
import { isGitLabError, type GitLabClient } from './client.ts';

/** Where the id of each bot comment is remembered (the store), so that it is edited instead of posted again. */
export type BotNoteMemory = {
  botNoteId(resourceKey: string, kind: string): Promise<number | undefined>;
  rememberBotNote(resourceKey: string, kind: string, noteId: number): Promise<void>;
  forgetBotNote(resourceKey: string, kind: string): Promise<void>;
  /** Runs `work` while no other process sharing the store runs work for the same key. */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
};

export type Note = { id: number; body: string; author?: { id: number; username?: string }; system?: boolean };

/**
 * Makes text safe to post: secrets masked, and no line outside a code block starting with "/" — GitLab would
 * run it as a quick action (a backslash-escaped slash renders the same).
 */
export function prepareComment(body: string): string {
  let inFence: string | undefined;
  return redact(body)
    .split('\n')
    .map((line) => {
      const fence = line.match(/^ {0,3}(`{3,}|~{3,})/)?.[1];
      if (fence && (!inFence || fence.startsWith(inFence))) {
        inFence = inFence ? undefined : fence;
        return line;
      }
      if (inFence) return line;
      return line.replace(/^(\s*)\//, '$1\\/');
    })
    .join('\n');
}

/**
 * A person's words inside something the bot writes (a merge request's description): no HTML comment that could
 * forge the bot's markers, and no mention that would notify anyone (`@all` becomes code). Quick-action lines
 * are escaped by prepareComment, as for every text the bot posts.
 */
export function inertText(text: string): string {
  return text
    .replace(/<!--|-->/g, '')
    .replace(/(^|[^\w`/.-])@([A-Za-z0-9_][A-Za-z0-9_.-]*)/g, (_whole, before: string, name: string) => `${before}\`@${name}\``);
}

export function markerFor(kind: string, resourceKey: string): string {
  return `<!-- dagwright:${kind}:${resourceKey} -->`;
}

/** The notes endpoints of one issue or merge request. */
export function notesOf(gitlab: GitLabClient, projectId: number, resource: ResourceRef) {
  const api = resource.type === 'issue' ? gitlab.IssueNotes : gitlab.MergeRequestNotes;
  return {
    create: async (body: string): Promise<Note> =>
      (await api.create(projectId, resource.iid, prepareComment(body))) as unknown as Note,
    edit: async (noteId: number, body: string): Promise<Note> =>
      (await api.edit(projectId, resource.iid, noteId, { body: prepareComment(body) })) as unknown as Note,
    all: async (): Promise<Note[]> =>
      (await api.all(projectId, resource.iid, { sort: 'asc', orderBy: 'created_at' })) as unknown as Note[],
  };
}

// Writes to one bot comment are made one after the other within this process: a job's edits and a waiting
// job's "queued" notice must not overtake each other.
const commentWrites = new KeyedQueue();

/**
 * Creates or edits the single bot comment of a kind (status, spec card …) on an issue or merge request.
 * The note id is remembered; when it is unknown or the note is gone, the comment is looked up by its
 * marker before a new one is created, so a retried job never posts a second one. With `onlyIf`, the
 * comment is written only when it still holds once the writes before it are done (undefined otherwise).
 */
export function upsertBotComment(options: {
  gitlab: GitLabClient;
  store: BotNoteMemory;
  projectId: number;
  resource: ResourceRef;
  resourceKey: string;
  kind: string;
  botUserId: number;
  body: string;
  /** How a new comment is made (default: a new note; e.g. a reply in a merge request's thread). */
  create?: (body: string) => Promise<Note>;
  onlyIf?: () => boolean | Promise<boolean>;
}): Promise<Note | undefined> {
  const key = `${options.projectId}:${options.resourceKey}:${options.kind}`;
  // In this process one write after the other; across replicas sharing the store, one at a time too (the
  // second then finds the first's comment by its remembered id instead of posting another).
  return commentWrites.run(key, () =>
    options.store.exclusive(`comment:${key}`, async () => (options.onlyIf && !(await options.onlyIf()) ? undefined : writeBotComment(options))),
  );
}

async function writeBotComment(options: Parameters<typeof upsertBotComment>[0]): Promise<Note> {
  const { gitlab, store, projectId, resource, resourceKey, kind, botUserId } = options;
  const notes = notesOf(gitlab, projectId, resource);
  const marker = markerFor(kind, resourceKey);
  const body = `${marker}\n${options.body}`;

  const knownId = await store.botNoteId(resourceKey, kind);
  if (knownId !== undefined) {
    try {
      return await notes.edit(knownId, body);
    } catch (err) {
      if (!isGitLabError(err, 404)) throw err;
      await store.forgetBotNote(resourceKey, kind);
    }
  }
  const existing = (await notes.all()).find((note) => note.author?.id === botUserId && note.body.includes(marker));
  const note = existing ? await notes.edit(existing.id, body) : options.create ? await options.create(prepareComment(body)) : await notes.create(body);
  await store.rememberBotNote(resourceKey, kind, note.id);
  return note;
}
