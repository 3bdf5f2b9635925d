// English: review, model.
import { fenced } from '../../markdown.ts';

export const reviewEn = {
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
    committed: (sha: string, diffStat: string, changed: string[], by: string | undefined) =>
      `Done in ${sha.slice(0, 8)}${changed.length ? `: ${changed.map((f) => `\`${f}\``).join(', ')} changed` : ''}${by ? `, as @${by} asked` : ''}.${diffStat ? `\n\n${fenced('', diffStat)}` : ''}`,
    unchanged: 'The spec changed, but the files it renders did not: no commit.',
    failed: (iid: number) => `The new render did not make it onto the branch; the status comment in #${iid} says why.`,
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
};
