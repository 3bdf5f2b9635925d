// English: init, cancel.

export const setupEn = {
  init: {
    opened: (iid: number, url: string, files: string[]) => `Merge request !${iid} sets this repository up for Dagwright${files.length ? `: ${files.map((f) => `\`${f}\``).join(', ')}` : ''}. ${url}`,
    include: (file: string) => `The repository has its own \`.gitlab-ci.yml\`, which I do not edit: add \`include: {local: ${file}}\` to it to run the DAG-integrity job.`,
    nothing: 'This repository is set up already: it has the config, the issue template, the DAG-integrity test and its CI job.',
    emptyRepository: 'The repository has no default branch yet: push a first commit, then comment `/init` again.',
    title: 'Set up Dagwright',
    requestedIn: (iid: number) => `Requested in #${iid}.`,
  },
  cancel: {
    done: (dropped: number, running: boolean) =>
      `${dropped ? `Dropped ${dropped} request${dropped > 1 ? 's' : ''} that waited in the queue.` : 'Nothing was waiting in the queue.'}${running ? ' The one running now finishes.' : ''}`,
    generationCancelled: (user: string) => `Generation cancelled by @${user} before it started. \`/generate\` starts it again.`,
  },
};
