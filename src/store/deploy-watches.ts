// The bot's watches of merged DAGs: what it waits for Airflow to parse, what it saw on each look, and how the
// watch ended (kept so that a restarted or redelivered job reports once, and /status can say it).
import type { Db } from './db.ts';

export type DeployOutcome = 'live' | 'import_error' | 'not_seen' | 'pipeline_failed' | 'airflow_refused';

export type DeployWatch = {
  projectId: number;
  mrIid: number;
  issueIid: number;
  mergeSha: string | null;
  dagId: string;
  /** The DAG file's path in the repository. */
  dagFile: string;
  mergedAt: number;
  deadline: number;
  checks: number;
  /** What the last look found, in English (for the report when the wait runs out). */
  lastSeen: string | null;
  outcome: DeployOutcome | null;
  /** The outcome's facts (JSON): the import error, the DAG's state, the failed pipeline. */
  detail: string | null;
  reportedAt: number | null;
};

type Row = {
  project_id: number;
  mr_iid: number;
  issue_iid: number;
  merge_sha: string | null;
  dag_id: string;
  dag_file: string;
  merged_at: number;
  deadline: number;
  checks: number;
  last_seen: string | null;
  outcome: DeployOutcome | null;
  detail: string | null;
  reported_at: number | null;
};

const fromRow = (r: Row): DeployWatch => ({
  projectId: r.project_id,
  mrIid: r.mr_iid,
  issueIid: r.issue_iid,
  mergeSha: r.merge_sha,
  dagId: r.dag_id,
  dagFile: r.dag_file,
  mergedAt: r.merged_at,
  deadline: r.deadline,
  checks: r.checks,
  lastSeen: r.last_seen,
  outcome: r.outcome,
  detail: r.detail,
  reportedAt: r.reported_at,
});

export class DeployWatches {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(`
        INSERT OR IGNORE INTO deploy_watches (project_id, mr_iid, issue_iid, merge_sha, dag_id, dag_file, merged_at, deadline)
        VALUES (@projectId, @mrIid, @issueIid, @mergeSha, @dagId, @dagFile, @mergedAt, @deadline)`),
      get: db.prepare('SELECT * FROM deploy_watches WHERE project_id = ? AND mr_iid = ?'),
      bySha: db.prepare('SELECT * FROM deploy_watches WHERE project_id = ? AND merge_sha = ?'),
      latestOfIssue: db.prepare('SELECT * FROM deploy_watches WHERE project_id = ? AND issue_iid = ? ORDER BY merged_at DESC LIMIT 1'),
      looked: db.prepare('UPDATE deploy_watches SET checks = checks + 1, last_seen = ? WHERE project_id = ? AND mr_iid = ? AND outcome IS NULL'),
      end: db.prepare('UPDATE deploy_watches SET outcome = ?, detail = ? WHERE project_id = ? AND mr_iid = ? AND outcome IS NULL'),
      reported: db.prepare('UPDATE deploy_watches SET reported_at = ? WHERE project_id = ? AND mr_iid = ?'),
    };
  }

  /** Starts watching a merge; a watch already there (a redelivered merge) is kept as it is. */
  start(watch: Pick<DeployWatch, 'projectId' | 'mrIid' | 'issueIid' | 'mergeSha' | 'dagId' | 'dagFile' | 'mergedAt' | 'deadline'>): DeployWatch {
    this.statements.insert.run(watch);
    return this.get(watch.projectId, watch.mrIid)!;
  }

  get(projectId: number, mrIid: number): DeployWatch | undefined {
    const row = this.statements.get.get(projectId, mrIid) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  bySha(projectId: number, sha: string): DeployWatch | undefined {
    const row = this.statements.bySha.get(projectId, sha) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  latestOfIssue(projectId: number, issueIid: number): DeployWatch | undefined {
    const row = this.statements.latestOfIssue.get(projectId, issueIid) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  looked(watch: DeployWatch, seen: string): void {
    this.statements.looked.run(seen, watch.projectId, watch.mrIid);
  }

  /** Ends the watch with its outcome; false when it had ended already (another event got there first). */
  end(watch: DeployWatch, outcome: DeployOutcome, detail: unknown): boolean {
    return this.statements.end.run(outcome, JSON.stringify(detail), watch.projectId, watch.mrIid).changes === 1;
  }

  markReported(watch: DeployWatch, now = Date.now()): void {
    this.statements.reported.run(now, watch.projectId, watch.mrIid);
  }
}
