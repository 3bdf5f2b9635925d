// Russian: after the merge, what Airflow says of the DAG (the status comment, its reply, /status).
import { when, type deployEn, type LastSeen } from '../en/deploy.ts';

const minutes = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} с` : `${Math.round(ms / 60_000)} мин`);

export const deployRu: typeof deployEn = {
  deploy: {
    waiting: (iid: number, url: string, dagId: string, waitMs: number) =>
      `Merge request !${iid} влит. ⏳ Жду, пока Airflow загрузит \`${dagId}\` (до ${minutes(waitMs)}). ${url}`,
    notConfigured: (iid: number, url: string) =>
      `Merge request !${iid} влит: CI команды доставит DAG в Airflow. Загрузил ли его Airflow, не проверяется: у бота нет AIRFLOW_URL. ${url}`,
    liveTitle: (dagId: string) => `✅ \`${dagId}\` работает в Airflow`,
    live: (o: { paused: boolean; nextRun: string | null; link: string; mr: string }) =>
      [
        `- ${o.paused ? 'на паузе: запустится, когда его снимут с паузы в Airflow' : 'не на паузе: работает по расписанию'}`,
        `- следующий запуск: ${o.nextRun ? when(o.nextRun) : 'не запланирован'}`,
        `- [открыть в Airflow](${o.link}) · влит в ${o.mr}`,
      ].join('\n'),
    importErrorTitle: (dagId: string) => `❌ Airflow не смог импортировать \`${dagId}\``,
    importError: (file: string, at: string, trace: string, mr: string) =>
      `Ошибка импорта Airflow для \`${file}\` (${when(at)}) после ${mr}:\n\n\`\`\`text\n${trace}\n\`\`\`\n\nИсправьте файл в новом merge request; пока DAG не работает.`,
    notSeenTitle: (dagId: string, waitMs: number) => `⏳ \`${dagId}\` не появился в Airflow за ${minutes(waitMs)}`,
    notSeen: (checks: number, lastSeen: string, mr: string) =>
      `Проверок после ${mr}: ${checks}; последняя показала: ${lastSeen}. Доставил ли pipeline слияния папку DAG в Airflow? \`/status\` покажет, что Airflow говорит сейчас.`,
    pipelineFailedTitle: (dagId: string) => `❌ Pipeline слияния упал: \`${dagId}\`, вероятно, не доставлен`,
    pipelineFailed: (pipeline: string, mr: string) => `Pipeline, который доставляет ${mr} в Airflow, упал: ${pipeline}`,
    refusedTitle: 'Проверка не смогла прочитать Airflow',
    refused: (reason: string) => `${reason}. Оператору бота нужно исправить настройки Airflow; сам DAG может быть в порядке.`,
    reply: {
      live: (dagId: string) => `✅ \`${dagId}\` работает в Airflow (подробности в комментарии статуса выше).`,
      import_error: (dagId: string) => `❌ Airflow не смог импортировать \`${dagId}\`: ошибка в комментарии статуса выше.`,
      not_seen: (dagId: string) => `⏳ \`${dagId}\` не появился в Airflow вовремя: см. комментарий статуса выше.`,
      pipeline_failed: (dagId: string) => `❌ Pipeline слияния упал, поэтому \`${dagId}\`, вероятно, нет в Airflow: см. комментарий статуса выше.`,
      airflow_refused: (dagId: string) => `Бот не смог проверить \`${dagId}\` в Airflow: см. комментарий статуса выше.`,
    },
    lastSeen: (seen: LastSeen) =>
      'message' in seen ? seen.message : { not_seen: 'Airflow ещё не знает этот DAG', old_version: 'в Airflow всё ещё версия до слияния', not_active: 'Airflow считает DAG устаревшим (не нашёл его файла)' }[seen.reason],
    /** /status: Airflow's view of the DAG. */
    statusTitle: 'В Airflow',
    statusNotConfigured: 'Airflow: не проверяется (у бота нет AIRFLOW_URL).',
    statusUnknown: (dagId: string) => `- \`${dagId}\` нет в Airflow (ещё не доставлен или не разобран)`,
    statusDag: (o: { dagId: string; paused: boolean; parsed: string | null; importErrors: boolean; nextRun: string | null; link: string }) =>
      [
        `- [\`${o.dagId}\`](${o.link}): ${o.paused ? 'на паузе' : 'не на паузе'}, разобран ${when(o.parsed)}${o.importErrors ? ', **есть ошибки импорта**' : ''}`,
        `- следующий запуск: ${o.nextRun ? when(o.nextRun) : 'не запланирован'}`,
      ].join('\n'),
    statusRuns: (runs: Array<{ state: string; at: string | null; seconds: number | null }>) =>
      runs.length ? `- последние запуски: ${runs.map((r) => `${r.state} (${when(r.at)}${r.seconds !== null ? `, ${r.seconds} с` : ''})`).join('; ')}` : '- запусков ещё не было',
    statusError: (reason: string) => `- Airflow прочитать не удалось: ${reason}`,
  },
};
