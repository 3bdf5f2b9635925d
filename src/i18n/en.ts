// Every sentence the bot writes in English. None may start a line with "/" (GitLab would run it).
import { specEn } from './spec-en.ts';

export const en = {
  helpTitle: 'Dagwright commands',
  helpIntro: (bot: string) => `Write a command at the start of a line in a comment, or mention me: \`@${bot} help\`.`,
  helpColumns: ['command', 'what it does'] as [string, string],

  commandSummaries: {
    help: 'the commands and what they do; `help NAME` for one command',
  } as Record<string, string>,

  unknownCommand: (name: string, suggestion: string | undefined) =>
    suggestion
      ? `I don't know the command \`/${name}\`. Did you mean \`/${suggestion}\`? Comment \`/help\` for the list.`
      : `I don't know the command \`${name}\`. Comment \`/help\` for the list.`,

  badCommandArguments: (name: string, problem: string) =>
    `The command \`/${name}\` was not run: ${problem}. Comment \`/help ${name}\` for its usage.`,

  accessDenied: (name: string, required: string, actual: string) =>
    `Sorry, \`/${name}\` needs at least the ${required} role on this project; you have ${actual}. ` +
    'A project maintainer can run it, or give you that role.',
  noAccess: 'no role',

  repoConfigInvalid: (file: string, problems: string[]) =>
    [
      `The repository configuration \`${file}\` has problems, so I use my defaults for these fields:`,
      ...problems.map((p) => `- ${p}`),
    ].join('\n'),
  repoConfigUnreadable: (file: string, reason: string) =>
    `The repository configuration \`${file}\` could not be read (${reason}), so I use my defaults.`,

  jobFailedTitle: 'Dagwright could not finish this job',
  jobFailed: (what: string, attempts: number, reason: string) =>
    `Handling ${what} failed after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}: ${reason}`,
  jobFailedHint: (deliveryId: string) =>
    `To try again, write the comment again. The bot's log has the details under delivery \`${deliveryId}\`.`,
  internalError: 'an unexpected error (the details are in the bot log)',
  spec: specEn,
};

export type Messages = typeof en;
