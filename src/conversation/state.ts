// The request conversation of one issue, as pure state transitions: the issue's text, a comment, a /set or
// /unset each move the state; the handlers load it, call these, save it and show the card.
import type { Language } from '../i18n/index.ts';
import { parseRequestText, scalar, type ParsedRequest } from '../pipeline-spec/forms.ts';
import { applyPatch, checkPatch, emptyPatch, replaceIssueFields, type Problem, type SpecFields, type SpecPatch } from '../pipeline-spec/patch.ts';
import { findSecrets, type SecretFinding } from '../pipeline-spec/secrets.ts';
import type { SourceFacts } from '../pipeline-spec/source-facts.ts';

export type ConversationState = {
  engaged: boolean;
  reacted: boolean;
  language?: Language;
  fields: SpecFields;
  /** Credentials seen in the issue or its comments, masked. */
  secrets: SecretFinding[];
  /** What the issue's own text could not give (kept until the text is edited). */
  issueProblems: Problem[];
  issueNotes: Problem[];
  /** A digest of the card as last shown, so an unchanged card is not edited again. */
  cardDigest?: string;
  /** What the bot found by inspecting the source table (re-inspected when the connection or table changes). */
  source?: SourceFacts;
  /** What the last comment (its lines and its commands) could not give. */
  lastTurn: { noteId?: number; problems: Problem[]; notes: Problem[]; proseFrom?: string };
};

export function newConversation(): ConversationState {
  return { engaged: false, reacted: false, fields: {}, secrets: [], issueProblems: [], issueNotes: [], lastTurn: { problems: [], notes: [] } };
}

export type Turn = { state: ConversationState; changed: string[]; problems: Problem[]; notes: Problem[] };

function addSecrets(state: ConversationState, found: SecretFinding[]): SecretFinding[] {
  const all = [...state.secrets, ...found];
  return all.filter((s, i) => all.findIndex((t) => t.masked === s.masked) === i);
}

/** What a connection URL proposes fills only fields nobody gave. */
function applyProposals(fields: SpecFields, parsed: ParsedRequest, user?: string): { fields: SpecFields; changed: string[] } {
  const proposal = emptyPatch();
  for (const [path, value] of Object.entries(parsed.proposed)) if (!(path in fields)) proposal.set[path] = value;
  return applyPatch(fields, checkPatch(proposal), { kind: 'secret', user });
}

/** The issue's title and description, read again (on open, on edit, on engagement by a comment). */
export function readIssue(state: ConversationState, title: string, description: string): Turn {
  const parsed = parseRequestText(description, { description: true });
  if (parsed.structured && !('description' in parsed.set) && title.trim()) parsed.set.description = title.trim();
  const checked = checkPatch(parsed);
  const replaced = replaceIssueFields(state.fields, checked);
  const proposed = applyProposals(replaced.fields, parsed);
  return {
    state: {
      ...state,
      fields: proposed.fields,
      secrets: addSecrets(state, parsed.secrets),
      issueProblems: checked.problems,
      issueNotes: checked.notes,
    },
    changed: [...replaced.changed, ...proposed.changed],
    problems: checked.problems,
    notes: checked.notes,
  };
}

/** A comment: what it holds in request forms is applied; `proseFrom` marks a comment with nothing readable. */
export function readComment(state: ConversationState, body: string, user: string, options: { addressedToBot: boolean; noteId?: number }): Turn & { structured: boolean } {
  const parsed = parseRequestText(body);
  const checked = checkPatch(parsed);
  const applied = applyPatch(state.fields, checked, { kind: 'comment', user });
  const proposed = applyProposals(applied.fields, parsed, user);
  const nothingReadable = !parsed.structured && parsed.problems.length === 0 && parsed.secrets.length === 0;
  return {
    state: {
      ...state,
      fields: proposed.fields,
      secrets: addSecrets(state, parsed.secrets),
      lastTurn: withTurn(state, options.noteId, {
        problems: checked.problems,
        notes: checked.notes,
        proseFrom: nothingReadable && !options.addressedToBot ? user : undefined,
      }),
    },
    changed: [...applied.changed, ...proposed.changed],
    problems: checked.problems,
    notes: checked.notes,
    structured: parsed.structured,
  };
}

/** `/set a=1 b="x y"` and `/unset a b`. */
/** The last turn's findings; a comment's lines and its commands (same note) add up rather than replace. */
function withTurn(state: ConversationState, noteId: number | undefined, turn: { problems: Problem[]; notes: Problem[]; proseFrom?: string }): ConversationState['lastTurn'] {
  if (noteId !== undefined && state.lastTurn.noteId === noteId) {
    return { noteId, problems: [...state.lastTurn.problems, ...turn.problems], notes: [...state.lastTurn.notes, ...turn.notes], proseFrom: state.lastTurn.proseFrom ?? turn.proseFrom };
  }
  return { noteId, ...turn };
}

export function applyCommand(state: ConversationState, command: { set?: string[]; unset?: string[]; noteId?: number }, user: string): Turn {
  const patch: SpecPatch = emptyPatch();
  const args = command.set ?? [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      patch.problems.push({ key: '@set_syntax', params: { arg } });
      continue;
    }
    // `schedule=0 6 * * *`: the words after an assignment that are none belong to its value, unquoted.
    let end = i + 1;
    while (end < args.length && args[end]!.indexOf('=') <= 0) end++;
    if (end > i + 1) {
      const key = arg.slice(0, eq).trim();
      patch.problems.push({ key: '@set_unquoted', path: key, params: { key, value: [arg.slice(eq + 1), ...args.slice(i + 1, end)].join(' ') } });
      i = end - 1;
      continue;
    }
    patch.set[arg.slice(0, eq).trim()] = scalar(arg.slice(eq + 1));
  }
  patch.unset.push(...(command.unset ?? []));
  const checked = checkPatch(patch);
  const applied = applyPatch(state.fields, checked, { kind: 'command', user });
  // A credential in a /set value (a connection URL with its password) is warned about as one in a comment.
  const secrets = addSecrets(state, findSecrets(args.join('\n')));
  return {
    state: { ...state, engaged: true, fields: applied.fields, secrets, lastTurn: withTurn(state, command.noteId, { problems: checked.problems, notes: checked.notes }) },
    changed: applied.changed,
    problems: checked.problems,
    notes: checked.notes,
  };
}
