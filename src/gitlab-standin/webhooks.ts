// Webhook deliveries as GitLab sends them: the payloads of GitLab's webhook documentation (the tests
// compare them key by key with GitLab's samples), every header GitLab sets, one delivery after another
// per hook, each recorded with the answer it got.
import { randomUUID } from 'node:crypto';
import type { Hook, Project } from './model.ts';

export const GITLAB_VERSION = '18.6.0';

/** Timestamps in hook payloads: `2026-11-24 17:06:40 UTC`, as GitLab formats most of them. */
export function hookTime(iso: string | null): string | null {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : null;
}

export type HookEvent =
  | 'Issue Hook'
  | 'Confidential Issue Hook'
  | 'Note Hook'
  | 'Confidential Note Hook'
  | 'Merge Request Hook'
  | 'Pipeline Hook'
  | 'Emoji Hook';

const eventFlag: Record<HookEvent, keyof Hook['events']> = {
  'Issue Hook': 'issues_events',
  'Confidential Issue Hook': 'confidential_issues_events',
  'Note Hook': 'note_events',
  'Confidential Note Hook': 'confidential_note_events',
  'Merge Request Hook': 'merge_requests_events',
  'Pipeline Hook': 'pipeline_events',
  'Emoji Hook': 'emoji_events',
};

export type DeliveryRecord = {
  id: number;
  hookId: number;
  url: string;
  event: HookEvent;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** HTTP status of the answer; undefined when there was none (refused, timed out). */
  status?: number;
  response?: string;
  error?: string;
  durationMs?: number;
  sentAt?: string;
};

export class WebhookSender {
  readonly deliveries: DeliveryRecord[] = [];
  private readonly baseUrl: () => string;
  private readonly queues = new Map<number, Promise<void>>();
  private inFlight = 0;
  private nextId = 0;
  timeoutMs = 10_000;

  constructor(baseUrl: () => string) {
    this.baseUrl = baseUrl;
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Queues a delivery of `body` to each hook of the project that subscribed to `event`. */
  emit(project: Project, event: HookEvent, body: Record<string, unknown>): void {
    const eventUuid = randomUUID();
    for (const hook of project.hooks) {
      if (!hook.events[eventFlag[event]]) continue;
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'User-Agent': `GitLab/${GITLAB_VERSION}`,
        'X-Gitlab-Event': event,
        'X-Gitlab-Webhook-UUID': randomUUID(),
        'X-Gitlab-Event-UUID': eventUuid,
        'X-Gitlab-Instance': this.baseUrl(),
        'Idempotency-Key': randomUUID(),
      };
      if (hook.token) headers['X-Gitlab-Token'] = hook.token;
      this.enqueue({ id: ++this.nextId, hookId: hook.id, url: hook.url, event, headers, body: structuredClone(body) });
    }
  }

  /** Sends a recorded delivery again, as GitLab's "Resend request" does: same body and Idempotency-Key. */
  resend(deliveryId: number): DeliveryRecord {
    const original = this.deliveries.find((d) => d.id === deliveryId);
    if (!original) throw new Error(`no delivery ${deliveryId}`);
    const copy: DeliveryRecord = {
      id: ++this.nextId,
      hookId: original.hookId,
      url: original.url,
      event: original.event,
      headers: { ...original.headers, 'X-Gitlab-Webhook-UUID': randomUUID() },
      body: original.body,
    };
    this.enqueue(copy);
    return copy;
  }

  private enqueue(record: DeliveryRecord): void {
    this.deliveries.push(record);
    this.inFlight++;
    const previous = this.queues.get(record.hookId) ?? Promise.resolve();
    const next = previous.then(() => this.send(record)).finally(() => this.inFlight--);
    this.queues.set(record.hookId, next);
  }

  private async send(record: DeliveryRecord): Promise<void> {
    const started = performance.now();
    record.sentAt = new Date().toISOString();
    try {
      const response = await fetch(record.url, {
        method: 'POST',
        headers: record.headers,
        body: JSON.stringify(record.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      record.status = response.status;
      record.response = (await response.text()).slice(0, 10_000);
    } catch (err) {
      record.error = (err as Error).message;
    }
    record.durationMs = Math.round(performance.now() - started);
  }
}

export { avatarUrl, Payloads } from './webhook-payloads.ts';
