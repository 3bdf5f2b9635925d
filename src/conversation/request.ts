// The request conversation in an issue: engagement, the issue's text and comments read as turns, the spec
// commands (/set, /unset, /spec, /status). Silence for what does not concern the bot.
import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import type { Bot } from '../bot/bot.ts';
import { commandsWithoutSlash, mentions, parseCommands, type ParsedCommand } from '../bot/commands.ts';
import type { Context } from '../bot/context.ts';
import type { IssuePayload, NotePayload } from '../bot/events.ts';
import type { Messages } from '../i18n/index.ts';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import { evaluateSpec } from '../pipeline-spec/evaluate.ts';
import { engage, engageWithIssue, generatedMergeRequest, showCard } from './card-comment.ts';
import { readProseWithModel } from './model-turn.ts';
import { applyCommand, readComment, readIssue, type Turn } from './state.ts';
import { airflowStatus } from './deploy-watch.ts';
import { owe, sendOwedReplies } from './outbox.ts';
import { conversationsOf, type Conversation } from './store.ts';
import { findMergeRequest, pipelineBranch } from '../publish/publish.ts';

/**
 * A text without its command lines — slash lines, and the lines of commands the bot answers (they answer
 * for themselves) — empty when nothing else is left.
 */
function proseOf(text: string, commands: ParsedCommand[] = []): string {
  const commandLines = new Set(commands.map((c) => c.line));
  return text
    .split('\n')
    .filter((line, i) => !/^\s*\//.test(line) && !commandLines.has(i + 1))
    .join('\n')
    .trim();
}

/** Whether a text addresses the bot: a mention, or one of its commands at the start of a line. */
function addressesBot(ctx: Context, text: string, bot: Bot): boolean {
  return mentions(text, ctx.botUser.username) || parseCommands(text, ctx.botUser.username).some((c) => bot.isCommand(c.name));
}

/** The reply to a turn: what changed, what was cleared, what was not applied; undefined when none. */
function turnReply(turn: Turn, m: Messages, missing: number, cleared: string[] = []): string | undefined {
  const changed = [...new Set(turn.changed)];
  const problems = turn.problems.map((p) => describeProblem(p, m));
  if (!changed.length && !problems.length && !cleared.length) return undefined;
  const parts = [
    ...(changed.length ? [m.replies.updated(changed, missing)] : []),
    ...cleared,
    ...(problems.length ? [m.replies.notApplied(problems)] : []),
  ];
  return parts.join('\n\n');
}

/** What /unset did to each field it named: cleared (back to a default, if there is one), or it was not set. */
function describeUnset(paths: string[], before: Conversation['fields'], after: Conversation['fields'], m: Messages): string[] {
  return paths.map((path) => {
    const now = after[path]?.value;
    const shown = now === undefined ? undefined : typeof now === 'object' ? JSON.stringify(now) : String(now);
    const previous = before[path];
    if (!previous || previous.provenance.kind === 'default') return m.replies.wasNotSet(path, shown);
    return m.replies.cleared(path, shown);
  });
}

/** An issue opened, edited or reopened: its text is read again; the bot engages when it is a request for it. */
export async function readIssueText(ctx: Context<IssuePayload>, bot: Bot): Promise<void> {
  const issue = ctx.payload.object_attributes;
  const labels = (ctx.payload.labels ?? []).map((l) => l.title);
  const conversations = conversationsOf(ctx);
  const turn = readIssue(await conversations.load(ctx.resourceKey), issue.title, issue.description ?? '');
  const config = await ctx.config();
  const engaged =
    turn.state.engaged ||
    Object.keys(turn.state.fields).length > 0 ||
    labels.includes(config.trigger_label) ||
    addressesBot(ctx, issue.description ?? '', bot);
  if (!engaged) return;
  const state = await engage(ctx, turn.state);
  await conversations.save(ctx.resourceKey, state);
  await showCard(ctx, state);
  // A description in prose: the model reads it (when it is new or was edited).
  const textChanged = ctx.name !== 'issue.update' || ctx.payload.changes?.description !== undefined;
  const prose = proseOf(issue.description ?? '');
  if (ctx.llm && textChanged && prose && Object.values(turn.state.fields).every((field) => field.provenance.kind !== 'issue')) {
    const digest = createHash('sha256').update(prose).digest('hex').slice(0, 16);
    await readProseWithModel(ctx, { text: prose, kind: 'issue', author: ctx.actor?.username ?? 'author', replyKey: `issue-text:${digest}` });
  }
}

/** A comment in an issue: what it holds in request forms is applied; prose goes to the model when there is one. */
export async function readIssueComment(ctx: Context<NotePayload>, bot: Bot): Promise<void> {
  const note = ctx.payload.object_attributes;
  if (note.action !== 'create' || !ctx.payload.issue) return;
  // A comment made only of the bot's commands is no turn of the conversation: the commands answer it.
  const answered = bot.commandsAnswered(note.note, ctx.botUser.username);
  if (answered.length && answered.every((c) => bot.isCommand(c.name)) && !proseOf(note.note, answered)) return;
  const conversations = conversationsOf(ctx);
  let state = await conversations.load(ctx.resourceKey);
  // What an earlier try of this job owed and did not get to send.
  if (state.outbox?.length) {
    await sendOwedReplies(ctx);
    state = await conversations.load(ctx.resourceKey);
  }
  const withoutSlash = answered.length ? [] : commandsWithoutSlash(note.note, bot.commands().map((c) => c.name));
  if (withoutSlash.length && state.engaged) {
    await ctx.replyOnce(`${note.id}:slash`, (await ctx.messages()).commands.withoutSlash(withoutSlash));
    return;
  }
  const addressed = addressesBot(ctx, note.note, bot);
  const wasEngaged = state.engaged;
  const turn = readComment(state, note.note, ctx.actor!.username, { addressedToBot: addressed, noteId: note.id });
  if (!wasEngaged && !turn.structured && !addressed) return;
  const prose = proseOf(note.note, answered);
  // A comment of commands: the commands have answered it (prose beside them goes to the model, in an issue
  // that is already a request).
  if (!turn.structured && turn.problems.length === 0 && addressed && answered.length && (!prose || !ctx.llm || !wasEngaged)) return;
  state = turn.state;
  if (!wasEngaged) state = await engageWithIssue(ctx, state);
  if (ctx.llm && !turn.structured && !turn.problems.length && prose) {
    // The model reads what the request forms could not; the card's "needs a model" notice does not apply.
    await conversations.save(ctx.resourceKey, { ...state, lastTurn: { ...state.lastTurn, proseFrom: undefined } });
    return readProseWithModel(ctx, { text: prose, kind: 'comment', author: ctx.actor!.username, replyKey: String(note.id), noteId: note.id });
  }
  const m = await ctx.messages();
  // The reply is owed from the moment the turn is saved, in the same write.
  if (turn.structured || turn.problems.length) state = owe(state, String(note.id), turnReply(turn, m, evaluateSpec(state.fields, await ctx.config()).missing.length));
  else if (addressed) state = owe(state, String(note.id), m.replies.needsModel);
  await conversations.save(ctx.resourceKey, state);
  await showCard(ctx, state);
  if (turn.structured || turn.problems.length || addressed) {
    await sendOwedReplies(ctx);
  } else if (wasEngaged && prose && !ctx.llm && !/(^|[^\w.-])@[\w.-]+/.test(prose) && (await answersAnOpenQuestion(ctx, state))) {
    // An answer in words to the card's questions (not a word to another person, @named): once per issue,
    // what the bot reads without a model (later chatter stays unanswered).
    if (await ctx.store.markReported(`prose-without-model:${ctx.resourceKey}`, 'once', Date.now())) await ctx.replyOnce(String(note.id), m.replies.needsModel);
  }
}

/** Whether the card still asks something (a comment in words then most likely answers it). */
async function answersAnOpenQuestion(ctx: Context, state: Conversation): Promise<boolean> {
  return evaluateSpec(state.fields, await ctx.config()).missing.length > 0;
}

/** /set or /unset in an issue: the card changes, and the reply says what did and what was refused. */
export async function changeSpecInIssue(ctx: Context<NotePayload>, change: { set?: string[]; unset?: string[] }, replyKey: string): Promise<void> {
  const conversations = conversationsOf(ctx);
  // What an earlier try of this job owed and did not get to send.
  if ((await conversations.load(ctx.resourceKey)).outbox?.length) await sendOwedReplies(ctx);
  const before = await conversations.load(ctx.resourceKey);
  const turn = applyCommand(before, { ...change, noteId: ctx.payload.object_attributes.id }, ctx.actor!.username);
  let state = before.engaged ? turn.state : await engageWithIssue(ctx, turn.state);
  const m = await ctx.messages();
  const evaluation = evaluateSpec(state.fields, await ctx.config());
  const unset = (change.unset ?? []).filter((path) => !turn.problems.some((p) => p.path === path));
  const cleared = describeUnset(unset, before.fields, evaluation.fields, m);
  // The reply is owed from the moment the change is saved, in the same write.
  state = owe(state, replyKey, turnReply({ ...turn, changed: turn.changed.filter((p) => !unset.includes(p)) }, m, evaluation.missing.length, cleared));
  await conversations.save(ctx.resourceKey, state);
  await showCard(ctx, state);
  await sendOwedReplies(ctx);
}

/** /spec: the spec as it stands, as YAML. */
export async function answerSpec(ctx: Context, replyKey: string): Promise<void> {
  const state = await conversationsOf(ctx).load(ctx.resourceKey);
  const m = await ctx.messages();
  if (!state.engaged) return void (await ctx.replyOnce(replyKey, m.replies.noRequest));
  const evaluation = evaluateSpec(state.fields, await ctx.config());
  await ctx.replyOnce(replyKey, [m.replies.specBlock, '', '```yaml', toYaml(evaluation.spec, { lineWidth: 0 }).trimEnd(), '```'].join('\n'));
}

/** /status: whether the spec is complete, and the state of its merge request (the newest, if there were several). */
export async function answerStatus(ctx: Context, replyKey: string): Promise<void> {
  const state = await conversationsOf(ctx).load(ctx.resourceKey);
  const m = await ctx.messages();
  if (!state.engaged) return void (await ctx.replyOnce(replyKey, m.replies.noRequest));
  const config = await ctx.config();
  const evaluation = evaluateSpec(state.fields, config);
  const missing = [...evaluation.missing, ...evaluation.errors.map((e) => e.path ?? '')].filter(Boolean);
  const dagId = evaluation.spec.dag_id;
  const mr = typeof dagId === 'string' ? await findMergeRequest(ctx.gitlab, ctx.projectId, pipelineBranch(config.branch_prefix, ctx.resource!.iid, dagId), 'latest') : undefined;
  if (!mr || typeof dagId !== 'string') return void (await ctx.replyOnce(replyKey, m.replies.status(evaluation.complete, missing)));
  const behind = generatedMergeRequest(state, evaluation)?.behind ?? false;
  const status = m.replies.statusWithMergeRequest(evaluation.complete, missing, mr.state === 'opened' ? (behind ? 'behind' : 'current') : 'closed');
  await ctx.replyOnce(replyKey, [status, m.replies.mergeRequestState(mr.iid, mr.state, mr.web_url), await airflowStatus(ctx, dagId, m)].join('\n\n'));
}
