// Everything the bot keeps per issue — the request conversation, the model's tokens, the last render, the
// revisions committed — as one checked record: read through one zod schema, written whole. A stored record
// that does not read fails the job loudly and is left as it is (nothing the users told the bot is lost).
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import type { Provenance, Problem } from '../pipeline-spec/patch.ts';
import type { SecretFinding } from '../pipeline-spec/secrets.ts';
import type { SourceFacts } from '../pipeline-spec/source-facts.ts';
import { newConversation, type ConversationState } from './state.ts';

export type ModelUsage = { input: number; output: number; model: string };

export type Generation = {
  /** The bot's last render of each file, the base of the three-way merge of the next one. */
  files: Record<string, string>;
  /** Whether the status comment told the reader about this generation's merge request (records written
   * before `announcement` existed). */
  announced?: boolean;
  /** What the status comment said of it, and for which delivery: a job that runs again after it had said so
   * (its end was not recorded) says the same instead of "no changes". */
  announcement?: { delivery: string; text: string };
  /** The merge request it went to, and a digest of the spec it was generated from (the card tells when the
   * spec has moved on since). */
  mergeRequest?: { iid: number; url: string; specDigest: string; spec?: Record<string, unknown> };
};

/** Whether the status comment has told the reader about the generation's merge request. */
export function announced(generation: Generation | undefined): boolean {
  return generation?.announcement !== undefined || generation?.announced === true;
}

/** What is kept per issue. */
export type Conversation = ConversationState & {
  /** The model's tokens spent on this issue. */
  model?: ModelUsage;
  generation?: Generation;
  /** The commit each review comment became (by note id), so that a retried job only replies. */
  revisions?: Record<string, string>;
  /** How the last /generate (or /retry of one) ended, and when. */
  lastGeneration?: { at: number; outcome: 'done' | 'failed' | 'incomplete' };
  /** Replies owed, recorded with the change that makes them owed and sent until they are (see outbox.ts). */
  outbox?: OwedReply[];
};

/** A reply the bot owes: its key (the comment it answers) and its text. */
export type OwedReply = { key: string; body: string };

const user = z.string();
const provenance: z.ZodType<Provenance> = z.union([
  z.object({ kind: z.literal('issue') }),
  z.object({ kind: z.literal('comment'), user }),
  z.object({ kind: z.literal('command'), user }),
  z.object({ kind: z.literal('default'), from: z.enum(['repo-config', 'dagwright', 'derived']) }),
  z.object({ kind: z.literal('secret'), user: user.optional() }),
  z.object({ kind: z.literal('introspected') }),
  z.object({ kind: z.literal('model'), user, from: z.enum(['issue', 'comment']) }),
]);
const problem: z.ZodType<Problem> = z.object({ key: z.string(), params: z.record(z.string(), z.unknown()).optional(), path: z.string().optional() });
const secret: z.ZodType<SecretFinding> = z.looseObject({
  kind: z.enum(['uri', 'password', 'token']),
  masked: z.string(),
  scheme: z.string().optional(),
  host: z.string().optional(),
  database: z.string().optional(),
}) as z.ZodType<SecretFinding>;
const sourceFacts: z.ZodType<SourceFacts> = z.looseObject({ connId: z.string(), table: z.string(), at: z.number() }) as z.ZodType<SourceFacts>;

const conversationSchema = z.looseObject({
  engaged: z.boolean().default(false),
  reacted: z.boolean().default(false),
  language: z.enum(['en', 'ru']).optional(),
  fields: z.record(z.string(), z.object({ value: z.unknown(), provenance })).default({}),
  secrets: z.array(secret).default([]),
  issueProblems: z.array(problem).default([]),
  issueNotes: z.array(problem).default([]),
  cardDigest: z.string().optional(),
  source: sourceFacts.optional(),
  lastTurn: z
    .object({ noteId: z.number().optional(), problems: z.array(problem), notes: z.array(problem), proseFrom: z.string().optional() })
    .default({ problems: [], notes: [] }),
  model: z.object({ input: z.number(), output: z.number(), model: z.string() }).optional(),
  generation: z
    .object({
      files: z.record(z.string(), z.string()),
      announced: z.boolean().optional(),
      announcement: z.object({ delivery: z.string(), text: z.string() }).optional(),
      mergeRequest: z.object({ iid: z.number(), url: z.string(), specDigest: z.string(), spec: z.record(z.string(), z.unknown()).optional() }).optional(),
    })
    .optional(),
  revisions: z.record(z.string(), z.string()).optional(),
  lastGeneration: z.object({ at: z.number(), outcome: z.enum(['done', 'failed', 'incomplete']) }).optional(),
  outbox: z.array(z.object({ key: z.string(), body: z.string() })).optional(),
});

/** The conversations of issues, by the issue's resource key (`<project>#<iid>`). */
export class Conversations {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** The issue's record; a new conversation when the bot has none. */
  async load(issueKey: string): Promise<Conversation> {
    return readConversation(issueKey, await this.store.conversation<unknown>(issueKey));
  }

  async save(issueKey: string, conversation: Conversation): Promise<void> {
    await this.store.saveConversation(issueKey, conversation);
  }

  /**
   * Reads, changes and writes the record in one step (no other write to it comes between); returns what was
   * written.
   */
  async update(issueKey: string, change: (conversation: Conversation) => Conversation): Promise<Conversation> {
    return this.store.updateConversation<Conversation>(issueKey, (stored) => change(readConversation(issueKey, stored)));
  }
}

function readConversation(issueKey: string, stored: unknown): Conversation {
  if (stored === undefined) return newConversation();
  const parsed = conversationSchema.safeParse(stored);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
    throw new Error(`the stored conversation of ${issueKey} does not read (${problems}); it is left as it is`);
  }
  return parsed.data as Conversation;
}

/** The conversations kept in a job's store. */
export function conversationsOf(ctx: { store: Store }): Conversations {
  return new Conversations(ctx.store);
}
