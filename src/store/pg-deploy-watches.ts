// The deploy watches in the PostgreSQL store.
import type pg from 'pg';
import { deployWatchFromRow, type DeployOutcome, type DeployWatch, type DeployWatchRow, type DeployWatches, type NewDeployWatch } from './deploy-watches.ts';
import { pgQuery } from './pg-transaction.ts';

export class PgDeployWatches implements DeployWatches {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async start(w: NewDeployWatch): Promise<DeployWatch> {
    await this.pool.query(
      `INSERT INTO deploy_watches (project_id, mr_iid, issue_iid, merge_sha, dag_id, dag_file, merged_at, deadline)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [w.projectId, w.mrIid, w.issueIid, w.mergeSha, w.dagId, w.dagFile, w.mergedAt, w.deadline],
    );
    return (await this.get(w.projectId, w.mrIid))!;
  }

  async get(projectId: number, mrIid: number): Promise<DeployWatch | undefined> {
    return this.one('SELECT * FROM deploy_watches WHERE project_id = $1 AND mr_iid = $2', [projectId, mrIid]);
  }

  async bySha(projectId: number, sha: string): Promise<DeployWatch | undefined> {
    return this.one('SELECT * FROM deploy_watches WHERE project_id = $1 AND merge_sha = $2', [projectId, sha]);
  }


  async looked(watch: DeployWatch, seen: string): Promise<void> {
    await this.pool.query('UPDATE deploy_watches SET checks = checks + 1, last_seen = $1 WHERE project_id = $2 AND mr_iid = $3 AND outcome IS NULL', [seen, watch.projectId, watch.mrIid]);
  }

  async end(watch: DeployWatch, outcome: DeployOutcome, detail: unknown): Promise<boolean> {
    const result = await this.pool.query('UPDATE deploy_watches SET outcome = $1, detail = $2 WHERE project_id = $3 AND mr_iid = $4 AND outcome IS NULL', [outcome, JSON.stringify(detail), watch.projectId, watch.mrIid]);
    return result.rowCount === 1;
  }

  async markReported(watch: DeployWatch, now = Date.now()): Promise<void> {
    await this.pool.query('UPDATE deploy_watches SET reported_at = $1 WHERE project_id = $2 AND mr_iid = $3', [now, watch.projectId, watch.mrIid]);
  }

  private async one(sql: string, params: unknown[]): Promise<DeployWatch | undefined> {
    const row = (await pgQuery<DeployWatchRow>(this.pool, sql, params))[0];
    return row ? deployWatchFromRow(row) : undefined;
  }
}
