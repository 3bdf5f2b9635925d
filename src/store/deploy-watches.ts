// The bot's watches of merged DAGs: what it waits for Airflow to parse, what it saw on each look, and how the
// watch ended (kept so that a restarted or redelivered job reports once, and /status can say it).
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

export type DeployWatchRow = {
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

export const deployWatchFromRow = (r: DeployWatchRow): DeployWatch => ({
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

export type NewDeployWatch = Pick<DeployWatch, 'projectId' | 'mrIid' | 'issueIid' | 'mergeSha' | 'dagId' | 'dagFile' | 'mergedAt' | 'deadline'>;

export interface DeployWatches {
  /** Starts watching a merge; a watch already there (a redelivered merge) is kept as it is. */
  start(watch: NewDeployWatch): Promise<DeployWatch>;
  get(projectId: number, mrIid: number): Promise<DeployWatch | undefined>;
  bySha(projectId: number, sha: string): Promise<DeployWatch | undefined>;
  looked(watch: DeployWatch, seen: string): Promise<void>;
  /** Ends the watch with its outcome; false when it had ended already (another event got there first). */
  end(watch: DeployWatch, outcome: DeployOutcome, detail: unknown): Promise<boolean>;
  markReported(watch: DeployWatch, now?: number): Promise<void>;
}
