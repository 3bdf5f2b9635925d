// The spec conversation's sentences in English: field errors, questions, the spec card.

import { fenced } from '../markdown.ts';

type P = Record<string, unknown>;
const list = (v: unknown) => String(v ?? '');

export const specEn = {
  /** Problems, by message key; the field is named by the caller. */
  problems: {
    '@type_string': () => 'must be text',
    '@type_number': () => 'must be a number',
    '@type_integer': () => 'must be a whole number',
    '@type_boolean': () => 'must be true or false',
    '@type_list': () => 'must be a list, e.g. [a, b]',
    '@type_object': () => 'must be a group of fields (a mapping)',
    '@one_of': (p: P) => `must be one of: ${list(p.allowed)}`,
    '@invalid': (p: P) => (p.allowed ? `must be one of: ${list(p.allowed)}` : 'has a value that is not allowed'),
    '@empty': () => 'must not be empty',
    '@too_long': (p: P) => (p.limit ? `is too long to read (more than ${list(p.limit)} characters); nothing in it was applied` : 'is too long'),
    '@list_empty': () => 'must list at least one item',
    '@min': () => 'is too small',
    '@max': () => 'is too large',
    '@dag_id': () => 'must start with a lowercase letter and hold only lowercase letters, digits and _ (3 to 100 characters); it becomes the file name',
    '@path_segment': () => 'may hold only lowercase letters, digits and _ (it becomes a folder name)',
    '@conn_id': () => 'must be an Airflow connection id: letters, digits, _ . - (never a URL)',
    '@source_table': () => 'must be a table name, schema.table or table',
    '@target_table': () => 'must be schema.table',
    '@column': () => 'must be a column name (letters, digits, _)',
    '@select': () => 'must be a SELECT (or WITH … SELECT) query',
    '@bucket': () => 'must be an S3 bucket name',
    '@endpoint': () => 'must be a path under the connection\'s base URL, starting with /',
    '@records_path': () => 'must be a dotted path such as data.items',
    '@topic': () => 'must be a Kafka topic name',
    '@format': () => 'must be a format name such as parquet',
    '@location': () => 'must be a URL such as s3a://bucket/path',
    '@tag': () => 'must be a short tag (letters, digits, _ . -)',
    '@pack': () => 'must be a template pack name such as airflow-sql',
    '@version': () => 'must be 1 (the only version)',
    '@airflow_version': () => 'must be 2 or 3',
    '@schedule': () => 'must be a 5-field cron, a preset (@hourly @daily @weekly @monthly @yearly) or "manual"',
    '@cron_fields': (p: P) => `must be a 5-field cron (minute hour day-of-month month day-of-week); this one has ${list(p.count)} fields`,
    '@cron_invalid': (p: P) => `is not a valid cron: ${list(p.problem)}`,
    '@timezone': () => 'must be an IANA time zone such as UTC or Europe/Berlin',
    '@date': () => 'must be a date written YYYY-MM-DD',
    '@duration': () => 'must be a duration such as 30s, 5m, 2h or 1d',
    '@check_unknown': () => 'has an unknown check: use row_count, not_null, unique, accepted_values, freshness or sql',
    '@check_name': () => 'must be a check name (lowercase letters, digits, _)',
    '@notify': () => 'must list email:ADDRESS or conn:CONN_ID',
    '@table_and_query': () => 'cannot be given together with source.table: give exactly one of them',
    '@file_strategy': () => 'must be snapshot, append or overwrite for file sources',
    '@row_count_bounds': () => 'has a row_count check without min or max',
    '@url_with_password': (p: P) => `holds a URL with a password (${list(p.masked)}): create an Airflow connection and give its conn_id instead`,
    '@secret_in_spec': (p: P) => `holds a credential (${list(p.masked)}): create an Airflow connection instead`,
    '@unknown_field': (p: P) => (p.suggestion ? `is not a spec field; did you mean \`${list(p.suggestion)}\`?` : 'is not a spec field'),
    '@not_a_mapping': () => 'the yaml block must hold fields such as `dag_id: …`',
    '@yaml': (p: P) => `a yaml block does not parse${p.line ? ` (line ${list(p.line)})` : ''}: ${list(p.problem)}`,
    '@ddl': () => 'the table DDL could not be read: write CREATE TABLE name (column type, …)',
    '@unknown_row': (p: P) => `the table row \`${list(p.row)}\` is not one I know`,
    '@missing': () => 'is needed',
    '@set_syntax': (p: P) => `\`${list(p.arg)}\` is not KEY=VALUE`,
  } as Record<string, (p: P) => string>,

  notes: {
    '@alias': (p: P) => `\`${list(p.from)}\` was read as \`${list(p.to)}\``,
    '@transform_prose': () => 'the transformations were written in words; give `transform.sql` as a SELECT over `source` to apply them',
    '@quality_prose': () => 'the data quality rules were written in words; give `quality` as a list of checks',
    '@uri_unknown_type': () => 'a connection URL was given whose kind of database I do not know; set `source.type`',
  } as Record<string, (p: P) => string>,

  /** Short questions for what is missing. */
  questions: {
    dag_id: 'What should the DAG be called? (`dag_id`: lowercase letters, digits and _)',
    description: 'What does the pipeline do, in a sentence? (`description`)',
    schedule: 'When should it run? (`schedule`: a cron such as `0 6 * * *`, `@daily`, or `manual`)',
    'source.type': 'What kind of source is it? (`source.type`: postgres, mysql, s3, http …)',
    'source.conn_id': 'Which Airflow connection reaches the source? (`source.conn_id`)',
    'source.table': 'Which table should be loaded? (`source.table`, or a SELECT in `source.query`)',
    'source.bucket': 'Which S3 bucket holds the files? (`source.bucket`)',
    'source.path': 'Which files: key, prefix or glob? (`source.path`)',
    'source.format': 'What format are the files in? (`source.format`: csv, json, jsonl, parquet …)',
    'source.endpoint': 'Which endpoint returns the records? (`source.endpoint`)',
    'source.topic': 'Which Kafka topic? (`source.topic`)',
    'target.conn_id': 'Which Airflow connection reaches the target? (`target.conn_id`)',
    'target.table': 'Which table should receive the data? (`target.table`: schema.table)',
    'load.strategy': 'How should it load? (`load.strategy`: overwrite, append, incremental, snapshot or scd2)',
    'load.watermark': 'Which column tells new rows from old ones? (`load.watermark`, needed for incremental)',
    'load.keys': 'Which columns identify a row? (`load.keys`, needed for scd2)',
  } as Record<string, string>,

  provenance: {
    issue: 'issue',
    comment: (user: string) => `@${user}'s comment`,
    command: (user: string) => `/set by @${user}`,
    'repo-config': 'repo config',
    dagwright: 'default',
    derived: 'derived',
    secret: 'proposed from the connection URL',
    introspected: 'introspected',
    modelIssue: 'the issue, read by the model',
    modelComment: (user: string) => `@${user}'s comment, read by the model`,
  },

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
    howToAnswer: 'Answer in a comment with `key: value` lines (`schedule: 0 6 * * *`), a yaml block, or `/set key=value`.',
    secretWarning: (masked: string, connId: string | undefined) =>
      `A credential was written in this issue (\`${masked}\`). Rotate it. Dagwright never stores it: create an Airflow connection${connId ? ` \`${connId}\`` : ''} and refer to it by its id.`,
    tokenWarning: (masked: string) => `A token was written in this issue (\`${masked}\`). Revoke it: anyone who can read the issue has seen it.`,
    proseNotice: (user: string) =>
      `@${user}'s last comment had nothing I can read without a model. I read yaml blocks, \`key: value\` lines, the parameter table and commands (\`/help\`).`,
    columnsSummary: (n: number) => `${n} column${n === 1 ? '' : 's'}`,
    checksSummary: (n: number) => `${n} check${n === 1 ? '' : 's'}`,
    item: (path: string, text: string) => `\`${path}\`: ${text}`,
  },

  replies: {
    updated: (paths: string[], missing: number) =>
      `Updated ${paths.map((p) => `\`${p}\``).join(', ')}. ${missing ? `Still needed: ${missing}; see the card above.` : 'The request is complete: comment `/generate`.'}`,
    notApplied: (lines: string[]) => ['Nothing was changed for these:', ...lines.map((l) => `- ${l}`)].join('\n'),
    needsModel: 'I understand prose only when a model is configured. Write fields as `key: value` lines or `/set key=value`; `/help` lists the commands.',
    specBlock: 'The spec as it stands (copy it, edit it, paste it back in a comment):',
    status: (complete: boolean, missing: string[]) =>
      complete ? 'The spec is complete: `/generate` will open the merge request.' : `The spec is not complete yet. Still needed: ${missing.map((p) => `\`${p}\``).join(', ')}.`,
    mergeRequestState: (iid: number, state: string, url: string) =>
      `Merge request !${iid} is ${({ opened: 'open', merged: 'merged', closed: 'closed without merging', locked: 'locked' } as Record<string, string>)[state] ?? state}: ${url}`,
    noRequest: 'There is no pipeline request in this issue yet. Describe it with `key: value` lines or a yaml block; `/help` shows how.',
  },

  generate: {
    steps: { queued: 'queued', clone: 'clone', render: 'render', validate: 'validate', commit: 'commit', push: 'push', mr: 'merge request' } as Record<string, string>,
    title: (dagId: string) => `Generating \`${dagId}\``,
    position: (n: number) => (n === 1 ? 'position 1: next' : `position ${n}`),
    failedAt: (step: string, reason: string) => `Stopped at **${step}**: ${reason}`,
    retryHint: 'Comment `/retry` (or `/generate`) to run it again.',
    incomplete: (missing: string[]) => `The spec is not complete, so nothing was generated. Still needed: ${missing.map((p) => `\`${p}\``).join(', ')} (see the card).`,
    invalid: 'The generated files did not pass validation, so nothing was pushed:',
    noChanges: 'No changes: the branch already holds this render.',
    opened: (iid: number, url: string) => `Merge request !${iid} is open: ${url}`,
    updated: (iid: number, url: string, sha: string) => `Merge request !${iid} is updated with ${sha.slice(0, 8)}: ${url}`,
    conflict: (files: Array<{ path: string; lines: number[] }>) =>
      ['Your edits on the branch and the new render touch the same lines, so the branch was left as it is:', ...files.map((f) => `- \`${f.path}\` line${f.lines.length > 1 ? 's' : ''} ${f.lines.join(', ')}`)].join('\n'),
    merged: (iid: number, url: string) => `Merge request !${iid} is merged: the team's CI ships the DAG to Airflow. ${url}`,
    closed: (iid: number, url: string) => `Merge request !${iid} was closed without merging. The spec is kept; \`/generate\` opens a new merge request. ${url}`,
    previewTitle: (dagId: string, count: number) => `Preview of \`${dagId}\`: ${count} files (nothing was pushed)`,
    mrSummary: 'Spec',
    mrGraph: 'Tasks',
    mrFiles: 'Files',
    mrValidation: 'Validation',
  },

  cancel: {
    done: (dropped: number, running: boolean) =>
      `${dropped ? `Dropped ${dropped} request${dropped > 1 ? 's' : ''} that waited in the queue.` : 'Nothing was waiting in the queue.'}${running ? ' The one running now finishes.' : ''}`,
    generationCancelled: (user: string) => `Generation cancelled by @${user} before it started. \`/generate\` starts it again.`,
  },

  init: {
    opened: (iid: number, url: string, files: string[]) => `Merge request !${iid} sets this repository up for Dagwright${files.length ? `: ${files.map((f) => `\`${f}\``).join(', ')}` : ''}. ${url}`,
    include: (file: string) => `The repository has its own \`.gitlab-ci.yml\`, which I do not edit: add \`include: {local: ${file}}\` to it to run the DAG-integrity job.`,
    nothing: 'This repository is set up already: it has the config, the issue template, the DAG-integrity test and its CI job.',
    emptyRepository: 'The repository has no default branch yet: push a first commit, then comment `/init` again.',
    title: 'Set up Dagwright',
  },

  source: {
    title: (connId: string, table: string) => `Source \`${connId}\` \`${table}\``,
    rows: (n: number) => `about ${n.toLocaleString('en')} rows`,
    primaryKey: (columns: string[]) => `primary key: ${columns.map((c) => `\`${c}\``).join(', ')}`,
    noPrimaryKey: 'no primary key',
    watermarks: (items: string[]) => `watermark candidates (indexed): ${items.join(', ')}`,
    noWatermark: 'no indexed timestamp or serial column: an incremental load would scan the table',
    unreachable: (reason: string) => `could not be inspected: ${reason}`,
    notGiven: (reason: string) => `not inspected: ${reason} (the bot inspects only the sources it is given, read-only)`,
  },

  model: {
    read: 'Read by the model from the text above; the card shows each value and where it came from.',
    budget: (scope: 'job' | 'issue') =>
      `The model's token budget for this ${scope === 'job' ? 'request' : 'issue'} is spent, so I stopped here; what was done is kept. Fields can still be set with \`/set key=value\`.`,
    unreadable: (problems: string[]) => `I could not read this with the model (${problems.join('; ')}). Write fields as \`key: value\` lines or \`/set key=value\`.`,
    usage: (model: string, input: number, output: number) => `Model \`${model}\`: ${input.toLocaleString('en')} input and ${output.toLocaleString('en')} output tokens for this issue.`,
    notForRole: (required: string, actual: string) =>
      `Sorry, comments in prose are read by the model only for the ${required} role on this project or above; you have ${actual}. Fields written as \`key: value\` lines or \`/set key=value\` work for everyone.`,
  },

  review: {
    revised: (sha: string, explanation: string, diff: string) => `${explanation}\n\nDone in ${sha.slice(0, 8)}:\n\n${fenced('diff', diff)}`,
    declined: (explanation: string) => `Not done: ${explanation}`,
    outside: (paths: string[]) => `Not done: only this pipeline's own files can be changed here, not ${paths.map((p) => `\`${p}\``).join(', ')}.`,
    stillInvalid: (report: string) => `Not done: the edited files still did not pass validation, so nothing was committed.\n\n${report}`,
    mayNotRevise: (required: string, actual: string) => `Sorry, changes to this merge request's files need at least the ${required} role on this project; you have ${actual}.`,
    noGeneration: (iid: number) => `I have no generation of this pipeline to revise yet: run \`/generate\` in #${iid} first.`,
    notOurs: 'This merge request was not opened by Dagwright, so its spec is not mine to change.',
    suggestSet: (command: string) => `To apply this, comment \`${command}\`: the spec changes and the branch is generated again.`,
    needsModel: 'Without a model I cannot act on a comment written in words. Change the spec with `/set key=value` (the card in the issue lists the fields).',
    committed: (sha: string, diffStat: string) => `Done in ${sha.slice(0, 8)}.${diffStat ? `\n\n${fenced('', diffStat)}` : ''}`,
    unchanged: 'The spec changed, but the files it renders did not: no commit.',
    failed: (iid: number) => `The new render did not make it onto the branch; the status comment in #${iid} says why.`,
  },

  commands: {
    retry: 'run the last generation again (after a failure)',
    generate: 'render, validate, commit and open or update the merge request',
    preview: 'render and validate, and show the files here; nothing is pushed',
    spec: 'the spec as a yaml block you can copy',
    set: 'set spec fields: `set schedule="0 6 * * *" load.strategy=incremental`',
    unset: 'remove spec fields: `unset load.watermark`',
    status: 'where the request stands',
    cancel: 'drop the work still waiting in the queue for this issue or merge request',
    init: 'open a merge request that sets the repository up: the config, an issue template, a DAG-integrity CI job',
  },
};

export type SpecMessages = typeof specEn;
