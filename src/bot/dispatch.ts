// A job's way from the queue to the handlers: its stored delivery becomes the event again, the event a
// Context, and the bot runs its handlers. A job that failed for good is told in the status comment, in the
// reader's language; one that has to wait says so.
import type { Logger } from '../log.ts';
import { describeFailure, type JobFailure } from '../queue/failures.ts';
import type { DeliveryRow, LeasedJob, Store } from '../store/store.ts';
import { messages } from '../i18n/index.ts';
import type { Bot } from './bot.ts';
import { Context, type BotUser, type ContextDeps } from './context.ts';
import { isFromBotOrSystem, kindOfHeader, parseEvent, type GitLabEvent } from './events.ts';

/** Rebuilds the event of a stored delivery (it was validated on the way in). */
export function eventOfDelivery(delivery: DeliveryRow): GitLabEvent {
  const kind = kindOfHeader(delivery.event_header);
  if (!kind) throw new Error(`stored delivery ${delivery.id} has an unknown event ${delivery.event_header}`);
  const parsed = parseEvent(kind.kind, kind.confidential, JSON.parse(delivery.body));
  if (!parsed.ok) throw new Error(`stored delivery ${delivery.id} no longer parses: ${parsed.problem}`);
  return parsed.event;
}

export type DispatchDeps = Omit<ContextDeps, 'botUser'> & {
  bot: Bot;
  store: Store;
  log: Logger;
  /** Who the bot is, once GitLab has said (GET /user). */
  botUser: () => BotUser | undefined;
  /** Whether the bot is shutting down (no more notices then). */
  stopping: () => boolean;
};

export class Dispatcher {
  private readonly deps: DispatchDeps;

  constructor(deps: DispatchDeps) {
    this.deps = deps;
  }

  private contextFor(event: GitLabEvent, delivery: DeliveryRow): Context {
    const botUser = this.deps.botUser();
    if (!botUser) throw new Error('the bot user is not known yet');
    return new Context(event, delivery.idempotency_key, { ...this.deps, botUser }, delivery.received_at);
  }

  /** Runs a leased job's handlers. */
  async run(job: LeasedJob): Promise<void> {
    const event = eventOfDelivery(job.delivery);
    // Deliveries stored before the bot knew who it is are checked again here.
    if (isFromBotOrSystem(event, this.deps.botUser()?.id)) return;
    await this.deps.bot.receive(this.contextFor(event, job.delivery));
  }

  /** A job that failed for good: its status comment says why, and how to try again. */
  async reportFailed(job: { id: number }, failure: JobFailure): Promise<void> {
    const { store } = this.deps;
    const row = store.job(job.id);
    const delivery = row && store.delivery(row.delivery_id);
    if (!row || !delivery) return;
    const context = this.contextFor(eventOfDelivery(delivery), delivery);
    if (!context.resource) return;
    // Told in English when the repository's configuration cannot be read (GitLab may be what failed).
    const m = await context.messages().catch(() => messages('en'));
    const reason = describeFailure(failure, m);
    await context.status.update(
      [`### ⚠️ ${m.jobs.failedTitle}`, '', m.jobs.failed(`\`${context.name}\``, row.attempts, reason), '', m.jobs.failedHint(delivery.idempotency_key)].join('\n'),
    );
  }

  /** A job that has to wait (every slot busy, or its issue's earlier job still running) says so. */
  async announceIfWaiting(jobId: number): Promise<void> {
    const { store, bot, log } = this.deps;
    try {
      const job = store.job(jobId);
      const botUser = this.deps.botUser();
      if (job?.status !== 'queued' || !botUser || this.deps.stopping()) return;
      const delivery = store.delivery(job.delivery_id)!;
      const event = eventOfDelivery(delivery);
      if (isFromBotOrSystem(event, botUser.id)) return;
      const stillWaiting = () => store.job(jobId)?.status === 'queued';
      await bot.announceQueued(this.contextFor(event, delivery), store.queuePosition(jobId), stillWaiting);
    } catch (err) {
      log.warn({ err, job: jobId }, 'could not tell that a job waits in the queue');
    }
  }
}
