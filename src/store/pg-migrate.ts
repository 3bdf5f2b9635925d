// The PostgreSQL schema (DATABASE_URL, for several replicas on one database) and its one migration runner:
// every replica runs it on start; a transaction-scoped advisory lock makes the ones that start together wait
// for the first, which then finds nothing left to do. The tables mirror the SQLite store's (db.ts).
import type { Pool } from 'pg';
import { checkout } from './pg-transaction.ts';

/** Taken by the migration runner for the length of its transaction ("dagwright" in ASCII, as a bigint). */
const MIGRATION_LOCK = 0x6461677772696768n;

export const PG_MIGRATIONS: string[] = [
  `
  CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    meaning_key     TEXT UNIQUE,
    event_header    TEXT NOT NULL,
    event_uuid      TEXT,
    webhook_uuid    TEXT,
    names           TEXT NOT NULL,
    resource_key    TEXT NOT NULL,
    project_id      BIGINT NOT NULL,
    confidential    BOOLEAN NOT NULL DEFAULT false,
    body            TEXT NOT NULL,
    received_at     BIGINT NOT NULL
  );
  CREATE TABLE jobs (
    id               BIGSERIAL PRIMARY KEY,
    delivery_id      BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    resource_key     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_after        BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    retried_by       BIGINT
  );
  CREATE INDEX jobs_active_by_key ON jobs (resource_key, id) WHERE status IN ('queued', 'running');
  CREATE INDEX jobs_queued ON jobs (id) WHERE status = 'queued';
  CREATE INDEX jobs_queued_due ON jobs (run_after) WHERE status = 'queued';
  CREATE INDEX jobs_running ON jobs (lease_expires_at) WHERE status = 'running';
  CREATE INDEX jobs_of_delivery ON jobs (delivery_id);
  CREATE INDEX jobs_failed_by_key ON jobs (resource_key, id) WHERE status = 'failed';
  CREATE INDEX jobs_queued_control ON jobs (id) WHERE status = 'queued' AND resource_key LIKE '%~control';
  CREATE INDEX deliveries_received ON deliveries (received_at);
  CREATE TABLE bot_notes (
    resource_key TEXT NOT NULL,
    kind         TEXT NOT NULL,
    note_id      BIGINT NOT NULL,
    PRIMARY KEY (resource_key, kind)
  );
  CREATE TABLE reported_problems (
    scope       TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (scope, fingerprint)
  );
  CREATE TABLE conversations (
    resource_key TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
  );
  CREATE TABLE deploy_watches (
    project_id  BIGINT NOT NULL,
    mr_iid      BIGINT NOT NULL,
    issue_iid   BIGINT NOT NULL,
    merge_sha   TEXT,
    dag_id      TEXT NOT NULL,
    dag_file    TEXT NOT NULL,
    merged_at   BIGINT NOT NULL,
    deadline    BIGINT NOT NULL,
    checks      INTEGER NOT NULL DEFAULT 0,
    last_seen   TEXT,
    outcome     TEXT,
    detail      TEXT,
    reported_at BIGINT,
    PRIMARY KEY (project_id, mr_iid)
  );
  CREATE INDEX deploy_watches_by_sha ON deploy_watches (project_id, merge_sha);
  CREATE INDEX deploy_watches_by_issue ON deploy_watches (project_id, issue_iid);
  `,
];

export class NewerSchemaError extends Error {
  constructor(found: number, known: number) {
    super(`The database was migrated by a newer Dagwright (schema ${found}, this one knows ${known}): upgrade Dagwright, or point DATABASE_URL elsewhere`);
    this.name = 'NewerSchemaError';
  }
}

/**
 * Brings the database's schema (the connection's search_path) up to date, in one transaction under an advisory
 * lock; returns the versions this call applied (none when another replica had done it).
 */
export async function migratePostgres(pool: Pool, migrations: readonly string[] = PG_MIGRATIONS): Promise<number[]> {
  const client = await checkout(pool);
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
      await client.query('CREATE TABLE IF NOT EXISTS dagwright_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM dagwright_schema');
      const current = rows[0]?.version ?? 0;
      if (current > migrations.length) throw new NewerSchemaError(current, migrations.length);
      const applied: number[] = [];
      for (let version = current + 1; version <= migrations.length; version++) {
        await client.query(migrations[version - 1]!);
        await client.query('INSERT INTO dagwright_schema (version) VALUES ($1)', [version]);
        applied.push(version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}
