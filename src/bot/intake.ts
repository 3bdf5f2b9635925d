// Webhook intake: verify → parse → dedupe → store + enqueue, all before GitLab gets its answer, and no
// handler on this path. Each outcome is counted; nothing that fails a step is stored.
import { createHash } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { DeliveryResult, Metrics } from '../metrics.ts';
import { redactedJson } from '../redact-offload.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { Store } from '../store/store.ts';
import { isFromBotOrSystem, kindOfHeader, parseEvent, type GitLabEvent } from './events.ts';
import { queueLane } from './lanes.ts';
import { projectTokenChecker, signatureMatches } from './verify.ts';

export type HeaderSource = { get(name: string): string | null | undefined };

export type IntakeOutcome = {
  status: 200 | 400 | 401;
  result: DeliveryResult;
  /** Why a delivery was refused or ignored, in words for the sender. */
  detail?: string;
  event?: GitLabEvent;
  deliveryKey?: string;
  jobId?: number;
};

export type IntakeDeps = {
  store: Store;
  metrics: Metrics;
  log: Logger;
  /** WEBHOOK_SECRET (and WEBHOOK_SECRET_PREVIOUS): each project's hook token is derived from them. */
  secrets: readonly string[];
  /** Also accept WEBHOOK_SECRET itself as any project's token (WEBHOOK_SHARED_SECRET=accept). */
  acceptSharedSecret?: boolean;
  signingSecret: string | undefined;
  /** Project ids or paths; empty accepts every project. */
  allowedProjects: readonly string[];
  /** The bot's own user id, once known. */
  botUserId: () => number | undefined;
  /** The bot's username, once known (for `@bot command` forms). */
  botUsername?: () => string | undefined;
  /** Told after a job was stored, so the worker can pick it up at once. */
  onEnqueued: (event: GitLabEvent, jobId: number) => void;
};

export type ReceiveOptions = { trusted?: boolean };

export type Intake = {
  /** Whether the headers carry a token at all (checked against the delivery's project once the body is read). */
  authenticate(headers: HeaderSource): boolean;
  /**
   * Handles one delivery, its token checked against the project it names. `trusted`: no authentication at all
   * (a recorded delivery replayed by the operator).
   */
  receive(headers: HeaderSource, rawBody: string, options?: ReceiveOptions): Promise<IntakeOutcome>;
};

export const MAX_PAYLOAD_DEPTH = 32;

/** Whether a parsed JSON value nests objects or arrays deeper than `limit` (walked without recursion). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Project ids a raw body names where GitLab writes them (`"project_id": N`, `"project": {"id": N`), the first few. */
function namedProjectIds(raw: string): number[] {
  const ids = new Set<number>();
  for (const m of raw.matchAll(/"project(?:_id"\s*:\s*|"\s*:\s*\{\s*"id"\s*:\s*)(\d{1,15})\b/g)) {
    ids.add(Number(m[1]));
    if (ids.size >= 4) break;
  }
  return [...ids];
}

/** The project a payload names (`project.id`, or `project_id` in older payloads). */
function projectIdOf(body: unknown): number | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { project?: { id?: unknown }; project_id?: unknown };
  const id = b.project?.id ?? b.project_id;
  return typeof id === 'number' ? id : undefined;
}

