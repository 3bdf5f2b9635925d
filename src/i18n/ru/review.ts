// Russian: review, model.
import type { reviewEn } from '../en/review.ts';
import { fenced } from '../../markdown.ts';

export const reviewRu: typeof reviewEn = {
  review: {
    revised: (sha: string, explanation: string, diff: string) => `${explanation}\n\nСделано в ${sha.slice(0, 8)}:\n\n${fenced('diff', diff)}`,
    declined: (explanation: string) => `Не сделано: ${explanation}`,
    outside: (paths: string[]) => `Не сделано: здесь можно менять только файлы этого пайплайна, а не ${paths.map((p) => `\`${p}\``).join(', ')}.`,
    stillInvalid: (report: string) => `Не сделано: исправленные файлы так и не прошли проверку, поэтому ничего не закоммичено.\n\n${report}`,
    mayNotRevise: (required: string, actual: string) => `Извините, для изменения файлов этого merge request нужна роль не ниже ${required}; у вас ${actual}.`,
    noGeneration: (iid: number) => `Этот пайплайн ещё не сгенерирован: сначала выполните \`/generate\` в #${iid}.`,
    notOurs: 'Этот merge request открыт не Dagwright, поэтому его спецификацию я не меняю.',
    suggestSet: (command: string) => `Чтобы применить это, напишите \`${command}\`: спецификация изменится, и ветка будет сгенерирована заново.`,
    needsModel: 'Без модели я не могу выполнить комментарий, написанный словами. Меняйте спецификацию через `/set ключ=значение` (поля — в карточке задачи).',
    committed: (sha: string, diffStat: string, changed: string[], by: string | undefined) =>
      `Сделано в ${sha.slice(0, 8)}${changed.length ? `: изменено ${changed.map((f) => `\`${f}\``).join(', ')}` : ''}${by ? `, по просьбе @${by}` : ''}.${diffStat ? `\n\n${fenced('', diffStat)}` : ''}`,
    unchanged: 'Спецификация изменилась, но файлы остались прежними: коммита нет.',
    failed: (iid: number) => `Новая генерация не попала в ветку; причина — в комментарии о статусе в #${iid}.`,
  },
  model: {
    read: 'Прочитано моделью из текста выше; в карточке видно каждое значение и откуда оно.',
    budget: (scope: 'job' | 'issue') =>
      `Бюджет токенов модели на ${scope === 'job' ? 'этот запрос' : 'эту задачу'} исчерпан, поэтому я остановился; сделанное сохранено. Поля можно задать через \`/set ключ=значение\`.`,
    unreadable: (problems: string[]) => `Не удалось прочитать это с помощью модели (${problems.join('; ')}). Пишите поля строками \`ключ: значение\` или \`/set ключ=значение\`.`,
    usage: (model: string, input: number, output: number) => `Модель \`${model}\`: ${input.toLocaleString('ru')} входных и ${output.toLocaleString('ru')} выходных токенов по этой задаче.`,
    notForRole: (required: string, actual: string) =>
      `Извините, текст в свободной форме модель читает только для роли не ниже ${required} в этом проекте; у вас ${actual}. Поля строками \`ключ: значение\` или \`/set ключ=значение\` доступны всем.`,
  },
};
