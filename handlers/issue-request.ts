// The request conversation in an issue: its text and comments, and the spec commands /set, /unset, /spec and
// /status (on the bot's merge request, /set and /unset change the issue's spec and commit).
import type { Bot } from '../src/bot/bot.ts';
import { noArguments, someAssignments, someFields } from '../src/bot/arguments.ts';
import { answerSpec, answerStatus, changeSpecInIssue, readIssueComment, readIssueText } from '../src/conversation/request.ts';
import { changeSpecFromReview } from '../src/conversation/review.ts';

export function registerIssueRequest(bot: Bot): void {
  bot.on(['issue.open', 'issue.update', 'issue.reopen'], (ctx) => readIssueText(ctx, bot));
  bot.on('note.issue', (ctx) => readIssueComment(ctx, bot));

  for (const name of ['set', 'unset'] as const) bot.command({
    name,
    usage: name === 'set' ? 'set KEY=VALUE…' : 'unset KEY…',
    summary: (m) => m.commands.summaries[name],
    where: ['issue', 'merge_request'],
    // On the bot's merge request a change of the spec is a commit.
    minAccessLevel: { merge_request: 'config' },
    args: name === 'set' ? someAssignments : someFields,
    run: (ctx, args, command) => {
      const change = name === 'set' ? { set: args } : { unset: args };
      if (ctx.resource!.type === 'merge_request') return changeSpecFromReview(ctx, change, command.line);
      return changeSpecInIssue(ctx, change, `${ctx.payload.object_attributes.id}:${command.line}`);
    },
  });

  for (const [name, answer] of [['spec', answerSpec], ['status', answerStatus]] as const) bot.command({
    name,
    usage: name,
    summary: (m) => m.commands.summaries[name],
    where: ['issue'],
    args: noArguments,
    run: (ctx, _args, command) => answer(ctx, `${ctx.payload.object_attributes.id}:${command.line}`),
  });
}
