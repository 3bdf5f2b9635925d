// Queue lanes: a resource's jobs run one at a time, in order, except control commands (/cancel), which get
// a lane of their own beside it so that they can reach the work queued in the resource's lane, and the wait for
// Airflow after a merge, which may last many minutes without holding up the merge request's other work.
import { parseCommands } from './commands.ts';
import { noteTextOf, type GitLabEvent } from './events.ts';

const CONTROL_COMMANDS = new Set(['cancel']);
export const CONTROL_LANE_SUFFIX = '~control';
export const DEPLOY_LANE_SUFFIX = '~deploy';

export function queueLane(event: Pick<GitLabEvent, 'names' | 'payload' | 'resourceKey'>, botUsername: string | undefined): string {
  if (event.names.includes('merge_request.merge')) return `${event.resourceKey}${DEPLOY_LANE_SUFFIX}`;
  if (event.names[0] !== 'note') return event.resourceKey;
  const text = noteTextOf(event.payload);
  if (!/cancel/i.test(text)) return event.resourceKey;
  const control = parseCommands(text, botUsername ?? '').some((c) => CONTROL_COMMANDS.has(c.name));
  return control ? `${event.resourceKey}${CONTROL_LANE_SUFFIX}` : event.resourceKey;
}
