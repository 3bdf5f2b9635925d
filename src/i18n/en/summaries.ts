// English: commands.

export const summariesEn = {
  commands: {
    retry: 'run again what failed last here (a job, or a generation); says so when nothing failed',
    generate: 'render, validate, commit and open or update the merge request',
    preview: 'render and validate, and show the files here; nothing is pushed',
    spec: 'the spec as a yaml block you can copy',
    set: 'set spec fields: `/set schedule="0 6 * * *" load.strategy=incremental` (quote a value with spaces)',
    unset: 'remove spec fields (a field with a default goes back to it): `/unset load.watermark`',
    status: 'where the request stands',
    cancel: 'drop the work still waiting in the queue for this issue or merge request',
    init: 'open a merge request that sets the repository up: the config, an issue template, a DAG-integrity CI job',
  },
};
