// Russian: why a spec could not be rendered with its template pack.
import type { renderEn } from '../en/render.ts';

type P = Record<string, unknown>;

export const renderRu: typeof renderEn = {
  render: {
    noPack: (p: P) => `шаблонного пакета «${String(p.pack)}» нет`,
    packFailed: (p: P) => `пакет репозитория не удалось применить: ${String(p.why)}`,
    repositoryPacksOff: (p: P) => `«${String(p.pack)}» — собственный пакет репозитория, а этот сервер пакеты репозиториев не использует (оператор может включить их: REPO_PACKS=on)`,
    needsSystem: () => 'папка конвейера называется по системе-источнику (в layout конфигурации репозитория есть {system}): укажите source.system, например orders',
    noTemplate: (p: P) => `в пакете нет шаблона ${String(p.template)}`,
    unsupportedSource: (p: P) => `источники ${String(p.type)} этот пакет пока не поддерживает`,
    fileStrategy: () => 'файловые источники загружаются стратегией snapshot, append или overwrite',
    fileFormat: () => 'файловые источники читаются как csv, json, jsonl или parquet',
    fileColumns: () => 'чтобы загрузить файлы, нужны их колонки по порядку',
    needsSchedule: (p: P) => `загрузке ${String(p.strategy)} нужно расписание, из которого берётся окно данных; у «manual» его нет`,
    scd2Columns: () => 'scd2 сравнивает колонки каждой строки: перечислите их (или дайте боту прочитать источник)',
    externalLocation: () => 'внешним таблицам нужно расположение s3a://',
    externalFormat: () => 'должно быть orc или parquet',
    excludeNeedsColumns: () => 'чтобы исключить столбцы, нужен их список (source.columns, заданный или найденный при осмотре источника)',
    lookbackStrategy: () => 'lookback перечитывает строки до окна: нужна загрузка incremental с watermark (append добавил бы эти строки дважды)',
    stageColumns: (p: P) => `загрузка ${String(p.strategy)} идёт через промежуточную таблицу, которая создаётся по колонкам источника: перечислите их (или дайте боту прочитать источник)`,
  },
};
