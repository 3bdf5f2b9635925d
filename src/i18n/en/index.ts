// Every sentence the bot writes in English, by concern. None may start a line with "/" (GitLab would run it).
import { cardEn } from './card.ts';
import { deployEn } from './deploy.ts';
import { generateEn } from './generate.ts';
import { renderEn } from './render.ts';
import { repliesEn } from './replies.ts';
import { reviewEn } from './review.ts';
import { setupEn } from './setup.ts';
import { specEn } from './spec.ts';
import { summariesEn } from './summaries.ts';

export const en = {
  commands: {
    helpTitle: 'Dagwright commands',
    helpIntro: (bot: string) => `Write a command at the start of a line in a comment, or mention me: \`@${bot} help\`.`,
    helpColumns: ['command', 'what it does'] as [string, string],
    unknown: (name: string, suggestion: string | undefined) =>
      suggestion
        ? `I don't know the command \`/${name}\`. Did you mean \`/${suggestion}\`? Comment \`/help\` for the list.`
        : `I don't know the command \`${name}\`. Comment \`/help\` for the list.`,
    elsewhere: (name: string, place: 'issue' | 'merge_request', issue: { iid: number; url: string | undefined } | undefined) =>
      place === 'issue'
        ? `\`/${name}\` works in the pipeline's issue, not on a merge request: ${issue ? `comment it on ${issue.url ? `[#${issue.iid}](${issue.url})` : `#${issue.iid}`}.` : 'comment it on the issue that requests the pipeline.'}`
        : `\`/${name}\` works on the pipeline's merge request, not in the issue.`,
    withoutSlash: (lines: string[]) =>
      `${lines.map((l) => `\`${l}\``).join(', ')} ${lines.length === 1 ? 'is a command' : 'are commands'} only with a slash at the start of the line, so nothing was done: write ${lines.map((l) => `\`/${l}\``).join(', ')}.`,
    argumentProblems: {
      '@no_arguments': 'it takes no arguments',
      '@one_command_name': 'it takes at most one command name',
      '@some_assignments': 'give at least one KEY=VALUE',
      '@some_fields': 'give at least one field',
    } as Record<string, string>,
    badArguments: (name: string, problem: string) =>
      `The command \`/${name}\` was not run: ${problem}. Comment \`/help ${name}\` for its usage.`,
    accessDenied: (name: string, required: string, actual: string) =>
      `Sorry, \`/${name}\` needs at least the ${required} role on this project; you have ${actual}. ` +
      'A project maintainer can run it, or give you that role.',
    noAccess: 'no role',
    /** One line per command, for /help. */
    summaries: { help: 'the commands and what they do; `help NAME` for one command', ...summariesEn.commands },
  },
  jobs: {
    failedTitle: 'Dagwright could not finish this job',
    failed: (what: string, attempts: number, reason: string) =>
      `Handling ${what} failed after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}: ${reason}`,
    failedHint: (deliveryId: string) =>
      `To try again, write the comment again. The bot's log has the details under delivery \`${deliveryId}\`.`,
    interrupted: 'the bot stopped while running this job, too many times',
    serviceAnswered: (service: string, status: number, description: string, request: string) => `${service} answered ${status} (${description}) to ${request}`,
    internalError: 'an unexpected error (the details are in the bot log)',
  },
  config: {
    invalid: (file: string, problems: string[]) =>
      [
        `The repository configuration \`${file}\` has problems, so I use my defaults for these fields:`,
        ...problems.map((p) => `- ${p}`),
      ].join('\n'),
    unreadable: (file: string, reason: string) =>
      `The repository configuration \`${file}\` could not be read (${reason}), so I use my defaults.`,
  },
  spec: specEn,
  ...cardEn,
  ...repliesEn,
  ...generateEn,
  ...deployEn,
  ...reviewEn,
  ...setupEn,
  ...renderEn,
};

export type Messages = typeof en;
