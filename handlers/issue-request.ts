// The request conversation in an issue: engagement, the spec card, turns, and the spec commands
// (/spec, /set, /unset, /status). Silence for what does not concern the bot.
import { stringify as toYaml } from 'yaml';
import { z } from 'zod';
import type { Bot } from '../src/bot/bot.ts';
import { mentions, parseCommands, type ParsedCommand } from '../src/bot/commands.ts';
import type { Context } from '../src/bot/context.ts';
import type { Messages } from '../src/i18n/index.ts';
import { describeProblem } from '../src/pipeline-spec/describe-problem.ts';
import { engage, engageWithIssue, loadConversation, showCard } from '../src/conversation/card-comment.ts';
import { runReviewCommand } from '../src/conversation/review.ts';
import { applyCommand, readComment, readIssue, type ConversationState, type Turn } from '../src/conversation/state.ts';
import { evaluateSpec } from '../src/pipeline-spec/evaluate.ts';
import { branchName } from '../src/conversation/generation.ts';
import { readProseWithModel } from '../src/conversation/model-turn.ts';
import { createHash } from 'node:crypto';

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

function issueAuthor(ctx: Context): string {
  const payload = ctx.payload as { user?: { username: string } | null; object_attributes?: { author_id?: number } };
  return payload.user?.username ?? 'author';
}

function load(ctx: Context): ConversationState {
  return loadConversation(ctx, ctx.resourceKey);
}

/** Whether a text addresses the bot: a mention, or one of its commands at the start of a line. */
function addressesBot(ctx: Context, text: string, bot: Bot): boolean {
  const known = new Set(bot.commands().map((c) => c.name));
  return mentions(text, ctx.botUser.username) || parseCommands(text, ctx.botUser.username).some((c) => known.has(c.name));
}

async function replyToTurn(ctx: Context, key: string, turn: Turn, m: Messages, missing: number): Promise<void> {
  if (turn.changed.length) {
    const changed = [...new Set(turn.changed)];
    const lines = turn.problems.map((p) => describeProblem(p, m));
    await ctx.replyOnce(key, [m.spec.replies.updated(changed, missing), ...(lines.length ? ['', m.spec.replies.notApplied(lines)] : [])].join('\n'));
  } else if (turn.problems.length) {
    await ctx.replyOnce(key, m.spec.replies.notApplied(turn.problems.map((p) => describeProblem(p, m))));
  }
}

