// `dagwright doctor`'s line on the store: SQLite in DATA_DIR, or the PostgreSQL at DATABASE_URL (reachable,
// migrated, or migratable by this user). It changes nothing.
import type { ServerConfig } from '../config.ts';
import { inspectPostgresStore } from '../store/pg-inspect.ts';
import type { Check } from './doctor-network.ts';

export async function storeChecks(config: ServerConfig): Promise<Check[]> {
  if (!config.databaseUrl) return [{ status: 'ok', text: `store: SQLite in ${config.dataDir} (one process; DATABASE_URL puts it in PostgreSQL for several replicas)` }];
  const url = new URL(config.databaseUrl);
  const at = `PostgreSQL at ${url.hostname}:${url.port || 5432}`;
  try {
    const s = await inspectPostgresStore(config.databaseUrl);
    const head = `store: ${at} (server ${s.server}), ${s.where}`;
    if (s.schemaVersion === undefined) {
      return [s.mayCreate ? { status: 'ok', text: `${head}: not migrated yet; serve migrates it on start` } : { status: 'problem', text: `${head}: not migrated yet, and this user may not create tables in that schema; GRANT CREATE ON SCHEMA to it, or name a schema it owns (?options=-c search_path=…)` }];
    }
    if (s.schemaVersion > s.knownVersion) return [{ status: 'problem', text: `${head}: schema ${s.schemaVersion}, written by a newer Dagwright (this one knows ${s.knownVersion}); upgrade this one` }];
    return [{ status: 'ok', text: `${head}: schema ${s.schemaVersion}${s.schemaVersion < s.knownVersion ? ` (serve brings it to ${s.knownVersion} on start)` : ''}` }];
  } catch (err) {
    return [{ status: 'problem', text: `store: ${at}: ${(err as Error).message}` }];
  }
}
