// Opens the store the configuration names: PostgreSQL at DATABASE_URL (migrated on open), else SQLite in
// DATA_DIR.
import type { Logger } from '../log.ts';
import { openDatabases } from './db.ts';
import { PgStore } from './pg-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export async function openStore(config: { dataDir: string; databaseUrl?: string }, log: Logger): Promise<Store> {
  if (!config.databaseUrl) return new SqliteStore(openDatabases(config.dataDir));
  return PgStore.open({
    connectionString: config.databaseUrl,
    onError: (err) => log.warn({ err }, 'a PostgreSQL connection of the store broke; the pool opens another'),
  });
}
