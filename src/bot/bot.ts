// The event framework's front: handlers subscribe by event name, commands by command name; a job from the
// queue is dispatched to them (its delivery made an event again, the event a Context), and a job that failed
// for good is told in its status comment, in the reader's language.
import type { z } from 'zod';
import { UserError } from '../errors.ts';
import { messages, type Messages } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { describeJobFailure, type JobFailure } from '../queue/failures.ts';
import type { DeliveryRow, LeasedJob, Store } from '../store/store.ts';
import { gitlabQuickActions, parseCommands, suggestCommand, type ParsedCommand } from './commands.ts';
import { redactedJson } from '../redact-offload.ts';
import { confirmDelivery } from '../gitlab/confirm-delivery.ts';
import { Context, type BotUser, type ContextDeps } from './context.ts';
import { isFromBotOrSystem, kindOfHeader, noteTextOf, parseEvent, type AnyPayload, type EventName, type GitLabEvent, type NotePayload, type PayloadFor } from './events.ts';
import { roleName } from '../pipeline-spec/roles.ts';
import { minAccessLevelOf } from '../pipeline-spec/repo-config.ts';
import { issueOfBranch } from '../publish/publish.ts';

export type Handler<P extends AnyPayload = AnyPayload> = (context: Context<P>) => unknown;

export type CommandPlace = 'issue' | 'merge_request';

export type AccessRule = number | 'config';

export type CommandDefinition<A = unknown> = {
  name: string;
  /** How it is written, without the slash: `set KEY=VALUE…`. */
  usage: string;
  summary: (messages: Messages) => string;
  where: readonly CommandPlace[];
  /**
   * Who may run it: an access level, `config` for the repo config's `min_access_level`, or anyone; per place
   * when it differs (`/set` in an issue edits the card, on the bot's merge request it commits).
   */
  minAccessLevel?: AccessRule | Partial<Record<CommandPlace, AccessRule>>;
  /** Validates and shapes the arguments; its error message is shown to the user. */
  args: z.ZodType<A, string[]>;
  run: (context: Context<NotePayload>, args: A, command: ParsedCommand) => unknown;
  /**
   * Shows that the command waits its turn in the queue (`position` 1 = next). `stillWaiting` tells, when
   * the notice is written, whether the job has not started meanwhile.
   */
  whileQueued?: (context: Context<NotePayload>, position: number, stillWaiting: () => Promise<boolean>) => unknown;
};

// Arguments are typed per command; the registry holds commands of every argument type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandDefinition<any>;

export class Bot {
  private readonly handlers: Array<{ names: readonly string[] | '*'; handler: Handler }> = [];
  private readonly commandDefinitions = new Map<string, AnyCommand>();

  constructor() {
    this.on('note', (context) => this.runCommands(context));
  }

  on<N extends EventName>(names: N | readonly N[], handler: Handler<PayloadFor<N>>): this {
    this.handlers.push({ names: typeof names === 'string' ? [names] : names, handler: handler as Handler });
    return this;
  }

  onAny(handler: Handler): this {
    this.handlers.push({ names: '*', handler });
    return this;
  }

  command<A>(definition: CommandDefinition<A>): this {
    if (this.commandDefinitions.has(definition.name)) throw new Error(`command /${definition.name} is registered twice`);
    this.commandDefinitions.set(definition.name, definition);
    return this;
  }

  /** Whether `name` is one of the bot's commands. */
  isCommand(name: string): boolean {
    return this.commandDefinitions.has(name);
  }

  commands(): AnyCommand[] {
    return [...this.commandDefinitions.values()];
  }

  /**
   * The commands in a text that the bot answers: its own, and near misses of them (answered with "did you
   * mean"). A mention followed by prose (`@bot which column…`) holds none: that is a question, not a command.
   */
  commandsAnswered(text: string, botUsername: string): ParsedCommand[] {
    const known = [...this.commandDefinitions.keys()];
    return parseCommands(text, botUsername).filter(
      (c) => this.commandDefinitions.has(c.name) || (!gitlabQuickActions.has(c.name) && suggestCommand(c.name, known) !== undefined),
    );
  }

  /** Which handlers an event with these names reaches (for tests and `replay`). */
  handlerCount(names: readonly string[]): number {
    return this.handlers.filter((h) => h.names === '*' || h.names.some((n) => names.includes(n))).length;
  }

