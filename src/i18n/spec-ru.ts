// The spec conversation's sentences in Russian: field errors, questions, the spec card.
import type { SpecMessages } from './spec-en.ts';

import { fenced } from '../markdown.ts';

type P = Record<string, unknown>;
const list = (v: unknown) => String(v ?? '');

export const specRu: SpecMessages = {
  problems: {
    '@type_string': () => 'должно быть текстом',
    '@type_number': () => 'должно быть числом',
    '@type_integer': () => 'должно быть целым числом',
    '@type_boolean': () => 'должно быть true или false',
    '@type_list': () => 'должно быть списком, например [a, b]',
    '@type_object': () => 'должно быть группой полей (словарём)',
    '@one_of': (p: P) => `должно быть одним из: ${list(p.allowed)}`,
    '@invalid': (p: P) => (p.allowed ? `должно быть одним из: ${list(p.allowed)}` : 'имеет недопустимое значение'),
    '@empty': () => 'не должно быть пустым',
    '@too_long': (p: P) => (p.limit ? `слишком длинный, чтобы его читать (больше ${list(p.limit)} символов); ничего из него не применено` : 'слишком длинное'),
    '@list_empty': () => 'должен содержать хотя бы один элемент',
    '@min': () => 'слишком мало',
    '@max': () => 'слишком много',
    '@dag_id': () => 'должен начинаться со строчной буквы и содержать только строчные буквы, цифры и _ (от 3 до 100 символов); это имя файла',
    '@path_segment': () => 'может содержать только строчные буквы, цифры и _ (это имя папки)',
    '@conn_id': () => 'должен быть id подключения Airflow: буквы, цифры, _ . - (не URL)',
    '@source_table': () => 'должно быть именем таблицы: schema.table или table',
    '@target_table': () => 'должно быть в виде schema.table',
    '@column': () => 'должно быть именем столбца (буквы, цифры, _)',
    '@select': () => 'должен быть запросом SELECT (или WITH … SELECT)',
    '@bucket': () => 'должно быть именем бакета S3',
    '@endpoint': () => 'должен быть путём относительно базового URL подключения, начиная с /',
    '@records_path': () => 'должен быть путём через точку, например data.items',
    '@topic': () => 'должно быть именем топика Kafka',
    '@format': () => 'должно быть названием формата, например parquet',
    '@location': () => 'должно быть URL, например s3a://bucket/path',
    '@tag': () => 'должен быть коротким тегом (буквы, цифры, _ . -)',
    '@pack': () => 'должно быть именем набора шаблонов, например airflow-sql',
    '@version': () => 'должна быть 1 (единственная версия)',
    '@airflow_version': () => 'должна быть 2 или 3',
    '@schedule': () => 'должно быть cron из 5 полей, пресетом (@hourly @daily @weekly @monthly @yearly) или "manual"',
    '@cron_fields': (p: P) => `должно быть cron из 5 полей (минута час день месяц день-недели); здесь полей: ${list(p.count)}`,
    '@cron_invalid': (p: P) => `не является корректным cron: ${list(p.problem)}`,
    '@timezone': () => 'должен быть часовым поясом IANA, например UTC или Europe/Moscow',
    '@date': () => 'должна быть датой в виде ГГГГ-ММ-ДД',
    '@duration': () => 'должна быть длительностью: 30s, 5m, 2h или 1d',
    '@check_unknown': () => 'содержит неизвестную проверку: используйте row_count, not_null, unique, accepted_values, freshness или sql',
    '@check_name': () => 'должно быть именем проверки (строчные буквы, цифры, _)',
    '@notify': () => 'должен содержать email:АДРЕС или conn:CONN_ID',
    '@table_and_query': () => 'нельзя указывать вместе с source.table: укажите одно из двух',
    '@file_strategy': () => 'для файловых источников должна быть snapshot, append или overwrite',
    '@row_count_bounds': () => 'содержит проверку row_count без min и max',
    '@url_with_password': (p: P) => `содержит URL с паролем (${list(p.masked)}): создайте подключение Airflow и укажите его conn_id`,
    '@secret_in_spec': (p: P) => `содержит учётные данные (${list(p.masked)}): создайте подключение Airflow`,
    '@unknown_field': (p: P) => (p.suggestion ? `не является полем спецификации; возможно, вы имели в виду \`${list(p.suggestion)}\`?` : 'не является полем спецификации'),
    '@not_a_mapping': () => 'блок yaml должен содержать поля, например `dag_id: …`',
    '@yaml': (p: P) => `блок yaml не разбирается${p.line ? ` (строка ${list(p.line)})` : ''}: ${list(p.problem)}`,
    '@ddl': () => 'не удалось прочитать DDL таблицы: напишите CREATE TABLE имя (столбец тип, …)',
    '@unknown_row': (p: P) => `строка таблицы \`${list(p.row)}\` мне неизвестна`,
    '@missing': () => 'нужно указать',
    '@set_syntax': (p: P) => `\`${list(p.arg)}\` — не в виде KEY=VALUE`,
  },

  notes: {
    '@alias': (p: P) => `\`${list(p.from)}\` прочитано как \`${list(p.to)}\``,
    '@transform_prose': () => 'преобразования описаны словами; чтобы их применить, задайте `transform.sql` — SELECT из `source`',
    '@quality_prose': () => 'проверки качества описаны словами; задайте `quality` списком проверок',
    '@uri_unknown_type': () => 'указан URL подключения к неизвестному мне типу базы; задайте `source.type`',
  },

  questions: {
    dag_id: 'Как назвать DAG? (`dag_id`: строчные буквы, цифры и _)',
    description: 'Что делает пайплайн, одним предложением? (`description`)',
    schedule: 'Когда запускать? (`schedule`: cron вроде `0 6 * * *`, `@daily` или `manual`)',
    'source.type': 'Какой это источник? (`source.type`: postgres, mysql, s3, http …)',
    'source.conn_id': 'Через какое подключение Airflow доступен источник? (`source.conn_id`)',
    'source.table': 'Какую таблицу загружать? (`source.table` или SELECT в `source.query`)',
    'source.bucket': 'В каком бакете S3 лежат файлы? (`source.bucket`)',
    'source.path': 'Какие файлы: ключ, префикс или маска? (`source.path`)',
    'source.format': 'В каком формате файлы? (`source.format`: csv, json, jsonl, parquet …)',
    'source.endpoint': 'Какой эндпоинт отдаёт записи? (`source.endpoint`)',
    'source.topic': 'Какой топик Kafka? (`source.topic`)',
    'target.conn_id': 'Через какое подключение Airflow доступна целевая база? (`target.conn_id`)',
    'target.table': 'В какую таблицу загружать? (`target.table`: schema.table)',
    'load.strategy': 'Как загружать? (`load.strategy`: overwrite, append, incremental, snapshot или scd2)',
    'load.watermark': 'По какому столбцу отличать новые строки? (`load.watermark`, нужно для incremental)',
    'load.keys': 'Какие столбцы задают ключ строки? (`load.keys`, нужно для scd2)',
  },

  provenance: {
    issue: 'задача',
    comment: (user: string) => `комментарий @${user}`,
    command: (user: string) => `/set от @${user}`,
    'repo-config': 'конфиг репозитория',
    dagwright: 'по умолчанию',
    derived: 'выведено',
    secret: 'предложено по URL подключения',
    introspected: 'из источника',
    modelIssue: 'задача, прочитано моделью',
    modelComment: (user: string) => `комментарий @${user}, прочитано моделью`,
  },

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
    howToAnswer: 'Ответьте комментарием со строками `ключ: значение` (`schedule: 0 6 * * *`), блоком yaml или командой `/set ключ=значение`.',
    secretWarning: (masked: string, connId: string | undefined) =>
      `В задаче указаны учётные данные (\`${masked}\`). Смените пароль. Dagwright их не хранит: создайте подключение Airflow${connId ? ` \`${connId}\`` : ''} и укажите его id.`,
    tokenWarning: (masked: string) => `В задаче указан токен (\`${masked}\`). Отзовите его: его видел каждый, кто читал задачу.`,
    proseNotice: (user: string) =>
      `В последнем комментарии @${user} нет ничего, что я могу прочитать без модели. Я читаю блоки yaml, строки \`ключ: значение\`, таблицу параметров и команды (\`/help\`).`,
    columnsSummary: (n: number) => `столбцов: ${n}`,
    checksSummary: (n: number) => `проверок: ${n}`,
    item: (path: string, text: string) => `\`${path}\`: ${text}`,
  },

  replies: {
    updated: (paths: string[], missing: number) =>
      `Обновлено: ${paths.map((p) => `\`${p}\``).join(', ')}. ${missing ? `Ещё нужно полей: ${missing}; см. карточку выше.` : 'Заявка заполнена: напишите `/generate`.'}`,
    notApplied: (lines: string[]) => ['Ничего не изменено для этого:', ...lines.map((l) => `- ${l}`)].join('\n'),
    needsModel: 'Свободный текст я понимаю, только когда настроена модель. Пишите поля строками `ключ: значение` или `/set ключ=значение`; `/help` — список команд.',
    specBlock: 'Спецификация сейчас (скопируйте, отредактируйте и вставьте обратно комментарием):',
    status: (complete: boolean, missing: string[]) =>
      complete ? 'Спецификация заполнена: `/generate` откроет merge request.' : `Спецификация ещё не заполнена. Нужно: ${missing.map((p) => `\`${p}\``).join(', ')}.`,
    mergeRequestState: (iid: number, state: string, url: string) =>
      `Merge request !${iid} ${({ opened: 'открыт', merged: 'влит', closed: 'закрыт без слияния', locked: 'заблокирован' } as Record<string, string>)[state] ?? state}: ${url}`,
    noRequest: 'В этой задаче пока нет заявки на пайплайн. Опишите её строками `ключ: значение` или блоком yaml; `/help` подскажет как.',
  },

  generate: {
    steps: { queued: 'в очереди', clone: 'клон', render: 'генерация', validate: 'проверка', commit: 'коммит', push: 'push', mr: 'merge request' },
    title: (dagId: string) => `Генерация \`${dagId}\``,
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
    merged: (iid: number, url: string) => `Merge request !${iid} влит: CI команды доставит DAG в Airflow. ${url}`,
    closed: (iid: number, url: string) => `Merge request !${iid} закрыт без слияния. Спецификация сохранена; \`/generate\` откроет новый merge request. ${url}`,
    previewTitle: (dagId: string, count: number) => `Предпросмотр \`${dagId}\`: файлов ${count} (ничего не отправлено)`,
    mrSummary: 'Спецификация',
    mrGraph: 'Задачи',
    mrFiles: 'Файлы',
    mrValidation: 'Проверка',
  },

  cancel: {
    done: (dropped: number, running: boolean) =>
      `${dropped ? `Снято из очереди запросов: ${dropped}.` : 'В очереди ничего не ждало.'}${running ? ' Тот, что выполняется сейчас, завершится.' : ''}`,
    generationCancelled: (user: string) => `Генерация отменена @${user} до начала. \`/generate\` запустит её снова.`,
  },

  init: {
    opened: (iid: number, url: string, files: string[]) => `Merge request !${iid} настраивает репозиторий для Dagwright${files.length ? `: ${files.map((f) => `\`${f}\``).join(', ')}` : ''}. ${url}`,
    include: (file: string) => `В репозитории свой \`.gitlab-ci.yml\`, его я не меняю: добавьте в него \`include: {local: ${file}}\`, чтобы запускать проверку DAG.`,
    nothing: 'Репозиторий уже настроен: есть конфиг, шаблон задачи, тест целостности DAG и его задача в CI.',
    emptyRepository: 'В репозитории ещё нет основной ветки: сделайте первый коммит и снова напишите `/init`.',
    title: 'Set up Dagwright',
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

  model: {
    read: 'Прочитано моделью из текста выше; в карточке видно каждое значение и откуда оно.',
    budget: (scope: 'job' | 'issue') =>
      `Бюджет токенов модели на ${scope === 'job' ? 'этот запрос' : 'эту задачу'} исчерпан, поэтому я остановился; сделанное сохранено. Поля можно задать через \`/set ключ=значение\`.`,
    unreadable: (problems: string[]) => `Не удалось прочитать это с помощью модели (${problems.join('; ')}). Пишите поля строками \`ключ: значение\` или \`/set ключ=значение\`.`,
    usage: (model: string, input: number, output: number) => `Модель \`${model}\`: ${input.toLocaleString('ru')} входных и ${output.toLocaleString('ru')} выходных токенов по этой задаче.`,
    notForRole: (required: string, actual: string) =>
      `Извините, текст в свободной форме модель читает только для роли не ниже ${required} в этом проекте; у вас ${actual}. Поля строками \`ключ: значение\` или \`/set ключ=значение\` доступны всем.`,
  },

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
    committed: (sha: string, diffStat: string) => `Сделано в ${sha.slice(0, 8)}.${diffStat ? `\n\n${fenced('', diffStat)}` : ''}`,
    unchanged: 'Спецификация изменилась, но файлы остались прежними: коммита нет.',
    failed: (iid: number) => `Новая генерация не попала в ветку; причина — в комментарии о статусе в #${iid}.`,
  },

  commands: {
    retry: 'повторить последнюю генерацию (после сбоя)',
    generate: 'сгенерировать, проверить, закоммитить и открыть или обновить merge request',
    preview: 'сгенерировать и проверить, показать файлы здесь; ничего не отправляется',
    spec: 'спецификация блоком yaml, который можно скопировать',
    set: 'задать поля: `set schedule="0 6 * * *" load.strategy=incremental`',
    unset: 'удалить поля: `unset load.watermark`',
    status: 'где сейчас заявка',
    cancel: 'снять работу, ждущую в очереди, для этой задачи или merge request',
    init: 'открыть merge request, который настраивает репозиторий: конфиг, шаблон задачи, CI-проверку DAG',
  },
};
