// Prometheus metrics, on a registry of the instance's own (so tests can run several instances in one process).
import client from 'prom-client';

export type DeliveryResult = 'accepted' | 'duplicate' | 'unauthorized' | 'invalid' | 'ignored' | 'too_large';
export type JobOutcome = 'succeeded' | 'failed' | 'retried' | 'waiting';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(queueDepth: () => Promise<number>) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'dagwright_' });
  const deliveries = new client.Counter({
    name: 'dagwright_webhook_deliveries_total',
    help: 'Webhook deliveries received, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const jobs = new client.Counter({
    name: 'dagwright_jobs_total',
    help: 'Job runs finished, by outcome (retried: failed with a transient error and scheduled again; waiting: asked to run again later)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const jobDuration = new client.Histogram({
    name: 'dagwright_job_duration_seconds',
    help: 'Duration of one job run (one attempt)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  new client.Gauge({
    name: 'dagwright_queue_depth',
    help: 'Jobs waiting or running',
    registers: [registry],
    async collect() {
      this.set(await queueDepth());
    },
  });
  for (const result of ['accepted', 'duplicate', 'unauthorized', 'invalid', 'ignored', 'too_large'] as const) {
    deliveries.inc({ result }, 0);
  }
  for (const status of ['succeeded', 'failed', 'retried'] as const) jobs.inc({ status }, 0);

  return {
    registry,
    delivery: (result: DeliveryResult) => deliveries.inc({ result }),
    job: (status: JobOutcome, seconds: number) => {
      jobs.inc({ status });
      jobDuration.observe(seconds);
    },
  };
}
