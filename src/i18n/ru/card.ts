// Russian: card, source.
import type { cardEn } from '../en/card.ts';

export const cardRu: typeof cardEn = {
  card: {
    title: (dagId: string | undefined) => (dagId ? `Заявка на пайплайн \`${dagId}\`` : 'Заявка на пайплайн'),
    columns: ['поле', 'значение', 'откуда'],
    startDateLater: 'день первого `/generate`',
    missingTitle: 'Ещё нужно',
    errorsTitle: 'Не применено',
    warningsTitle: 'Предупреждения',
    notesTitle: 'Заметки',
    filesTitle: 'Что запишет `/generate`',
    ready: 'Всё необходимое есть. Напишите `/generate`, чтобы открыть merge request (нужна роль Developer или выше).',
    generated: (iid, url) => `Эта спецификация — в merge request [!${iid}](${url}). После изменений здесь напишите \`/generate\`, чтобы обновить его.`,
    behind: (iid, url) => `Спецификация изменилась после генерации merge request [!${iid}](${url}): напишите \`/generate\`, чтобы обновить его.`,
    howToAnswer: 'Ответьте комментарием со строками `ключ: значение` (`schedule: 0 6 * * *`), блоком yaml или командой `/set ключ=значение`.',
    secretWarning: (masked: string, connId: string | undefined, command?: string) =>
      `В задаче указаны учётные данные (\`${masked}\`). Смените пароль. Dagwright их не хранит: создайте подключение Airflow${connId ? ` \`${connId}\`` : ''} и укажите его id${command ? ` (\`${command}\`, подставив новый пароль вместо \`<password>\`)` : ''}.`,
    tokenWarning: (masked: string) => `В задаче указан токен (\`${masked}\`). Отзовите его: его видел каждый, кто читал задачу.`,
    sensitiveWarning: (columns: string[], target: string | undefined) => {
      const names = columns.map((c) => `\`${c}\``).join(', ');
      const list = `[${columns.join(',')}]`;
      return `Похоже, что ${columns.length === 1 ? 'столбец' : 'столбцы'} ${names} ${columns.length === 1 ? 'содержит' : 'содержат'} персональные данные или секреты, и ${columns.length === 1 ? 'он будет скопирован' : 'они будут скопированы'} в ${target ? `\`${target}\`` : 'целевую таблицу'}. Исключите их командой \`/set source.exclude_columns=${list}\` или оставьте намеренно: \`/set source.keep_sensitive=${list}\`.`;
    },
    filesNotice: (kind: 'key' | 'prefix' | 'glob', path: string, ifEmpty: 'fail' | 'skip') =>
      `Каждый запуск читает ${{ key: 'один файл, ключ', prefix: 'все файлы под префиксом', glob: 'все файлы по маске' }[kind]} \`${path}\` (с датами запуска), по задаче на файл; запуск без файлов ${ifEmpty === 'skip' ? 'пропускается' : 'падает'} (\`source.if_empty\`).`,
    columnsAtRunTime: (table) =>
      `\`source.columns\` не заданы: задание Spark берёт колонки из источника при запуске и создаёт ${table ? `\`${table}\`` : 'таблицу'} при первом запуске с типами Spark. Перечислите их (или дайте боту прочитать источник), чтобы они были зафиксированы в DDL.`,
    proseNotice: (user: string) =>
      `В последнем комментарии @${user} нет ничего, что я могу прочитать без модели. Я читаю блоки yaml, строки \`ключ: значение\`, таблицу параметров и команды (\`/help\`).`,
    columnsSummary: (n: number) => `столбцов: ${n}`,
    checksSummary: (n: number) => `проверок: ${n}`,
    nth: (n: number) => `элемент ${n}`,
  },
  source: {
    title: (connId: string, table: string) => `Источник \`${connId}\` \`${table}\``,
    rows: (n: number) => `около ${n.toLocaleString('ru')} строк`,
    primaryKey: (columns: string[]) => `первичный ключ: ${columns.map((c) => `\`${c}\``).join(', ')}`,
    noPrimaryKey: 'первичного ключа нет',
    watermarks: (items: string[]) => `кандидаты в watermark (с индексом): ${items.join(', ')}`,
    noWatermark: 'нет индексированной колонки времени или счётчика: инкрементальная загрузка будет читать всю таблицу',
    unreachable: (reason: string) => `не удалось проверить: ${reason}`,
    notGiven: (reason: string) => `не проверялся: ${reason} (бот смотрит только переданные ему источники, только на чтение)`,
  },
};
