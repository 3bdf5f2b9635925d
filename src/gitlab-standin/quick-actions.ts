// GitLab's quick actions in the stand-in: a line that starts with a command GitLab knows (for that kind of
// item) is taken out of the note and applied; anything else, `/generate` included, stays in the text.
// Lines in code blocks and quotes are text, as in GitLab.
import { gitlabQuickActions } from '../bot/commands.ts';
import { proseLines } from '../markdown.ts';

const mergeRequestOnly = new Set([
  'merge', 'draft', 'ready', 'wip', 'approve', 'unapprove', 'rebase', 'target_branch', 'assign_reviewer',
  'request_review', 'unassign_reviewer', 'reassign_reviewer', 'remove_reviewer', 'submit_review',
  'request_changes', 'summarize_diff',
]);
const issueOnly = new Set([
  'confidential', 'due', 'remove_due_date', 'move', 'clone', 'duplicate', 'create_merge_request', 'promote',
  'promote_to', 'promote_to_incident', 'iteration', 'remove_iteration', 'epic', 'remove_epic', 'parent_epic',
  'remove_parent_epic', 'weight', 'health_status', 'severity', 'add_contacts', 'remove_contacts',
  'convert_to_ticket', 'set_parent', 'remove_parent', 'add_child', 'remove_child', 'timeline', 'page', 'exclude',
  'blocks', 'blocked_by', 'relate', 'unrelate', 'add_email', 'remove_email', 'checkin_reminder', 'type',
]);

export type QuickAction = { name: string; args: string };

export function isQuickAction(name: string, noteable: 'Issue' | 'MergeRequest'): boolean {
  if (!gitlabQuickActions.has(name)) return false;
  if (noteable === 'Issue') return !mergeRequestOnly.has(name);
  return !issueOnly.has(name);
}

/** Splits a note into the text GitLab stores and the quick actions it runs. */
export function extractQuickActions(body: string, noteable: 'Issue' | 'MergeRequest'): { text: string; actions: QuickAction[] } {
  const lines = body.split(/\r?\n/);
  const actions: QuickAction[] = [];
  const drop = new Set<number>();
  for (const [lineNumber, line] of proseLines(body)) {
    const match = line.match(/^\/([a-z_]+)(?:\s+(.*))?$/);
    if (!match || !isQuickAction(match[1]!, noteable)) continue;
    actions.push({ name: match[1]!, args: (match[2] ?? '').trim() });
    drop.add(lineNumber - 1);
  }
  const text = lines.filter((_, i) => !drop.has(i)).join('\n').trim();
  return { text, actions };
}

/** `~bug ~"needs review"` → ['bug', 'needs review'] */
export function labelArgs(args: string): string[] {
  return [...args.matchAll(/~"([^"]+)"|~([^\s~]+)/g)].map((m) => (m[1] ?? m[2])!);
}

/** `@alice @bob` → ['alice', 'bob'] */
export function userArgs(args: string): string[] {
  return [...args.matchAll(/@([\w.-]+)/g)].map((m) => m[1]!);
}
