// Russian: replies.
import type { repliesEn } from '../en/replies.ts';

export const repliesRu: typeof repliesEn = {
  replies: {
    updated: (paths: string[], missing: number) =>
      `Обновлено: ${paths.map((p) => `\`${p}\``).join(', ')}. ${missing ? `Ещё нужно полей: ${missing}; см. карточку выше.` : 'Заявка заполнена: напишите `/generate`.'}`,
    cleared: (path, fallback) => `Поле \`${path}\` очищено${fallback === undefined ? '.' : `: у него снова значение по умолчанию, \`${fallback}\`.`}`,
    wasNotSet: (path, fallback) => `Поле \`${path}\` не было задано${fallback === undefined ? ', ничего не изменилось.' : `: у него остаётся значение по умолчанию, \`${fallback}\`.`}`,
    notApplied: (lines: string[]) => ['Ничего не изменено для этого:', ...lines.map((l) => `- ${l}`)].join('\n'),
    needsModel: 'Свободный текст я понимаю, только когда настроена модель. Пишите поля строками `ключ: значение` или `/set ключ=значение`; `/help` — список команд.',
    specBlock: 'Спецификация сейчас (скопируйте, отредактируйте и вставьте обратно комментарием):',
    status: (complete: boolean, missing: string[]) =>
      complete ? 'Спецификация заполнена: `/generate` откроет merge request.' : `Спецификация ещё не заполнена. Нужно: ${missing.map((p) => `\`${p}\``).join(', ')}.`,
    statusWithMergeRequest: (complete, missing, mergeRequest) =>
      !complete
        ? `Спецификация больше не заполнена. Нужно: ${missing.map((p) => `\`${p}\``).join(', ')}.`
        : mergeRequest === 'current'
          ? 'Спецификация заполнена, и merge request её содержит.'
          : mergeRequest === 'behind'
            ? 'Спецификация заполнена и изменилась после генерации merge request: `/generate` обновит его.'
            : 'Спецификация заполнена: `/generate` откроет новый merge request.',
    mergeRequestState: (iid: number, state: string, url: string) =>
      `Merge request !${iid} ${({ opened: 'открыт', merged: 'влит', closed: 'закрыт без слияния', locked: 'заблокирован' } as Record<string, string>)[state] ?? state}: ${url}`,
    noRequest: 'В этой задаче пока нет заявки на пайплайн. Опишите её строками `ключ: значение` или блоком yaml; `/help` подскажет как.',
  },
};
