// The status comment of a generation as a checklist: each step done, running, failed or to come, with its
// duration, the job's place in the queue while it waits, and the outcome.
import type { Messages } from '../i18n/index.ts';

export const STEPS = ['queued', 'clone', 'render', 'validate', 'commit', 'push', 'mr'] as const;
export type Step = (typeof STEPS)[number];

/** The status comment's checklist: each step done, running, failed or to come, with its duration. */
export class Checklist {
  private readonly started = new Map<Step, number>();
  private readonly finished = new Map<Step, number>();
  private failure: { step: Step; reason: string } | undefined;
  private position: number | undefined;
  private outcome: string | undefined;
  private readonly m: Messages;
  private readonly title: string;
  private readonly publish: (body: string) => Promise<unknown>;

  constructor(m: Messages, title: string, publish: (body: string) => Promise<unknown>) {
    this.m = m;
    this.title = title;
    this.publish = publish;
  }

  async run<T>(step: Step, work: () => Promise<T>): Promise<T> {
    this.started.set(step, performance.now());
    await this.publish(this.render());
    try {
      const result = await work();
      this.finished.set(step, performance.now());
      return result;
    } catch (err) {
      this.finished.set(step, performance.now());
      throw err;
    }
  }

  /** The job waits in the queue at this position (1 = next). */
  async waiting(position: number): Promise<void> {
    this.position = position;
    await this.publish(this.render());
  }

  mark(step: Step, ms: number): void {
    const now = performance.now();
    this.started.set(step, now - ms);
    this.finished.set(step, now);
  }

  async fail(step: Step, reason: string): Promise<void> {
    this.failure = { step, reason };
    await this.publish(this.render());
  }

  async finish(outcome: string): Promise<void> {
    this.outcome = outcome;
    await this.publish(this.render());
  }

  render(): string {
    const g = this.m.generate;
    const lines = [`### ⚙️ ${this.title}`, ''];
    for (const step of STEPS) {
      const started = this.started.get(step);
      const finished = this.finished.get(step);
      const failed = this.failure?.step === step;
      const box = failed ? '❌' : finished !== undefined ? '✅' : started !== undefined ? '⏳' : '⬜';
      const took = started !== undefined && finished !== undefined ? ` (${((finished - started) / 1000).toFixed(1)} s)` : '';
      if (step === 'queued' && this.position !== undefined && finished === undefined) lines.push(`- ⏳ ${g.steps[step]} (${g.position(this.position)})`);
      else lines.push(`- ${box} ${g.steps[step]}${took}`);
    }
    if (this.failure) lines.push('', g.failedAt(g.steps[this.failure.step]!, this.failure.reason), '', g.retryHint);
    if (this.outcome) lines.push('', this.outcome);
    return lines.join('\n');
  }
}
