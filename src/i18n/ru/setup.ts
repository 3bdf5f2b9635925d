// Russian: init, cancel.
import type { setupEn } from '../en/setup.ts';

export const setupRu: typeof setupEn = {
  init: {
    opened: (iid: number, url: string, files: string[]) => `Merge request !${iid} настраивает репозиторий для Dagwright${files.length ? `: ${files.map((f) => `\`${f}\``).join(', ')}` : ''}. ${url}`,
    include: (file: string) => `В репозитории свой \`.gitlab-ci.yml\`, его я не меняю: добавьте в него \`include: {local: ${file}}\`, чтобы запускать проверку DAG.`,
    nothing: 'Репозиторий уже настроен: есть конфиг, шаблон задачи, тест целостности DAG и его задача в CI.',
    emptyRepository: 'В репозитории ещё нет основной ветки: сделайте первый коммит и снова напишите `/init`.',
    title: 'Set up Dagwright',
    requestedIn: (iid: number) => `Запрошено в #${iid}.`,
  },
  cancel: {
    done: (dropped: number, running: boolean) =>
      `${dropped ? `Снято из очереди запросов: ${dropped}.` : 'В очереди ничего не ждало.'}${running ? ' Тот, что выполняется сейчас, завершится.' : ''}`,
    generationCancelled: (user: string) => `Генерация отменена @${user} до начала. \`/generate\` запустит её снова.`,
  },
};
