// Every sentence the bot writes in Russian. None may start a line with "/" (GitLab would run it).
import type { Messages } from './en.ts';
import { specRu } from './spec-ru.ts';

export const ru: Messages = {
  helpTitle: 'Команды Dagwright',
  helpIntro: (bot: string) => `Напишите команду в начале строки комментария или упомяните меня: \`@${bot} help\`.`,
  helpColumns: ['команда', 'что делает'],

  commandSummaries: {
    help: 'список команд; `help ИМЯ` — об одной команде',
  },

  unknownCommand: (name: string, suggestion: string | undefined) =>
    suggestion
      ? `Я не знаю команду \`/${name}\`. Возможно, вы имели в виду \`/${suggestion}\`? Список команд: \`/help\`.`
      : `Я не знаю команду \`${name}\`. Список команд: \`/help\`.`,

  badCommandArguments: (name: string, problem: string) =>
    `Команда \`/${name}\` не выполнена: ${problem}. Как ею пользоваться: \`/help ${name}\`.`,

  accessDenied: (name: string, required: string, actual: string) =>
    `Извините, для \`/${name}\` нужна роль не ниже ${required} в этом проекте; у вас — ${actual}. ` +
    'Команду может выполнить мейнтейнер проекта или выдать вам эту роль.',
  noAccess: 'нет роли',

  repoConfigInvalid: (file: string, problems: string[]) =>
    [
      `В конфигурации репозитория \`${file}\` есть ошибки, поэтому для этих полей я использую значения по умолчанию:`,
      ...problems.map((p) => `- ${p}`),
    ].join('\n'),
  repoConfigUnreadable: (file: string, reason: string) =>
    `Не удалось прочитать конфигурацию репозитория \`${file}\` (${reason}), поэтому я использую значения по умолчанию.`,

  jobFailedTitle: 'Dagwright не смог завершить задачу',
  jobFailed: (what: string, attempts: number, reason: string) =>
    `Обработка события ${what} не удалась после попыток: ${attempts}. Причина: ${reason}`,
  jobFailedHint: (deliveryId: string) =>
    `Чтобы повторить, напишите комментарий ещё раз. Подробности — в журнале бота, доставка \`${deliveryId}\`.`,
  internalError: 'непредвиденная ошибка (подробности — в журнале бота)',
  spec: specRu,
};