  /**
   * Runs every handler subscribed to one of the context's names. A UserError is answered in the thread; other
   * failures are collected and rethrown after all handlers ran, so the worker can retry or report the job.
   */
  async receive(context: Context): Promise<void> {
    const failures: unknown[] = [];
    for (const { names, handler } of this.handlers) {
      if (names !== '*' && !names.some((n) => context.names.includes(n))) continue;
      try {
        await handler(context);
      } catch (err) {
        if (err instanceof UserError && context.resource) {
          await context.reply(err.render(await context.messages()));
        } else {
          failures.push(err);
        }
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} handlers failed`);
  }

  private async runCommands(context: Context<NotePayload>): Promise<void> {
    const note = context.payload.object_attributes;
    // Commands run when a comment is written, not again when it is edited (as GitLab's quick actions).
    if (note.action !== 'create' || !context.resource) return;
    const place: CommandPlace = context.resource.type;
    const known = [...this.commandDefinitions.keys()];
    for (const command of parseCommands(note.note, context.botUser.username)) {
      const definition = this.commandDefinitions.get(command.name);
      if (definition && !definition.where.includes(place)) {
        const m = await context.messages();
        await context.reply(m.commands.elsewhere(command.name, definition.where[0]!, await this.issueOfMergeRequest(context)));
        continue;
      }
      if (!definition) {
        if (gitlabQuickActions.has(command.name)) continue;
        const suggestion = suggestCommand(command.name, known);
        // A stray "/word" in prose is not addressed to the bot, nor is "@bot word…" a command when the word is
        // none of the bot's (it is prose addressed to the bot); a near miss of a command is answered.
        if (suggestion) {
          const m = await context.messages();
          await context.reply(m.commands.unknown(command.name, suggestion));
        }
        continue;
      }
      const m = await context.messages();
      if (command.error) {
        await context.reply(m.commands.badArguments(command.name, command.error));
        continue;
      }
      if (!(await this.mayRun(context, definition, command.name, m))) continue;
      const args = definition.args.safeParse(command.args);
      if (!args.success) {
        await context.reply(m.commands.badArguments(command.name, args.error.issues.map((i) => m.commands.argumentProblems[i.message] ?? i.message).join('; ')));
        continue;
      }
      await definition.run(context, args.data, command);
    }
  }

  /** On the bot's merge request, the issue it comes from (its branch names it), with a link. */
  private async issueOfMergeRequest(context: Context<NotePayload>): Promise<{ iid: number; url: string | undefined } | undefined> {
    const branch = context.payload.merge_request?.source_branch;
    if (context.resource?.type !== 'merge_request' || !branch) return undefined;
    const iid = issueOfBranch(branch, (await context.config()).branch_prefix);
    if (iid === undefined) return undefined;
    return { iid, url: context.project.webUrl ? `${context.project.webUrl}/-/issues/${iid}` : undefined };
  }

  /** Whether an event may hold a command that says it waits (a cheap look, before the job is known to wait). */
  mayAnnounceQueued(event: { names: readonly string[]; payload: unknown }, botUsername: string): boolean {
    if (event.names[0] !== 'note') return false;
    const text = noteTextOf(event.payload);
    if (!text.includes('/') && !text.includes('@')) return false;
    return parseCommands(text, botUsername).some((c) => this.commandDefinitions.get(c.name)?.whileQueued !== undefined);
  }

  /**
   * A job that cannot start at once: the first command of its comment that tells its users it waits, and that
   * the author may run, does so. Nothing is said to an author who may not run it (the job will explain).
   */
  async announceQueued(context: Context, position: number, stillWaiting: () => Promise<boolean>): Promise<void> {
    if (context.names[0] !== 'note' || !context.resource) return;
    const note = (context as Context<NotePayload>).payload.object_attributes;
    if (note.action !== 'create') return;
    for (const command of parseCommands(note.note, context.botUser.username)) {
      const definition = this.commandDefinitions.get(command.name);
      if (!definition?.whileQueued || !definition.where.includes(context.resource.type) || command.error) continue;
      if (!definition.args.safeParse(command.args).success) continue;
      const required = await this.requiredLevel(context, definition);
      if (required !== undefined && (await context.actorAccessLevel({ cached: true })) < required) return;
      await definition.whileQueued(context as Context<NotePayload>, position, stillWaiting);
      return;
    }
  }

  /** The level a command needs where the context is (undefined: anyone may run it there). */
  private async requiredLevel(context: Context, definition: AnyCommand): Promise<number | undefined> {
    const rule = definition.minAccessLevel;
    const here: AccessRule | undefined = typeof rule === 'object' ? rule[context.resource!.type] : rule;
    if (here === undefined) return undefined;
    return here === 'config' ? minAccessLevelOf(await context.config()) : here;
  }

  private async mayRun(context: Context, definition: AnyCommand, name: string, m: Messages): Promise<boolean> {
    const required = await this.requiredLevel(context, definition);
    if (required === undefined) return true;
    const actual = await context.actorAccessLevel();
    if (actual >= required) return true;
    const levelName = (level: number) => roleName(level) ?? m.commands.noAccess;
    await context.reply(m.commands.accessDenied(name, levelName(required), levelName(actual)));
    return false;
  }
}

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
  /** ALLOWED_PROJECTS, matched against the project GitLab resolves. */
  allowedProjects?: readonly string[];
};

export class Dispatcher {
  private readonly deps: DispatchDeps;

  constructor(deps: DispatchDeps) {
    this.deps = deps;
  }

  private contextFor(event: GitLabEvent, delivery: DeliveryRow, receivedAt = delivery.received_at): Context {
    const botUser = this.deps.botUser();
    if (!botUser) throw new Error('the bot user is not known yet');
    return new Context(event, delivery.idempotency_key, { ...this.deps, botUser, rerun: this.rerun }, receivedAt);
  }

  /** A stored delivery's handlers, run again as if it had just arrived (/retry of a job that failed). */
  private readonly rerun = async (deliveryId: number): Promise<void> => {
    const delivery = await this.deps.store.delivery(deliveryId);
    if (!delivery) throw new Error(`delivery ${deliveryId} is no longer kept`);
    const event = await this.confirmed(eventOfDelivery(delivery), delivery);
    if (event) await this.deps.bot.receive(this.contextFor(event, delivery, Date.now()));
  };

  /** The event as GitLab's API confirms it; undefined (and logged) when GitLab contradicts the delivery. */
  private async confirmed(event: GitLabEvent, delivery: DeliveryRow): Promise<GitLabEvent | undefined> {
    const confirmation = await confirmDelivery(this.deps.gitlab, this.deps.projects, event, this.deps.allowedProjects ?? []);
    if (confirmation.ok) {
      // What GitLab's API returns is redacted as the stored delivery was: a credential in a comment stays out
      // of everything the handlers keep.
      const payload = JSON.parse(await redactedJson(confirmation.payload, JSON.stringify(confirmation.payload))) as GitLabEvent['payload'];
      return { ...event, payload, confidential: event.confidential || confirmation.confidential };
    }
    this.deps.log.warn({ delivery: delivery.idempotency_key, event: event.names.at(-1), project: event.projectId, reason: confirmation.reason }, 'a delivery GitLab does not confirm: nothing done');
    return undefined;
  }

  /** Runs a leased job's handlers, on the event as GitLab confirms it. */
  async run(job: LeasedJob): Promise<void> {
    const event = eventOfDelivery(job.delivery);
    // Deliveries stored before the bot knew who it is are checked again here.
    if (isFromBotOrSystem(event, this.deps.botUser()?.id)) return;
    const confirmed = await this.confirmed(event, job.delivery);
    if (!confirmed || isFromBotOrSystem(confirmed, this.deps.botUser()?.id)) return;
    await this.deps.bot.receive(this.contextFor(confirmed, job.delivery));
  }

  /** A job that failed for good: its status comment says why, and how to try again. */
  async reportFailed(job: { id: number }, failure: JobFailure): Promise<void> {
    const { store } = this.deps;
    const row = await store.job(job.id);
    const delivery = row && (await store.delivery(row.delivery_id));
    if (!row || !delivery) return;
    const context = this.contextFor(eventOfDelivery(delivery), delivery);
    if (!context.resource) return;
    // Told in English when the repository's configuration cannot be read (GitLab may be what failed).
    const m = await context.messages().catch(() => messages('en'));
    const reason = describeJobFailure(failure, m);
    await context.status.update(
      [`### ⚠️ ${m.jobs.failedTitle}`, '', m.jobs.failed(`\`${context.name}\``, row.attempts, reason), '', m.jobs.failedHint(delivery.idempotency_key)].join('\n'),
    );
  }

