// pino logger whose every line passes through the redaction function.
import { pino, type Logger } from 'pino';
import { redact, redactDeep } from './redact.ts';

export type { Logger };

function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const key of ['status', 'method', 'path', 'code'] as const) {
    const value = (err as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  if (err.cause !== undefined) out.cause = serializeError(err.cause);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'dagwright' },
      // Errors are turned into plain objects before redaction walks them (their message is not enumerable).
      formatters: {
        log: (object) =>
          redactDeep(
            Object.fromEntries(
              Object.entries(object).map(([key, value]) => [key, value instanceof Error ? serializeError(value) : value]),
            ),
          ),
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
