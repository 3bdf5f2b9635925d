// The process that holds a read-only SQLite connection (see sqlite.ts): one call at a time, over IPC.
import type { SourceInspector } from './types.ts';
import { sqliteInspection } from './sqlite.ts';

let inspection: SourceInspector | undefined;
let openError: { message: string; code?: string } | undefined;
try {
  inspection = sqliteInspection(process.argv[2]!);
} catch (err) {
  openError = { message: (err as Error).message, code: (err as { code?: string }).code };
}

process.on('message', async ({ id, method, args }: { id: number; method: keyof SourceInspector; args: unknown[] }) => {
  if (!inspection) return process.send!({ id, error: openError });
  try {
    process.send!({ id, result: await (inspection[method] as (...a: unknown[]) => Promise<unknown>)(...args) });
  } catch (err) {
    process.send!({ id, error: { message: (err as Error).message, code: (err as { code?: string }).code } });
  }
});
// The bot is gone: so is this process.
process.on('disconnect', () => process.exit(0));
