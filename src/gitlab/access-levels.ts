// A user's access level on a project, from GitLab's members API (inherited memberships included), cached briefly.
import { LRUCache } from 'lru-cache';
import { AccessLevel } from '../pipeline-spec/roles.ts';
import { isGitLabError, type GitLabClient } from './client.ts';

export class AccessLevels {
  private readonly gitlab: GitLabClient;
  private readonly cache: LRUCache<string, number>;

  constructor(gitlab: GitLabClient, ttlMs = 60_000) {
    this.gitlab = gitlab;
    this.cache = new LRUCache({ max: 5_000, ttl: ttlMs });
  }

  /**
   * `fresh`: asked of GitLab now, not taken from the cache — for every decision that lets someone make the bot
   * write (a role removed a second ago no longer counts); the cache serves notices only.
   */
  async levelOf(projectId: number, userId: number, options: { fresh?: boolean } = {}): Promise<number> {
    const key = `${projectId}:${userId}`;
    const cached = options.fresh ? undefined : this.cache.get(key);
    if (cached !== undefined) return cached;
    let level: number;
    try {
      const member = (await this.gitlab.ProjectMembers.show(projectId, userId, { includeInherited: true })) as {
        access_level?: number;
        state?: string;
      };
      level = member.state && member.state !== 'active' ? AccessLevel.none : (member.access_level ?? AccessLevel.none);
    } catch (err) {
      if (!isGitLabError(err, 404)) throw err;
      level = AccessLevel.none;
    }
    this.cache.set(key, level);
    return level;
  }
}
