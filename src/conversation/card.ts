// The spec card: one comment, edited in place, showing the spec so far, what is missing, what was not
// applied and why, warnings, and what /generate will write.
import type { Messages } from '../i18n/index.ts';
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import { pipelineFolder } from '../pipeline-spec/layout.ts';
import { describeProblem } from '../pipeline-spec/describe-problem.ts';
import { unacknowledgedSensitiveColumns } from '../pipeline-spec/sensitive-columns.ts';
import { fileSetOf } from '../render/plan.ts';

import type { SpecEvaluation } from '../pipeline-spec/evaluate.ts';
import type { Field, Problem, Provenance } from '../pipeline-spec/patch.ts';
import type { SourceFacts } from '../pipeline-spec/source-facts.ts';
import type { SecretFinding } from '../pipeline-spec/secrets.ts';

export type CardInput = {
  evaluation: SpecEvaluation;
  config: RepoConfig;
  /** Masked credentials found in the issue or its comments. */
  secrets: SecretFinding[];
  /** What the last turn could not apply. */
  problems: Problem[];
  notes: Problem[];
  /** The author of the last comment that held nothing readable, if it was the last turn. */
  proseFrom?: string;
  source?: SourceFacts;
  /** The merge request generated from this issue, and whether the spec has changed since. */
  mergeRequest?: { iid: number; url: string; behind: boolean };
};

function provenanceText(p: Provenance, m: Messages): string {
  const t = m.spec.provenance;
  switch (p.kind) {
    case 'issue':
      return t.issue;
    case 'comment':
      return t.comment(p.user);
    case 'command':
      return t.command(p.user);
    case 'default':
      return t[p.from];
    case 'secret':
      return t.secret;
    case 'introspected':
      return t.introspected;
    case 'model':
      return p.from === 'issue' ? t.modelIssue : t.modelComment(p.user);
  }
}

function cell(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
}

function valueText(path: string, field: Field, m: Messages): string {
  const value = field.value;
  if (path === 'source.columns' && Array.isArray(value)) {
    const names = value.map((c: { name: string; key?: boolean }) => `${c.name}${c.key ? ' 🔑' : ''}`).join(', ');
    return `${m.card.columnsSummary(value.length)}: ${names}`;
  }
  if (path === 'quality' && Array.isArray(value)) {
    return `${m.card.checksSummary(value.length)}: ${value.map((q: { check: string }) => q.check).join(', ')}`;
  }
  if (typeof value === 'string') return `\`${cell(value)}\``;
  return `\`${cell(JSON.stringify(value))}\``;
}

/**
 * How to make the connection from a URL found in the issue: the same URL with `<password>` to fill in (`****`
 * only ever stands for what someone wrote and the bot hid).
 */
function connectionCommand(secret: SecretFinding, connId: string | undefined): string | undefined {
  if (secret.kind !== 'uri' || !connId || !secret.scheme || !secret.host) return undefined;
  const user = secret.masked.match(/^[a-z0-9+.-]+:\/\/([^:@/]+)(:[^@]*)?@/i)?.[1] ?? '<user>';
  return `airflow connections add ${connId} --conn-uri '${secret.scheme}://${user}:<password>@${secret.host}${secret.database ? `/${secret.database}` : ''}'`;
}

