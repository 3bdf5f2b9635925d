// Publishing to GitLab: a bot branch worked on in a workspace, committed, pushed and confirmed, and its merge
// request found or made (looked up by source branch before one is made). It takes what it needs (the GitLab client, the mirrors, the project, the bot's
// identity), not a job's whole Context. Every step converges when run again after a crash: the branch is
// pushed to the same name, the merge request is looked up before one is made, an unchanged tree is no commit.
import type { Identity, Mirrors, Workspace } from '../git/repository.ts';
import { mergeFile } from '../git/merge-file.ts';
import type { GitLabClient } from '../gitlab/client.ts';
import type { RepositoryRef } from '../gitlab/projects.ts';
import { isGitLabError } from '../gitlab/client.ts';
import { prepareComment } from '../gitlab/comments.ts';

// ---- the bot's branches and commits

/** The branch of an issue's pipeline: `<branch_prefix><iid>-<dag_id>`. */
export function pipelineBranch(prefix: string, issueIid: number, dagId: string): string {
  return `${prefix}${issueIid}-${dagId}`;
}

/** The branch of /init's merge request. */
export function setupBranch(prefix: string): string {
  return `${prefix}init`;
}

/** The issue a pipeline branch belongs to, or undefined for a branch the bot did not make. */
export function issueOfBranch(branch: string, prefix: string): number | undefined {
  if (!branch.startsWith(prefix)) return undefined;
  const iid = branch.slice(prefix.length).match(/^(\d+)-[a-z][a-z0-9_]*$/)?.[1];
  return iid ? Number(iid) : undefined;
}

/** A commit message: its subject, an optional body, and the `Dagwright-Issue:` trailer naming the issue. */
export function commitMessage(subject: string, issue: { project: string; iid: number }, body?: string): string {
  return [subject, ...(body ? [body] : []), `Dagwright-Issue: ${issue.project}#${issue.iid}`].join('\n\n');
}

// ---- merge requests of the bot's branches

export type MergeRequestRef = { iid: number; web_url: string; state: string; description?: string | null };

/** The branch's merge request: the open one (`opened`), or the newest in any state (`latest`). */
export async function findMergeRequest(gitlab: GitLabClient, projectId: number, branch: string, which: 'opened' | 'latest'): Promise<MergeRequestRef | undefined> {
  const found =
    which === 'opened'
      ? await gitlab.MergeRequests.all({ projectId, sourceBranch: branch, state: 'opened' })
      : await gitlab.MergeRequests.all({ projectId, sourceBranch: branch, orderBy: 'created_at', sort: 'desc', perPage: 1, maxPages: 1 });
  return (found as unknown as MergeRequestRef[])[0];
}

/** The open merge request of the branch, its description updated; or a new one (a 409: another job just made it). */
export async function upsertMergeRequest(
  gitlab: GitLabClient,
  projectId: number,
  mr: { branch: string; target: string; title: string; description: string; labels: string[] },
): Promise<{ mergeRequest: MergeRequestRef; created: boolean }> {
  // GitLab runs quick actions in a description written through the API, as the bot: none may be there.
  mr = { ...mr, description: prepareComment(mr.description) };
  let existing = await findMergeRequest(gitlab, projectId, mr.branch, 'opened');
  if (!existing) {
    try {
      const created = (await gitlab.MergeRequests.create(projectId, mr.branch, mr.target, mr.title, {
        description: mr.description,
        labels: mr.labels.join(',') || undefined,
        removeSourceBranch: true,
      })) as unknown as MergeRequestRef;
      return { mergeRequest: created, created: true };
    } catch (err) {
      if (!isGitLabError(err, 409)) throw err;
      existing = await findMergeRequest(gitlab, projectId, mr.branch, 'opened');
      if (!existing) throw err;
    }
  }
  if (existing.description !== mr.description) await gitlab.MergeRequests.edit(projectId, existing.iid, { description: mr.description });
  return { mergeRequest: existing, created: false };
}

/** The commit a branch points at in GitLab, or undefined when there is no such branch. */
export async function remoteHead(gitlab: GitLabClient, projectId: number, branch: string): Promise<string | undefined> {
  try {
    return ((await gitlab.Branches.show(projectId, branch)) as { commit: { id: string } }).commit.id;
  } catch (err) {
    if (isGitLabError(err, 404)) return undefined;
    throw err;
  }
}

// ---- a branch worked on, committed, pushed