export function createIntake(deps: IntakeDeps): Intake {
  const { metrics, log } = deps;
  const storage = new GroupCommit(deps.store);
  const allowed = new Set(deps.allowedProjects.map((p) => p.toLowerCase()));

  const tokenMatches = projectTokenChecker(deps.secrets, { acceptShared: deps.acceptSharedSecret });
  const authenticate = (headers: HeaderSource) => !!headers.get('x-gitlab-token');

  const outcome = (result: DeliveryResult, status: IntakeOutcome['status'], detail?: string, extra?: Partial<IntakeOutcome>) => {
    metrics.delivery(result);
    return { status, result, detail, ...extra };
  };

  const wrongToken = () => outcome('unauthorized', 401, "X-Gitlab-Token is not this project's webhook secret (dagwright hook install sets it)");

  async function receive(headers: HeaderSource, rawBody: string, options: ReceiveOptions = {}): Promise<IntakeOutcome> {
    if (!options.trusted && !authenticate(headers)) return outcome('unauthorized', 401, 'missing X-Gitlab-Token');
    // A token that is no project's the body names is refused before the body is parsed (parsing 25 MB is work a
    // stranger should not be able to ask for); the parsed body's project is checked again below.
    if (!options.trusted) {
      const named = namedProjectIds(rawBody);
      if (named.length && !named.some((id) => tokenMatches(headers.get('x-gitlab-token') ?? undefined, id))) return wrongToken();
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      // Nothing names the project whose secret would verify it.
      return options.trusted ? outcome('invalid', 400, 'the body is not JSON') : outcome('unauthorized', 401, 'the body is not JSON naming a project, so its X-Gitlab-Token cannot be verified');
    }
    if (!options.trusted) {
      if (!tokenMatches(headers.get('x-gitlab-token') ?? undefined, projectIdOf(body))) return wrongToken();
      const signature = headers.get('webhook-signature');
      if (signature && deps.signingSecret) {
        const valid = signatureMatches(
          {
            id: headers.get('webhook-id') ?? undefined,
            timestamp: headers.get('webhook-timestamp') ?? undefined,
            signature,
          },
          rawBody,
          deps.signingSecret,
        );
        if (!valid) return outcome('unauthorized', 401, 'webhook-signature does not match');
      }
    }

    const eventHeader = headers.get('x-gitlab-event') ?? undefined;
    const kind = kindOfHeader(eventHeader);
    if (!kind) return outcome('ignored', 200, `event ${JSON.stringify(eventHeader ?? null)} is not one Dagwright handles`);
    // GitLab's payloads are a few levels deep; a deeper one is no GitLab event, and answering it 400 (not a
    // server fault) keeps its sender from retrying it forever.
    if (nestedDeeperThan(body, MAX_PAYLOAD_DEPTH)) return outcome('invalid', 400, `the body is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    const parsed = parseEvent(kind.kind, kind.confidential, body);
    if (!parsed.ok) return outcome('invalid', 400, `not a GitLab ${eventHeader} payload: ${parsed.problem}`);
    const event = parsed.event;

    const project = event.payload.project;
    if (allowed.size > 0 && !allowed.has(String(project.id)) && !allowed.has(project.path_with_namespace.toLowerCase())) {
      return outcome('ignored', 200, `project ${project.path_with_namespace} is not in ALLOWED_PROJECTS`, { event });
    }
    if (isFromBotOrSystem(event, deps.botUserId())) {
      return outcome('ignored', 200, 'written by the bot itself or by GitLab (system note)', { event });
    }

    const deliveryKey =
      headers.get('idempotency-key') ||
      headers.get('x-gitlab-webhook-uuid') ||
      `sha256:${createHash('sha256').update(`${eventHeader}\n${rawBody}`).digest('hex')}`;
    const receivedAt = Date.now();
    const redactedBody = await redactedJson(body, rawBody);
    const stored = await storage.enqueue({
      idempotencyKey: deliveryKey,
      meaningKey: event.meaningKey,
      eventHeader: eventHeader!,
      eventUuid: headers.get('x-gitlab-event-uuid') ?? undefined,
      webhookUuid: headers.get('x-gitlab-webhook-uuid') ?? undefined,
      names: event.names,
      resourceKey: queueLane(event, deps.botUsername?.()),
      projectId: event.projectId,
      confidential: event.confidential,
      body: redactedBody,
      receivedAt,
    });
    if (stored.duplicate) {
      log.debug({ delivery: deliveryKey, event: event.names.at(-1) }, 'duplicate delivery');
      return outcome('duplicate', 200, 'this event was received before', { event, deliveryKey });
    }
    deps.onEnqueued(event, stored.jobId);
    log.debug({ delivery: deliveryKey, event: event.names.at(-1), resource: event.resourceKey, job: stored.jobId }, 'delivery queued');
    return outcome('accepted', 200, undefined, { event, deliveryKey, jobId: stored.jobId });
  }

  return { authenticate, receive };
}