  /**
   * Looks again after the worker's look at the queue (on the next turn): a job it did not take must wait, and
   * says so. Only deliveries that may hold such a command are looked at (intake stays cheap under a backlog).
   */
  announceIfItWaits(event: GitLabEvent, jobId: number): void {
    const botUser = this.deps.botUser();
    if (botUser && this.deps.bot.mayAnnounceQueued(event, botUser.username)) setImmediate(() => void this.announceIfWaiting(jobId));
  }

  /** A job that has to wait (every slot busy, or its issue's earlier job still running) says so. */
  private async announceIfWaiting(jobId: number): Promise<void> {
    const { store, bot, log } = this.deps;
    try {
      const job = await store.job(jobId);
      const botUser = this.deps.botUser();
      if (job?.status !== 'queued' || !botUser || this.deps.stopping()) return;
      const delivery = (await store.delivery(job.delivery_id))!;
      const event = eventOfDelivery(delivery);
      if (isFromBotOrSystem(event, botUser.id)) return;
      const stillWaiting = async () => (await store.job(jobId))?.status === 'queued';
      await bot.announceQueued(this.contextFor(event, delivery), await store.queuePosition(jobId), stillWaiting);
    } catch (err) {
      log.warn({ err, job: jobId }, 'could not tell that a job waits in the queue');
    }
  }
}
