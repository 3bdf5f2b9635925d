// English: card, source.

export const cardEn = {
  card: {
    title: (dagId: string | undefined) => (dagId ? `Pipeline request \`${dagId}\`` : 'Pipeline request'),
    columns: ['field', 'value', 'from'] as [string, string, string],
    startDateLater: 'the day of the first `/generate`',
    missingTitle: 'Still needed',
    errorsTitle: 'Not applied',
    warningsTitle: 'Warnings',
    notesTitle: 'Notes',
    filesTitle: 'What `/generate` will write',
    ready: 'Everything needed is here. Comment `/generate` to open a merge request (Developer role or more).',
    generated: (iid: number, url: string) => `Merge request [!${iid}](${url}) holds this spec. After a change here, comment \`/generate\` to update it.`,
    behind: (iid: number, url: string) => `The spec has changed since merge request [!${iid}](${url}) was generated: comment \`/generate\` to update it.`,
    howToAnswer: 'Answer in a comment with `key: value` lines (`schedule: 0 6 * * *`), a yaml block, or `/set key=value`.',
    secretWarning: (masked: string, connId: string | undefined, command?: string) =>
      `A credential was written in this issue (\`${masked}\`). Rotate it. Dagwright never stores it: create an Airflow connection${connId ? ` \`${connId}\`` : ''} and refer to it by its id${command ? ` (\`${command}\`, with the new password for \`<password>\`)` : ''}.`,
    tokenWarning: (masked: string) => `A token was written in this issue (\`${masked}\`). Revoke it: anyone who can read the issue has seen it.`,
    sensitiveWarning: (columns: string[], target: string | undefined) => {
      const names = columns.map((c) => `\`${c}\``).join(', ');
      const list = `[${columns.join(',')}]`;
      return `${columns.length === 1 ? 'Column' : 'Columns'} ${names} look${columns.length === 1 ? 's' : ''} like personal data or secrets and will be copied to ${target ? `\`${target}\`` : 'the target'}. Leave ${columns.length === 1 ? 'it' : 'them'} out with \`/set source.exclude_columns=${list}\`, or keep ${columns.length === 1 ? 'it' : 'them'} on purpose with \`/set source.keep_sensitive=${list}\`.`;
    },
    filesNotice: (kind: 'key' | 'prefix' | 'glob', path: string, ifEmpty: 'fail' | 'skip') =>
      `Each run reads ${{ key: 'one file, the key', prefix: 'every file under the prefix', glob: 'every file matching the glob' }[kind]} \`${path}\` (with the run's dates), one task per file; a run that finds none ${ifEmpty === 'skip' ? 'is skipped' : 'fails'} (\`source.if_empty\`).`,
    columnsAtRunTime: (table: string | undefined) =>
      `No \`source.columns\`: the Spark job takes the columns from the source when it runs and creates ${table ? `\`${table}\`` : 'the table'} on its first run with Spark's types. List them (or let the bot inspect the source) to fix them in the DDL.`,
    proseNotice: (user: string) =>
      `@${user}'s last comment had nothing I can read without a model. I read yaml blocks, \`key: value\` lines, the parameter table and commands (\`/help\`).`,
    columnsSummary: (n: number) => `${n} column${n === 1 ? '' : 's'}`,
    checksSummary: (n: number) => `${n} check${n === 1 ? '' : 's'}`,
    nth: (n: number) => `item ${n}`,
  },
  source: {
    title: (connId: string, table: string) => `Source \`${connId}\` \`${table}\``,
    rows: (n: number) => `about ${n.toLocaleString('en')} ${n === 1 ? 'row' : 'rows'}`,
    primaryKey: (columns: string[]) => `primary key: ${columns.map((c) => `\`${c}\``).join(', ')}`,
    noPrimaryKey: 'no primary key',
    watermarks: (items: string[]) => `watermark candidates (indexed): ${items.join(', ')}`,
    noWatermark: 'no indexed timestamp or serial column: an incremental load would scan the table',
    unreachable: (reason: string) => `could not be inspected: ${reason}`,
    notGiven: (reason: string) => `not inspected: ${reason} (the bot inspects only the sources it is given, read-only)`,
  },
};
