// The process that holds a read-only SQLite connection (see sqlite.ts): one call at a time, over IPC.
import { answerRequests } from '../child-rpc.ts';
import type { SourceInspector } from './types.ts';
import { sqliteInspection } from './sqlite.ts';

let inspection: SourceInspector | undefined;
let openError: Error | undefined;
try {
  inspection = sqliteInspection(process.argv[2]!);
} catch (err) {
  openError = err as Error;
}

answerRequests(({ method, args }) => {
  if (!inspection) throw openError;
  return (inspection[method as keyof SourceInspector] as (...a: unknown[]) => Promise<unknown>)(...(args as unknown[]));
});
