// The SQLite database: opened in WAL mode with full durability, migrated forward on open.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const migrations: string[] = [
  `
  CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    meaning_key     TEXT UNIQUE,
    event_header    TEXT NOT NULL,
    event_uuid      TEXT,
    webhook_uuid    TEXT,
    names           TEXT NOT NULL,
    resource_key    TEXT NOT NULL,
    project_id      INTEGER NOT NULL,
    confidential    INTEGER NOT NULL DEFAULT 0,
    body            TEXT NOT NULL,
    received_at     INTEGER NOT NULL
  );
  CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    resource_key     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_after        INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
  );
  CREATE INDEX jobs_active_by_key ON jobs (resource_key, id) WHERE status IN ('queued', 'running');
  CREATE INDEX jobs_queued ON jobs (id) WHERE status = 'queued';
  CREATE INDEX jobs_queued_due ON jobs (run_after) WHERE status = 'queued';
  CREATE INDEX jobs_running ON jobs (lease_expires_at) WHERE status = 'running';
  CREATE INDEX jobs_of_delivery ON jobs (delivery_id);
  CREATE INDEX deliveries_received ON deliveries (received_at);
  CREATE TABLE bot_notes (
    resource_key TEXT NOT NULL,
    kind         TEXT NOT NULL,
    note_id      INTEGER NOT NULL,
    PRIMARY KEY (resource_key, kind)
  );
  CREATE TABLE reported_problems (
    scope       TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (scope, fingerprint)
  );
  `,
  `
  CREATE TABLE conversations (
    resource_key TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
  );
  `,
  // Control jobs (/cancel) in their own lanes, found without walking the whole queue.
  `
  CREATE INDEX jobs_queued_control ON jobs (id) WHERE status = 'queued' AND resource_key GLOB '*~control';
  `,
  // After a merge, the bot waits for Airflow to parse the DAG: one watch per merged merge request.
  `
  CREATE TABLE deploy_watches (
    project_id  INTEGER NOT NULL,
    mr_iid      INTEGER NOT NULL,
    issue_iid   INTEGER NOT NULL,
    merge_sha   TEXT,
    dag_id      TEXT NOT NULL,
    dag_file    TEXT NOT NULL,
    merged_at   INTEGER NOT NULL,
    deadline    INTEGER NOT NULL,
    checks      INTEGER NOT NULL DEFAULT 0,
    last_seen   TEXT,
    outcome     TEXT,
    detail      TEXT,
    reported_at INTEGER,
    PRIMARY KEY (project_id, mr_iid)
  );
  CREATE INDEX deploy_watches_by_sha ON deploy_watches (project_id, merge_sha);
  CREATE INDEX deploy_watches_by_issue ON deploy_watches (project_id, issue_iid);
  `,
  // /retry runs a failed job's delivery again in a job of its own; the failed one then points at it.
  `
  ALTER TABLE jobs ADD COLUMN retried_by INTEGER;
  CREATE INDEX jobs_failed_by_key ON jobs (resource_key, id) WHERE status = 'failed';
  `,
];

export type Databases = {
  /** Commits reach the disk before they return: deliveries are stored here. */
  durable: Db;
  /**
   * The same database through a connection that does not wait for the disk on commit (WAL, synchronous =
   * NORMAL): leases, job outcomes, remembered note ids. A power cut can undo its last commits, and then a
   * job runs again (handlers converge: they look before they create); it can never lose a delivery.
   */
  bookkeeping: Db;
};

function connect(file: string, synchronous: 'FULL' | 'NORMAL'): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

export function openDatabases(dataDir: string, fileName = 'dagwright.db'): Databases {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, fileName);
  const durable = connect(file, 'FULL');
  migrate(durable);
  return { durable, bookkeeping: connect(file, 'NORMAL') };
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `The database was written by a newer Dagwright (schema ${current}, this one knows ${migrations.length}); ` +
        'upgrade Dagwright or point DATA_DIR elsewhere.',
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