export function renderCard(input: CardInput, m: Messages): string {
  const { evaluation, config } = input;
  const c = m.card;
  const spec = evaluation.spec as Record<string, any>;
  const out: string[] = [`### 📋 ${c.title(spec.dag_id)}`, ''];

  out.push(`| ${c.columns.join(' | ')} |`, '|---|---|---|');
  const order = Object.keys(evaluation.fields).sort((a, b) => fieldOrder(a) - fieldOrder(b) || a.localeCompare(b));
  for (const path of order) {
    const field = evaluation.fields[path]!;
    out.push(`| \`${path}\` | ${valueText(path, field, m)} | ${provenanceText(field.provenance, m)} |`);
  }
  if (!('start_date' in evaluation.fields)) out.push(`| \`start_date\` | ${c.startDateLater} | ${m.spec.provenance.dagwright} |`);

  if (evaluation.missing.length) {
    out.push('', `**${c.missingTitle}**`, ...evaluation.missing.map((path) => `- ${m.spec.questions[path] ?? `\`${path}\``}`));
  }
  const errors = [...input.problems, ...evaluation.errors];
  if (errors.length) out.push('', `**${c.errorsTitle}**`, ...errors.map((p) => `- ${describeProblem(p, m)}`));
  const warnings: string[] = [];
  for (const secret of dedupe(input.secrets)) {
    warnings.push(secret.kind === 'token' ? c.tokenWarning(secret.masked) : c.secretWarning(secret.masked, spec.source?.conn_id, connectionCommand(secret, spec.source?.conn_id)));
  }
  const sensitive = unacknowledgedSensitiveColumns(spec.source);
  if (sensitive.length) warnings.push(c.sensitiveWarning(sensitive, spec.target?.table));
  if (warnings.length) out.push('', `**⚠️ ${c.warningsTitle}**`, ...warnings.map((w) => `- ${w}`));
  const notes = input.notes.map((n) => describeProblem(n, m, 'notes'));
  if (spec.source?.type === 's3' && typeof spec.source.bucket === 'string' && typeof spec.source.path === 'string') {
    const files = fileSetOf(spec.source.bucket, spec.source.path, spec.source.if_empty);
    notes.push(c.filesNotice(files.kind, files.path, files.ifEmpty));
  }
  const columns = spec.source?.columns;
  if (spec.pack === 'spark-docker' && !(Array.isArray(columns) && columns.length)) notes.push(c.columnsAtRunTime(spec.target?.table));
  if (input.proseFrom) notes.push(c.proseNotice(input.proseFrom));
  if (notes.length) out.push('', `**${c.notesTitle}**`, ...notes.map((n) => `- ${n}`));
  if (input.source) out.push('', ...sourceSection(input.source, m));

  if (spec.dag_id) {
    const folder = pipelineFolder(spec, config);
    out.push(
      '',
      `**${c.filesTitle}**`,
      `- \`${folder}/${spec.dag_id}.py\``,
      `- \`${folder}/sql/${spec.dag_id}/\``,
      `- \`${folder}/${spec.dag_id}.md\``,
      '- `tests/dags/test_dag_integrity.py`',
    );
  }
  const generated = input.mergeRequest;
  if (generated) {
    out.push('', generated.behind ? `⚠️ ${c.behind(generated.iid, generated.url)}` : `✅ ${c.generated(generated.iid, generated.url)}`);
    if (!evaluation.complete) out.push('', c.howToAnswer);
  } else out.push('', evaluation.complete ? `✅ ${c.ready}` : c.howToAnswer);
  return out.join('\n');
}

/** What inspecting the source found, or why it could not be inspected. */
function sourceSection(facts: SourceFacts, m: Messages): string[] {
  const s = m.source;
  const title = `**${s.title(facts.connId, facts.table)}**`;
  if (facts.error) return [title, `- ${facts.notGiven ? s.notGiven(facts.error) : s.unreachable(facts.error)}`];
  const lines = [title, `- ${s.rows(facts.rows ?? 0)}`, `- ${facts.primaryKey?.length ? s.primaryKey(facts.primaryKey) : s.noPrimaryKey}`];
  lines.push(`- ${facts.watermarks?.length ? s.watermarks(facts.watermarks.map((w) => `\`${w.column}\` (${w.min ?? '—'} … ${w.max ?? '—'})`)) : s.noWatermark}`);
  return lines;
}

function dedupe(secrets: SecretFinding[]): SecretFinding[] {
  return secrets.filter((s, i) => secrets.findIndex((t) => t.masked === s.masked) === i);
}

const ORDER = ['dag_id', 'description', 'schedule', 'source.', 'target.', 'load.', 'transform.', 'quality', 'notify.', 'owner', 'layer', 'tags'];
function fieldOrder(path: string): number {
  const i = ORDER.findIndex((prefix) => path === prefix || (prefix.endsWith('.') && path.startsWith(prefix)));
  return i < 0 ? ORDER.length : i;
}
