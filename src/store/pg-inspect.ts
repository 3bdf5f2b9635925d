// What a PostgreSQL store looks like from outside, without changing it (for `dagwright doctor`): the server's
// version, the schema version the bot's migrations reached, and whether the user may create its tables.
import pg from 'pg';
import { PG_MIGRATIONS } from './pg-migrate.ts';

export type PgStoreState = { server: string; where: string; schemaVersion: number | undefined; knownVersion: number; mayCreate: boolean };

export async function inspectPostgresStore(connectionString: string): Promise<PgStoreState> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, application_name: 'dagwright doctor' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; db: string; schema: string | null; may_create: boolean | null; table: string | null }>(
      `SELECT current_setting('server_version') AS version, current_database() AS db, current_schema() AS schema,
              CASE WHEN current_schema() IS NULL THEN NULL ELSE has_schema_privilege(current_schema(), 'CREATE') END AS may_create,
              to_regclass('dagwright_schema')::text AS table`,
    );
    const row = rows[0]!;
    const version = row.table ? (await client.query<{ v: number | null }>('SELECT max(version) AS v FROM dagwright_schema')).rows[0]?.v ?? undefined : undefined;
    return { server: row.version, where: `${row.db}.${row.schema ?? '(no schema in search_path)'}`, schemaVersion: version ?? undefined, knownVersion: PG_MIGRATIONS.length, mayCreate: row.may_create === true };
  } finally {
    await client.end().catch(() => undefined);
  }
}
