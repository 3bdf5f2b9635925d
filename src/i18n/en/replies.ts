// English: replies.

export const repliesEn = {
  replies: {
    updated: (paths: string[], missing: number) =>
      `Updated ${paths.map((p) => `\`${p}\``).join(', ')}. ${missing ? `Still needed: ${missing}; see the card above.` : 'The request is complete: comment `/generate`.'}`,
    cleared: (path: string, fallback: string | undefined) => `Cleared \`${path}\`${fallback === undefined ? '.' : `: it is back to its default, \`${fallback}\`.`}`,
    wasNotSet: (path: string, fallback: string | undefined) => `\`${path}\` was not set${fallback === undefined ? ', so nothing changed.' : `: it keeps its default, \`${fallback}\`.`}`,
    notApplied: (lines: string[]) => ['Nothing was changed for these:', ...lines.map((l) => `- ${l}`)].join('\n'),
    needsModel: 'I understand prose only when a model is configured. Write fields as `key: value` lines or `/set key=value`; `/help` lists the commands.',
    specBlock: 'The spec as it stands (copy it, edit it, paste it back in a comment):',
    status: (complete: boolean, missing: string[]) =>
      complete ? 'The spec is complete: `/generate` will open the merge request.' : `The spec is not complete yet. Still needed: ${missing.map((p) => `\`${p}\``).join(', ')}.`,
    statusWithMergeRequest: (complete: boolean, missing: string[], mergeRequest: 'current' | 'behind' | 'closed') =>
      !complete
        ? `The spec is not complete any more. Still needed: ${missing.map((p) => `\`${p}\``).join(', ')}.`
        : mergeRequest === 'current'
          ? 'The spec is complete, and the merge request holds it.'
          : mergeRequest === 'behind'
            ? 'The spec is complete and has changed since the merge request was generated: `/generate` updates it.'
            : 'The spec is complete: `/generate` opens a new merge request.',
    mergeRequestState: (iid: number, state: string, url: string) =>
      `Merge request !${iid} is ${({ opened: 'open', merged: 'merged', closed: 'closed without merging', locked: 'locked' } as Record<string, string>)[state] ?? state}: ${url}`,
    noRequest: 'There is no pipeline request in this issue yet. Describe it with `key: value` lines or a yaml block; `/help` shows how.',
  },
};
