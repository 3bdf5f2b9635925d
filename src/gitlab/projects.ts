// What the bot needs to know of a project to work on its repository, read from GitLab's API (a webhook's
// payload may be old, forged or written for another address): its path and default branch, and where git
// reaches it. Kept a minute, so a burst of events asks once.
import { remoteUrlOf } from '../git/remote.ts';
import type { GitLabClient } from './client.ts';

export type RepositoryRef = {
  pathWithNamespace: string;
  /** The default branch; undefined for a project with an empty repository. */
  defaultBranch: string | undefined;
  /** Where git fetches and pushes: the git base (GITLAB_URL's, or GIT_URL) and the project's path. */
  remoteUrl: string;
};

const KEEP_MS = 60_000;

export class ProjectDirectory {
  private readonly gitlab: GitLabClient;
  private readonly gitBase: string;
  private readonly known = new Map<number | string, { at: number; value: Promise<RepositoryRef> }>();

  constructor(gitlab: GitLabClient, gitBase: string) {
    this.gitlab = gitlab;
    this.gitBase = gitBase;
  }

  repository(projectId: number | string, now = Date.now()): Promise<RepositoryRef> {
    const cached = this.known.get(projectId);
    if (cached && now - cached.at < KEEP_MS) return cached.value;
    const value = this.lookUp(projectId);
    this.known.set(projectId, { at: now, value });
    // A failed look-up is not kept: the next job asks again.
    value.catch(() => {
      if (this.known.get(projectId)?.value === value) this.known.delete(projectId);
    });
    return value;
  }

  private async lookUp(projectId: number | string): Promise<RepositoryRef> {
    const project = (await this.gitlab.Projects.show(projectId)) as unknown as { path_with_namespace: string; default_branch?: string | null };
    return {
      pathWithNamespace: project.path_with_namespace,
      defaultBranch: project.default_branch || undefined,
      remoteUrl: remoteUrlOf(this.gitBase, project.path_with_namespace),
    };
  }
}
