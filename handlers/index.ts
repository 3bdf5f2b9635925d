// The product's handlers, one file per conversation concern.
import type { Bot } from '../src/bot/bot.ts';
import { registerCancel } from './cancel.ts';
import { registerGenerate } from './generate.ts';
import { registerHelp } from './help.ts';
import { registerInit } from './init.ts';
import { registerIssueRequest } from './issue-request.ts';
import { registerMergeRequestEvents } from './merge-request.ts';

export function registerHandlers(bot: Bot): void {
  registerHelp(bot);
  registerIssueRequest(bot);
  registerGenerate(bot);
  registerInit(bot);
  registerCancel(bot);
  registerMergeRequestEvents(bot);
}
