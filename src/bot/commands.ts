// Comment commands: found only at the start of a line, outside code blocks and quotes, as `/name args…` or
// `@bot name args…`; arguments split the way a POSIX shell splits them.
import { split } from 'shlex';
import { closestName } from '../closest-name.ts';
import { proseLines } from '../markdown.ts';

export type ParsedCommand = {
  name: string;
  args: string[];
  /** 1-based line of the comment the command stands on. */
  line: number;
  /** The command line as written. */
  text: string;
  via: 'slash' | 'mention';
  /** Set when the arguments could not be split (an unclosed quote). */
  error?: string;
};

const commandName = '[A-Za-z][A-Za-z0-9_-]*';
const slashLine = new RegExp(`^/(${commandName})(?:\\s+(.*))?$`);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every command in a comment, in order. `botUsername` enables the mention form. */
export function parseCommands(body: string, botUsername?: string): ParsedCommand[] {
  const mentionLine = botUsername
    ? new RegExp(`^@${escapeRegExp(botUsername)}\\b[,:]?\\s+/?(${commandName})(?:\\s+(.*))?$`, 'i')
    : undefined;
  const found: ParsedCommand[] = [];
  for (const [line, raw] of proseLines(body)) {
    const text = raw.trimEnd();
    let match = text.match(slashLine);
    let via: ParsedCommand['via'] = 'slash';
    if (!match && mentionLine) {
      match = text.match(mentionLine);
      via = 'mention';
    }
    if (!match) continue;
    const name = match[1]!.toLowerCase();
    const rest = match[2]?.trim() ?? '';
    try {
      found.push({ name, args: rest ? split(rest) : [], line, text, via });
    } catch (err) {
      found.push({ name, args: [], line, text, via, error: (err as Error).message });
    }
  }
  return found;
}

/**
 * Lines that are one of the bot's commands but for the slash (`set retries=5`, `generate`): the name, then
 * what that command takes (KEY=VALUE for set, field names for unset, nothing for the others).
 */
export function commandsWithoutSlash(body: string, names: readonly string[]): string[] {
  const found: string[] = [];
  for (const [, raw] of proseLines(body)) {
    const text = raw.trim();
    const [first = '', ...rest] = text.split(/\s+/);
    const name = first.toLowerCase();
    if (!names.includes(name)) continue;
    const takes =
      name === 'set'
        ? rest.length > 0 && /^[a-z_][a-z0-9_.]*=/i.test(rest[0]!)
        : name === 'unset'
          ? rest.length > 0 && rest.every((word) => /^[a-z_][a-z0-9_.]*$/i.test(word))
          : rest.length === 0;
    if (takes) found.push(text);
  }
  return found;
}

/** The command closest to an unknown name, when it is close enough to be a typo. */
export const suggestCommand = closestName;

/** GitLab's own quick actions: GitLab runs them, so the bot neither answers nor suggests anything for them. */
export const gitlabQuickActions: ReadonlySet<string> = new Set(
  (
    'add_child add_contacts add_email approve assign assign_reviewer award blocked_by blocks board_move cc ' +
    'checkin_reminder clone close confidential convert_to_ticket copy_metadata create_merge_request done ' +
    'draft due duplicate epic estimate exclude h health_status iteration label link lock merge milestone move ' +
    'page parent_epic promote promote_to promote_to_incident publish q react ready reassign reassign_reviewer ' +
    'rebase relabel relate remove_child remove_contacts remove_due_date remove_email remove_epic remove_estimate ' +
    'remove_iteration remove_milestone remove_parent remove_parent_epic remove_reviewer remove_time_spent ' +
    'remove_zoom reopen request_review request_changes set_parent severity shrug spend spent submit_review ' +
    'subscribe summarize_diff tableflip target_branch time timeline title todo type unapprove unassign ' +
    'unassign_reviewer unlabel unlink unlock unreact unrelate unsubscribe weight wip zoom'
  ).split(/\s+/),
);

/** Whether a text mentions a user (`@name`, not inside an e-mail address or a longer name). */
export function mentions(text: string, username: string): boolean {
  return new RegExp(`(^|[^\\w.-])@${username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(text);
}
