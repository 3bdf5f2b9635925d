// Group commit: deliveries that arrive in the same turn of the event loop are stored in one transaction,
// so a burst costs one disk sync instead of one per delivery. Each caller still hears back only after the
// transaction holding its delivery is on disk.
import type { EnqueueResult, NewDelivery, Store } from './store.ts';

type Waiting = { delivery: NewDelivery; resolve: (result: EnqueueResult) => void; reject: (err: unknown) => void };

export class GroupCommit {
  private readonly store: Store;
  private readonly maxBatch: number;
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(store: Store, maxBatch = 1_000) {
    this.store = store;
    this.maxBatch = maxBatch;
  }

  enqueue(delivery: NewDelivery): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    let results: EnqueueResult[];
    try {
      results = this.store.enqueue(batch.map((w) => w.delivery));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }
}
