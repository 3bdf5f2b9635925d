// Russian: generate.
import type { generateEn } from '../en/generate.ts';

export const generateRu: typeof generateEn = {
  generate: {
    steps: { queued: 'в очереди', clone: 'клон', render: 'генерация', validate: 'проверка', commit: 'коммит', push: 'push', mr: 'merge request' },
    title: (dagId: string) => `Генерация \`${dagId}\``,
    titleDone: (dagId: string) => `\`${dagId}\` сгенерирован`,
    titleFailed: (dagId: string) => `Генерация \`${dagId}\` остановилась`,
    position: (n: number) => (n === 1 ? 'место 1: следующая' : `место ${n}`),
    failedAt: (step: string, reason: string) => `Остановлено на шаге **${step}**: ${reason}`,
    retryHint: 'Напишите `/retry` (или `/generate`), чтобы повторить.',
    incomplete: (missing: string[]) => `Спецификация не заполнена, поэтому ничего не сгенерировано. Нужно: ${missing.map((p) => `\`${p}\``).join(', ')} (см. карточку).`,
    invalid: 'Сгенерированные файлы не прошли проверку, поэтому ничего не отправлено:',
    noChanges: 'Изменений нет: в ветке уже эта версия.',
    opened: (iid: number, url: string) => `Открыт merge request !${iid}: ${url}`,
    updated: (iid: number, url: string, sha: string) => `Merge request !${iid} обновлён коммитом ${sha.slice(0, 8)}: ${url}`,
    conflict: (files: Array<{ path: string; lines: number[] }>) =>
      ['Ваши правки в ветке и новая генерация меняют одни и те же строки, поэтому ветка оставлена как есть:', ...files.map((f) => `- \`${f.path}\`, строки ${f.lines.join(', ')}`)].join('\n'),
    closed: (iid: number, url: string) => `Merge request !${iid} закрыт без слияния. Спецификация сохранена; \`/generate\` откроет новый merge request. ${url}`,
    previewTitle: (dagId: string, count: number) => `Предпросмотр \`${dagId}\`: файлов ${count} (ничего не отправлено)`,
    mrSummary: 'Спецификация',
    mrGraph: 'Задачи',
    mrFiles: 'Файлы',
    mrValidation: 'Проверка',
  },
  retry: {
    rerunning: (reason) => `Запускаю заново задачу, которая не удалась${reason ? ` (она остановилась с ошибкой: ${reason.split('\n')[0]!.slice(0, 200)})` : ''}.`,
    nothing: (inIssue) =>
      `Здесь ничего не сорвалось, повторять нечего.${inIssue ? ' Напишите `/generate`, чтобы сгенерировать пайплайн, или `/status`, чтобы узнать, где он сейчас.' : ''}`,
  },
};