export function registerIssueRequest(bot: Bot): void {
  bot.on(['issue.open', 'issue.update', 'issue.reopen'], async (ctx) => {
    const issue = ctx.payload.object_attributes;
    const labels = ((ctx.payload.labels as Array<{ title: string }> | undefined) ?? []).map((l) => l.title);
    let state = load(ctx);
    const turn = readIssue(state, issue.title, issue.description ?? '');
    const config = await ctx.config();
    const engaged =
      state.engaged ||
      Object.keys(turn.state.fields).length > 0 ||
      labels.includes(config.trigger_label) ||
      addressesBot(ctx, issue.description ?? '', bot);
    if (!engaged) return;
    state = await engage(ctx, turn.state);
    ctx.store.saveConversation(ctx.resourceKey, state);
    await showCard(ctx, state);
    // A description in prose: the model reads it (when it is new or was edited).
    const changes = ctx.payload.changes as { description?: unknown } | undefined;
    const textChanged = ctx.name !== 'issue.update' || changes?.description !== undefined;
    const prose = proseOf(issue.description ?? '');
    if (ctx.llm && textChanged && prose && Object.keys(turn.state.fields).every((path) => turn.state.fields[path]!.provenance.kind !== 'issue')) {
      const digest = createHash('sha256').update(prose).digest('hex').slice(0, 16);
      await readProseWithModel(ctx, { text: prose, kind: 'issue', author: issueAuthor(ctx), replyKey: `issue-text:${digest}` });
    }
  });

  bot.on('note.issue', async (ctx) => {
    const note = ctx.payload.object_attributes;
    if (note.action !== 'create' || !ctx.payload.issue) return;
    let state = load(ctx);
    const addressed = addressesBot(ctx, note.note, bot);
    const wasEngaged = state.engaged;
    const turn = readComment(state, note.note, ctx.actor!.username, { addressedToBot: addressed, noteId: note.id });
    if (!wasEngaged && !turn.structured && !addressed) return;
    const answered = bot.commandsAnswered(note.note, ctx.botUser.username);
    const prose = proseOf(note.note, answered);
    // A comment of commands: the commands have answered it (prose beside them goes to the model, in an issue
    // that is already a request).
    if (!turn.structured && turn.problems.length === 0 && addressed && answered.length && (!prose || !ctx.llm || !wasEngaged)) return;
    state = turn.state;
    if (!wasEngaged) state = await engageWithIssue(ctx, state);
    if (ctx.llm && !turn.structured && !turn.problems.length && prose) {
      // The model reads what the request forms could not; the card's "needs a model" notice does not apply.
      ctx.store.saveConversation(ctx.resourceKey, { ...state, lastTurn: { ...state.lastTurn, proseFrom: undefined } });
      return readProseWithModel(ctx, { text: prose, kind: 'comment', author: ctx.actor!.username, replyKey: String(note.id), noteId: note.id });
    }
    ctx.store.saveConversation(ctx.resourceKey, state);
    const m = await ctx.messages();
    await showCard(ctx, state);
    if (turn.structured || turn.problems.length) {
      const missing = evaluateSpec(state.fields, await ctx.config()).missing.length;
      await replyToTurn(ctx, String(note.id), turn, m, missing);
    } else if (addressed) {
      await ctx.replyOnce(String(note.id), m.spec.replies.needsModel);
    }
  });

  const specCommand = (name: 'set' | 'unset', usage: string) =>
    bot.command({
      name,
      usage,
      summary: (m) => m.spec.commands[name],
      where: ['issue', 'merge_request'],
      // On the bot's merge request a change of the spec is a commit.
      minAccessLevel: { merge_request: 'config' },
      args: z.array(z.string()).min(1, name === 'set' ? 'give at least one KEY=VALUE' : 'give at least one field'),
      run: async (ctx, args, command) => {
        // On the bot's merge request: the issue's spec changes and the branch is generated again.
        if (ctx.resource!.type === 'merge_request') return runReviewCommand(ctx, name === 'set' ? { set: args } : { unset: args }, command.line);
        let state = load(ctx);
        const noteId = ctx.payload.object_attributes.id;
        const turn = applyCommand(state, name === 'set' ? { set: args, noteId } : { unset: args, noteId }, ctx.actor!.username);
        state = turn.state;
        if (!load(ctx).engaged) state = await engageWithIssue(ctx, state);
        ctx.store.saveConversation(ctx.resourceKey, state);
        const m = await ctx.messages();
        await showCard(ctx, state);
        const missing = evaluateSpec(state.fields, await ctx.config()).missing.length;
        await replyToTurn(ctx, `${ctx.payload.object_attributes.id}:${command.line}`, turn, m, missing);
      },
    });
  specCommand('set', 'set KEY=VALUE…');
  specCommand('unset', 'unset KEY…');

  /** A command that answers about the spec as it stands, in the thread: /spec and /status. */
  const specQuestion = (name: 'spec' | 'status', answer: (evaluation: ReturnType<typeof evaluateSpec>, m: Messages, ctx: Context) => string | Promise<string>) =>
    bot.command({
      name,
      usage: name,
      summary: (m) => m.spec.commands[name],
      where: ['issue'],
      args: z.array(z.string()).max(0, 'it takes no arguments'),
      run: async (ctx, _args, command) => {
        const state = load(ctx);
        const m = await ctx.messages();
        const key = `${ctx.payload.object_attributes.id}:${command.line}`;
        if (!state.engaged) return void (await ctx.replyOnce(key, m.spec.replies.noRequest));
        await ctx.replyOnce(key, await answer(evaluateSpec(state.fields, await ctx.config()), m, ctx));
      },
    });
  specQuestion('spec', (evaluation, m) => [m.spec.replies.specBlock, '', '```yaml', toYaml(evaluation.spec, { lineWidth: 0 }).trimEnd(), '```'].join('\n'));
  specQuestion('status', async (evaluation, m, ctx) => {
    const spec = m.spec.replies.status(evaluation.complete, [...evaluation.missing, ...evaluation.errors.map((e) => e.path ?? '')].filter(Boolean));
    const dagId = (evaluation.spec as { dag_id?: string }).dag_id;
    if (!dagId) return spec;
    // The merge request of the issue's branch, the newest if there were several.
    const branch = branchName((await ctx.config()).branch_prefix, ctx.resource!.iid, dagId);
    const mergeRequests = (await ctx.gitlab.MergeRequests.all({ projectId: ctx.projectId, sourceBranch: branch, orderBy: 'created_at', sort: 'desc', perPage: 1, maxPages: 1 })) as Array<{ iid: number; state: string; web_url: string }>;
    const mr = mergeRequests[0];
    return mr ? `${spec}\n\n${m.spec.replies.mergeRequestState(mr.iid, mr.state, mr.web_url)}` : spec;
  });
}