export type PublishTarget = { gitlab: GitLabClient; mirrors: Mirrors; projectId: number; repository: RepositoryRef; identity: Identity };

export type FileChange = { path: string; content: string };
export type MergeConflict = { path: string; lines: number[] };

export class BranchWork {
  readonly branch: string;
  /** Whether the branch is not in GitLab yet (the work starts from the default branch). */
  readonly isNew: boolean;
  /** The commit the work started from. */
  readonly startedAt: string;
  private readonly target: PublishTarget;
  private readonly work: Workspace;

  private constructor(target: PublishTarget, branch: string, work: Workspace, isNew: boolean) {
    this.target = target;
    this.branch = branch;
    this.work = work;
    this.isNew = isNew;
    this.startedAt = work.head();
  }

  /**
   * Work on `branch` as GitLab has it now; with `fromDefaultBranch`, a branch that does not exist yet starts
   * from the default branch. Undefined when there is nothing to start from.
   */
  static async open(target: PublishTarget, branch: string, options: { fromDefaultBranch: boolean }): Promise<BranchWork | undefined> {
    const { projectId, repository, mirrors } = target;
    const fallback = options.fromDefaultBranch ? repository.defaultBranch : undefined;
    const checkout = await mirrors.checkout(projectId, repository.remoteUrl, branch, fallback);
    return checkout && new BranchWork(target, branch, checkout.work, !checkout.onBranch);
  }

  /** The repository's own template packs, from its default branch (never from this branch); undefined without any. */
  repositoryPacks(): Promise<string | undefined> {
    const defaultBranch = this.target.repository.defaultBranch;
    return defaultBranch ? this.work.packsOf(defaultBranch) : Promise.resolve(undefined);
  }

  checkOut(paths: string[]): Promise<void> {
    return this.work.checkOut(paths);
  }

  read(path: string): string | undefined {
    return this.work.read(path);
  }

  write(path: string, content: string): void {
    this.work.write(path, content);
  }

  /**
   * Writes a new render, each file merged three-way with what people changed on the branch since `lastRender`
   * (the bot's previous render of it). Nothing is written when a file's changes disagree.
   */
  async writeRender(files: readonly FileChange[], lastRender: Record<string, string> | undefined): Promise<{ conflicts: MergeConflict[] }> {
    await this.work.checkOut(files.map((f) => f.path));
    const conflicts: MergeConflict[] = [];
    const merged: FileChange[] = [];
    for (const file of files) {
      const onBranch = this.work.read(file.path);
      const base = lastRender?.[file.path];
      if (onBranch === undefined || base === undefined) {
        merged.push(file);
        continue;
      }
      const result = await mergeFile(base, onBranch, file.content, this.work.dir);
      if ('conflicts' in result) conflicts.push({ path: file.path, lines: result.conflicts });
      else merged.push({ path: file.path, content: result.merged });
    }
    if (!conflicts.length) for (const file of merged) this.work.write(file.path, file.content);
    return { conflicts };
  }

  /** Commits what was written, with the issue's trailer; undefined when nothing changed. */
  commit(subject: string, issueIid: number, body?: string): Promise<string | undefined> {
    const message = commitMessage(subject, { project: this.target.repository.pathWithNamespace, iid: issueIid }, body);
    return this.work.commit(message, this.target.identity);
  }

  /** Pushes the branch and confirms GitLab has it at the pushed commit (a new branch is pushed even unchanged). */
  async push(): Promise<void> {
    const { gitlab, projectId } = this.target;
    await this.work.push(this.branch, (name) => remoteHead(gitlab, projectId, name));
  }

  diff(from: string, to: string): Promise<string> {
    return this.work.diff(from, to);
  }

  diffStat(from: string, to: string): Promise<string> {
    return this.work.diffStat(from, to);
  }

  /** The branch's open merge request into the default branch, its description brought up to date; or a new one. */
  mergeRequest(mr: { title: string; description: string; labels: string[] }): Promise<{ mergeRequest: MergeRequestRef; created: boolean }> {
    const { gitlab, projectId, repository } = this.target;
    if (!repository.defaultBranch) throw new Error(`the repository of ${repository.pathWithNamespace} has no default branch to merge into`);
    return upsertMergeRequest(gitlab, projectId, { ...mr, branch: this.branch, target: repository.defaultBranch });
  }

  done(): Promise<void> {
    return this.work.done();
  }
}
