// Russian: commands.
import type { summariesEn } from '../en/summaries.ts';

export const summariesRu: typeof summariesEn = {
  commands: {
    retry: 'повторить то, что не удалось последним (задачу или генерацию); если ничего не сорвалось, так и скажет',
    generate: 'сгенерировать, проверить, закоммитить и открыть или обновить merge request',
    preview: 'сгенерировать и проверить, показать файлы здесь; ничего не отправляется',
    spec: 'спецификация блоком yaml, который можно скопировать',
    set: 'задать поля: `/set schedule="0 6 * * *" load.strategy=incremental` (значение с пробелами — в кавычках)',
    unset: 'удалить поля (поле со значением по умолчанию вернётся к нему): `/unset load.watermark`',
    status: 'где сейчас заявка',
    cancel: 'снять работу, ждущую в очереди, для этой задачи или merge request',
    init: 'открыть merge request, который настраивает репозиторий: конфиг, шаблон задачи, CI-проверку DAG',
  },
};
