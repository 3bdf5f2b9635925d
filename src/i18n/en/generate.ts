// English: generate.

export const generateEn = {
  generate: {
    steps: { queued: 'queued', clone: 'clone', render: 'render', validate: 'validate', commit: 'commit', push: 'push', mr: 'merge request' } as Record<string, string>,
    title: (dagId: string) => `Generating \`${dagId}\``,
    titleDone: (dagId: string) => `Generated \`${dagId}\``,
    titleFailed: (dagId: string) => `Generating \`${dagId}\` stopped`,
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
    closed: (iid: number, url: string) => `Merge request !${iid} was closed without merging. The spec is kept; \`/generate\` opens a new merge request. ${url}`,
    previewTitle: (dagId: string, count: number) => `Preview of \`${dagId}\`: ${count} files (nothing was pushed)`,
    mrSummary: 'Spec',
    mrGraph: 'Tasks',
    mrFiles: 'Files',
    mrValidation: 'Validation',
  },
  retry: {
    rerunning: (reason: string | undefined) => `Running the job that failed again${reason ? ` (it stopped with: ${reason.split('\n')[0]!.slice(0, 200)})` : ''}.`,
    nothing: (inIssue: boolean) =>
      `Nothing failed here, so there is nothing to retry.${inIssue ? ' Comment `/generate` to generate the pipeline, or `/status` to see where it stands.' : ''}`,
  },
};
