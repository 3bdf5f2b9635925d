// Group commit: deliveries that arrive while the store is busy are stored together in the next transaction,
// so a burst costs one disk sync (one round trip, on PostgreSQL) instead of one per delivery. One transaction
// at a time keeps the jobs in arrival order. Each caller still hears back only after the transaction holding
// its delivery is durable.
import type { EnqueueResult, NewDelivery, Store } from './store.ts';

type Waiting = { delivery: NewDelivery; resolve: (result: EnqueueResult) => void; reject: (err: unknown) => void };

export class GroupCommit {
  private readonly store: Store;
  private readonly maxBatch: number;
  private waiting: Waiting[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(store: Store, maxBatch = 1_000) {
    this.store = store;
    this.maxBatch = maxBatch;
  }

  enqueue(delivery: NewDelivery): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.flushing || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.maxBatch);
    this.flushing = true;
    this.store
      .enqueue(batch.map((w) => w.delivery))
      .then(
        (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
        (err) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.flushing = false;
        this.flush();
      });
  }
}
