// The description of a pipeline's merge request: what it loads, its graph, its files and their validation.
import { inertText } from '../gitlab/comments.ts';
import type { Messages } from '../i18n/index.ts';
import type { RenderResult } from '../render/render.ts';

/** Closes the issue when merged (`Closes #iid`), and tells the model's tokens when a model took part. */
export function mergeRequestDescription(m: Messages, result: RenderResult, report: string, issueIid: number, modelUsage?: string): string {
  const s = result.plan.spec;
  const g = m.generate;
  return [
    `#### ${g.mrSummary}`,
    '',
    inertText(s.description),
    '',
    `| | |`,
    '|---|---|',
    `| dag_id | \`${s.dag_id}\` |`,
    `| schedule | \`${s.schedule}\` (${s.timezone}) |`,
    `| source | \`${s.source.conn_id}\` ${s.source.table ? `\`${s.source.table}\`` : s.source.type} |`,
    `| target | \`${s.target.conn_id}\` \`${s.target.table}\` |`,
    `| load | ${s.load.strategy} |`,
    `| pack | ${result.plan.pack}, Airflow ${result.plan.airflow} |`,
    '',
    `#### ${g.mrGraph}`,
    '',
    '```mermaid',
    result.graph,
    '```',
    '',
    `#### ${g.mrFiles}`,
    '',
    ...result.files.map((f) => `- \`${f.path}\``),
    '',
    `#### ${g.mrValidation}`,
    '',
    report,
    '',
    ...(modelUsage ? [modelUsage, ''] : []),
    `Closes #${issueIid}`,
  ].join('\n');
}
