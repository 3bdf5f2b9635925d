// Every sentence the bot writes in Russian, by concern. None may start a line with "/" (GitLab would run it).
import type { Messages } from '../en/index.ts';
import { cardRu } from './card.ts';
import { deployRu } from './deploy.ts';
import { generateRu } from './generate.ts';
import { renderRu } from './render.ts';
import { repliesRu } from './replies.ts';
import { reviewRu } from './review.ts';
import { setupRu } from './setup.ts';
import { specRu } from './spec.ts';
import { summariesRu } from './summaries.ts';

export const ru: Messages = {
  commands: {
    helpTitle: 'Команды Dagwright',
    helpIntro: (bot: string) => `Напишите команду в начале строки комментария или упомяните меня: \`@${bot} help\`.`,
    helpColumns: ['команда', 'что делает'],
    unknown: (name: string, suggestion: string | undefined) =>
      suggestion
        ? `Я не знаю команду \`/${name}\`. Возможно, вы имели в виду \`/${suggestion}\`? Список команд: \`/help\`.`
        : `Я не знаю команду \`${name}\`. Список команд: \`/help\`.`,
    elsewhere: (name, place, issue) =>
      place === 'issue'
        ? `\`/${name}\` работает в задаче пайплайна, а не в merge request: ${issue ? `напишите её в ${issue.url ? `[#${issue.iid}](${issue.url})` : `#${issue.iid}`}.` : 'напишите её в задаче, где запрошен пайплайн.'}`
        : `\`/${name}\` работает в merge request пайплайна, а не в задаче.`,
    withoutSlash: (lines) =>
      `${lines.map((l) => `\`${l}\``).join(', ')} — команда, только если в начале строки стоит косая черта, поэтому ничего не сделано: напишите ${lines.map((l) => `\`/${l}\``).join(', ')}.`,
    argumentProblems: {
      '@no_arguments': 'у неё нет аргументов',
      '@one_command_name': 'она принимает не больше одного имени команды',
      '@some_assignments': 'укажите хотя бы одно КЛЮЧ=ЗНАЧЕНИЕ',
      '@some_fields': 'укажите хотя бы одно поле',
    },
    badArguments: (name: string, problem: string) =>
      `Команда \`/${name}\` не выполнена: ${problem}. Как ею пользоваться: \`/help ${name}\`.`,
    accessDenied: (name: string, required: string, actual: string) =>
      `Извините, для \`/${name}\` нужна роль не ниже ${required} в этом проекте; у вас — ${actual}. ` +
      'Команду может выполнить мейнтейнер проекта или выдать вам эту роль.',
    noAccess: 'нет роли',
    /** One line per command, for /help. */
    summaries: { help: 'список команд; `help ИМЯ` — об одной команде', ...summariesRu.commands },
  },
  jobs: {
    failedTitle: 'Dagwright не смог завершить задачу',
    failed: (what: string, attempts: number, reason: string) =>
      `Обработка события ${what} не удалась после попыток: ${attempts}. Причина: ${reason}`,
    failedHint: (deliveryId: string) =>
      `Чтобы повторить, напишите комментарий ещё раз. Подробности — в журнале бота, доставка \`${deliveryId}\`.`,
    interrupted: 'бот останавливался во время этой задачи слишком много раз',
    serviceAnswered: (service: string, status: number, description: string, request: string) => `${service} ответил ${status} (${description}) на ${request}`,
    internalError: 'непредвиденная ошибка (подробности — в журнале бота)',
  },
  config: {
    invalid: (file: string, problems: string[]) =>
      [
        `В конфигурации репозитория \`${file}\` есть ошибки, поэтому для этих полей я использую значения по умолчанию:`,
        ...problems.map((p) => `- ${p}`),
      ].join('\n'),
    unreadable: (file: string, reason: string) =>
      `Не удалось прочитать конфигурацию репозитория \`${file}\` (${reason}), поэтому я использую значения по умолчанию.`,
  },
  spec: specRu,
  ...cardRu,
  ...repliesRu,
  ...generateRu,
  ...deployRu,
  ...reviewRu,
  ...setupRu,
  ...renderRu,
};
