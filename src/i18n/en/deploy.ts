// English: after the merge, what Airflow says of the DAG (the status comment, its reply, /status).

export type LastSeen = { reason: 'not_seen' | 'old_version' | 'not_active' } | { reason: 'airflow_error'; message: string };

/** An API time (ISO 8601, UTC) as people read it. */
export const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/(\.\d+)?(Z|\+00:00)$/, ' UTC') : '—');
const minutes = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export const deployEn = {
  deploy: {
    waiting: (iid: number, url: string, dagId: string, waitMs: number) =>
      `Merge request !${iid} is merged. ⏳ Waiting for Airflow to load \`${dagId}\` (up to ${minutes(waitMs)}). ${url}`,
    notConfigured: (iid: number, url: string) =>
      `Merge request !${iid} is merged: the team's CI ships the DAG to Airflow. Whether Airflow loaded it is not checked: the bot has no AIRFLOW_URL. ${url}`,
    liveTitle: (dagId: string) => `✅ \`${dagId}\` is live in Airflow`,
    live: (o: { paused: boolean; nextRun: string | null; link: string; mr: string }) =>
      [
        `- ${o.paused ? 'paused: it runs once someone unpauses it in Airflow' : 'not paused: it runs on its schedule'}`,
        `- next run: ${o.nextRun ? when(o.nextRun) : 'none scheduled'}`,
        `- [open it in Airflow](${o.link}) · merged in ${o.mr}`,
      ].join('\n'),
    importErrorTitle: (dagId: string) => `❌ Airflow could not import \`${dagId}\``,
    importError: (file: string, at: string, trace: string, mr: string) =>
      `Airflow's import error for \`${file}\` (${when(at)}), after ${mr}:\n\n\`\`\`text\n${trace}\n\`\`\`\n\nFix the file in a new merge request; the DAG is not running meanwhile.`,
    notSeenTitle: (dagId: string, waitMs: number) => `⏳ \`${dagId}\` was not seen in Airflow within ${minutes(waitMs)}`,
    notSeen: (checks: number, lastSeen: string, mr: string) =>
      `Looked ${checks} ${checks === 1 ? 'time' : 'times'} after ${mr}; the last look found: ${lastSeen}. Did the merge pipeline deploy the DAGs folder to Airflow? \`/status\` shows what Airflow says now.`,
    pipelineFailedTitle: (dagId: string) => `❌ The pipeline of the merge failed: \`${dagId}\` is probably not deployed`,
    pipelineFailed: (pipeline: string, mr: string) => `The pipeline that ships ${mr} to Airflow failed: ${pipeline}`,
    refusedTitle: 'The Airflow check could not read Airflow',
    refused: (reason: string) => `${reason}. An operator of the bot needs to fix its Airflow settings; the DAG itself may be fine.`,
    reply: {
      live: (dagId: string) => `✅ \`${dagId}\` is live in Airflow (details in the status comment above).`,
      import_error: (dagId: string) => `❌ Airflow could not import \`${dagId}\`: the error is in the status comment above.`,
      not_seen: (dagId: string) => `⏳ \`${dagId}\` was not seen in Airflow in time: see the status comment above.`,
      pipeline_failed: (dagId: string) => `❌ The merge pipeline failed, so \`${dagId}\` is probably not in Airflow: see the status comment above.`,
      airflow_refused: (dagId: string) => `The bot could not check \`${dagId}\` in Airflow: see the status comment above.`,
    },
    lastSeen: (seen: LastSeen) =>
      'message' in seen ? seen.message : { not_seen: 'Airflow does not know the DAG yet', old_version: 'Airflow still has the version from before the merge', not_active: 'Airflow marks the DAG as stale (it found no file for it)' }[seen.reason],
    /** /status: Airflow's view of the DAG. */
    statusTitle: 'In Airflow',
    statusNotConfigured: 'Airflow: not checked (the bot has no AIRFLOW_URL).',
    statusUnknown: (dagId: string) => `- \`${dagId}\` is not in Airflow (not deployed yet, or not parsed)`,
    statusDag: (o: { dagId: string; paused: boolean; parsed: string | null; importErrors: boolean; nextRun: string | null; link: string }) =>
      [
        `- [\`${o.dagId}\`](${o.link}): ${o.paused ? 'paused' : 'not paused'}, last parsed ${when(o.parsed)}${o.importErrors ? ', **with import errors**' : ''}`,
        `- next run: ${o.nextRun ? when(o.nextRun) : 'none scheduled'}`,
      ].join('\n'),
    statusRuns: (runs: Array<{ state: string; at: string | null; seconds: number | null }>) =>
      runs.length ? `- last runs: ${runs.map((r) => `${r.state} (${when(r.at)}${r.seconds !== null ? `, ${r.seconds} s` : ''})`).join('; ')}` : '- no runs yet',
    statusError: (reason: string) => `- Airflow could not be read: ${reason}`,
  },
};
