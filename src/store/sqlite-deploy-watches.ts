// The deploy watches in the SQLite store.
import type { Db } from './db.ts';
import { deployWatchFromRow, type DeployOutcome, type DeployWatch, type DeployWatchRow, type DeployWatches, type NewDeployWatch } from './deploy-watches.ts';

export class SqliteDeployWatches implements DeployWatches {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(`
        INSERT OR IGNORE INTO deploy_watches (project_id, mr_iid, issue_iid, merge_sha, dag_id, dag_file, merged_at, deadline)
        VALUES (@projectId, @mrIid, @issueIid, @mergeSha, @dagId, @dagFile, @mergedAt, @deadline)`),
      get: db.prepare('SELECT * FROM deploy_watches WHERE project_id = ? AND mr_iid = ?'),
      bySha: db.prepare('SELECT * FROM deploy_watches WHERE project_id = ? AND merge_sha = ?'),
      looked: db.prepare('UPDATE deploy_watches SET checks = checks + 1, last_seen = ? WHERE project_id = ? AND mr_iid = ? AND outcome IS NULL'),
      end: db.prepare('UPDATE deploy_watches SET outcome = ?, detail = ? WHERE project_id = ? AND mr_iid = ? AND outcome IS NULL'),
      reported: db.prepare('UPDATE deploy_watches SET reported_at = ? WHERE project_id = ? AND mr_iid = ?'),
    };
  }

  async start(watch: NewDeployWatch): Promise<DeployWatch> {
    this.statements.insert.run(watch);
    return (await this.get(watch.projectId, watch.mrIid))!;
  }

  async get(projectId: number, mrIid: number): Promise<DeployWatch | undefined> {
    const row = this.statements.get.get(projectId, mrIid) as DeployWatchRow | undefined;
    return row ? deployWatchFromRow(row) : undefined;
  }

  async bySha(projectId: number, sha: string): Promise<DeployWatch | undefined> {
    const row = this.statements.bySha.get(projectId, sha) as DeployWatchRow | undefined;
    return row ? deployWatchFromRow(row) : undefined;
  }


  async looked(watch: DeployWatch, seen: string): Promise<void> {
    this.statements.looked.run(seen, watch.projectId, watch.mrIid);
  }

  async end(watch: DeployWatch, outcome: DeployOutcome, detail: unknown): Promise<boolean> {
    return this.statements.end.run(outcome, JSON.stringify(detail), watch.projectId, watch.mrIid).changes === 1;
  }

  async markReported(watch: DeployWatch, now = Date.now()): Promise<void> {
    this.statements.reported.run(now, watch.projectId, watch.mrIid);
  }
}
