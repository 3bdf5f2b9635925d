// Git for a job: one bare mirror per project under DATA_DIR (fetched, never cloned again) and, per job, a
// workspace on one commit of it: the files a job reads are taken out of git, its writes are committed with
// a private index, without a working tree. The token travels in an HTTP header set through the environment,
// so it is never in a URL, an argument list, a log line or a .git/config.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TransientError } from '../errors.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { isProcessAlive } from '../process-alive.ts';
import { asGitError, withGitRetries, type GitRetryPolicy } from './failures.ts';
import { holding, isLockRefusal, removeOrphanedLocks } from './locks.ts';
import { git, gitEnv, remoteEnv, runGitRaw, type GitAccess, type Identity } from './run.ts';

export type { GitAccess, Identity };


export class Mirrors {
  readonly root: string;
  private readonly access: GitAccess;
  /** Fetches of one mirror, one after the other: git refuses concurrent ref updates in one repository. */
  private readonly fetches = new KeyedQueue();
  /** Per mirror, the remote URL this process has set. */
  private readonly remoteUrls = new Map<string, string>();

  constructor(dataDir: string, access: GitAccess) {
    this.root = path.join(dataDir, 'git');
    this.access = access;
    this.removeDeadWorkspaces();
  }

  private get workspacesDir(): string {
    return path.join(this.root, 'workspaces');
  }

  /**
   * Workspaces are named after the process that made them; those of processes no longer running (a crash)
   * are removed. Our own pid counts as dead: in a container a restarted bot has the pid of the crashed one.
   */
  private removeDeadWorkspaces(): void {
    if (!fs.existsSync(this.workspacesDir)) return;
    for (const name of fs.readdirSync(this.workspacesDir)) {
      const pid = Number(name.split('-', 1)[0]);
      if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) continue;
      fs.rmSync(path.join(this.workspacesDir, name), { recursive: true, force: true });
    }
  }

  /** The project's bare mirror, created once and fetched each time (branch tips mirrored as they are remotely). */
  fetch(projectId: number, remoteUrl: string): Promise<string> {
    const dir = path.join(this.root, `${projectId}.git`);
    return this.fetches.run(dir, () => withGitRetries(() => this.fetchNow(dir, remoteUrl), this.access.retry));
  }

  private async fetchNow(dir: string, remoteUrl: string): Promise<string> {
    try {
      await this.fetchOnce(dir, remoteUrl);
    } catch (err) {
      // Locks a crashed process left: removed when nobody holds the mirror, then the fetch is tried once more.
      if (!isLockRefusal(err) || !removeOrphanedLocks(dir)) throw asGitError(err, 'fetching the repository');
      try {
        await this.fetchOnce(dir, remoteUrl);
      } catch (again) {
        throw asGitError(again, 'fetching the repository');
      }
    }
    return dir;
  }

  private fetchOnce(dir: string, remoteUrl: string): Promise<void> {
    return holding(dir, async () => {
      if (!fs.existsSync(path.join(dir, 'HEAD'))) {
        fs.mkdirSync(dir, { recursive: true });
        await git(dir, ['init', '--bare', '--quiet']);
        await git(dir, ['remote', 'add', 'origin', remoteUrl]);
      } else if (this.remoteUrls.get(dir) !== remoteUrl) {
        await git(dir, ['remote', 'set-url', 'origin', remoteUrl]);
      }
      this.remoteUrls.set(dir, remoteUrl);
      // Shallow: a job needs the branches' tips only (the merge base of a re-render is the bot's stored last
      // render, not git history), so a fetch costs the same for a repository with a long history.
      await git(dir, ['fetch', '--prune', '--quiet', '--depth=1', 'origin', '+refs/heads/*:refs/heads/*'], { extraEnv: remoteEnv(this.access, remoteUrl) });
    });
  }

  /** The commit a branch of the mirror, as last fetched, points at; undefined when there is no such branch. */
  async branchHead(mirror: string, branch: string): Promise<string | undefined> {
    const head = (await git(mirror, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], { okExitCodes: [1] })).trim();
    return head || undefined;
  }

  /** What git needs to reach the mirror's remote (its URL as this process set it, or as the mirror has it). */
  private async remoteEnvOf(mirror: string): Promise<Record<string, string>> {
    const url = this.remoteUrls.get(mirror) ?? (await git(mirror, ['remote', 'get-url', 'origin'])).trim();
    return remoteEnv(this.access, url);
  }

  /**
   * A workspace on the head of `branch` (`head`, when the caller has looked it up) for one job; `done()`
   * removes it. Nothing is taken out of git at once; a job asks for the files it reads with `checkOut`.
   */
  async workspace(mirror: string, branch: string, head?: string): Promise<Workspace> {
    const base = head ?? (await this.branchHead(mirror, branch));
    if (!base) throw new Error(`the repository has no branch ${branch}`);
    const dir = path.join(this.workspacesDir, `${process.pid}-${randomUUID()}`);
    fs.mkdirSync(dir, { recursive: true });
    return new Workspace(mirror, dir, base, () => this.remoteEnvOf(mirror), this.access.retry);
  }

  /**
   * A workspace on a branch of the project as GitLab has it now (the mirror fetched first); on `fallback`
   * when the branch does not exist yet. Undefined when neither does (an empty repository).
   */
  async checkout(projectId: number, remoteUrl: string, branch: string, fallback?: string): Promise<{ work: Workspace; onBranch: boolean } | undefined> {
    const mirror = await this.fetch(projectId, remoteUrl);
    const head = await this.branchHead(mirror, branch);
    if (head) return { work: await this.workspace(mirror, branch, head), onBranch: true };
    const fallbackHead = fallback ? await this.branchHead(mirror, fallback) : undefined;
    return fallbackHead ? { work: await this.workspace(mirror, fallback!, fallbackHead), onBranch: false } : undefined;
  }
}

/** Where a repository keeps its own template packs (read from its default branch only, when the server allows them). */
export const REPO_PACKS_PATH = '.dagwright/packs';

type TreeEntry = { mode: string; sha: string; path: string };

/** One job's view of one commit: files read out of git on demand, written files committed on top of it. */
export class Workspace {
  /** A scratch folder holding the files taken out of git and those written, at their repository paths. */
  readonly dir: string;
  private readonly mirror: string;
  private readonly remoteEnv: () => Promise<Record<string, string>>;
  private current: string;
  private readonly modes = new Map<string, string>();
  private readonly written = new Set<string>();
  private readonly retry: GitRetryPolicy | undefined;

  constructor(mirror: string, dir: string, base: string, remoteEnv: () => Promise<Record<string, string>>, retry?: GitRetryPolicy) {
    this.mirror = mirror;
    this.dir = dir;
    this.current = base;
    this.remoteEnv = remoteEnv;
    this.retry = retry;
  }

  private file(repoPath: string): string {
    const full = path.resolve(this.dir, 'files', repoPath);
    if (!full.startsWith(path.join(this.dir, 'files') + path.sep)) throw new Error(`${repoPath} is outside the repository`);
    return full;
  }

  /** The files of HEAD under these paths (files or folders), as far as they exist, taken out of git. */
  async checkOut(paths: string[]): Promise<void> {
    await this.extract(this.current, paths, (file) => this.file(file), true);
  }

  /**
   * The repository's own template packs as the head of `branch` (the default branch: never the branch a job
   * works on, which anyone with push access can change) has them, in a folder of this workspace; undefined
   * when it has none. The mirror is as fetched for this job.
   */
  async packsOf(branch: string): Promise<string | undefined> {
    const head = (await git(this.mirror, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], { okExitCodes: [1] })).trim();
    if (!head) return undefined;
    const root = path.join(this.dir, 'packs-of-default-branch');
    const found = await this.extract(head, [REPO_PACKS_PATH], (file) => {
      const full = path.resolve(root, file);
      if (!full.startsWith(root + path.sep)) throw new Error(`${file} is outside the repository`);
      return full;
    }, false);
    return found ? path.join(root, REPO_PACKS_PATH) : undefined;
  }

  /** Writes the blobs of `commit` under `paths` where `place` says; whether there were any. */
  private async extract(commit: string, paths: string[], place: (file: string) => string, remember: boolean): Promise<boolean> {
    const listing = await git(this.mirror, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...paths]);
    const entries: TreeEntry[] = [];
    for (const record of listing.split('\0').filter(Boolean)) {
      const [meta, file] = [record.slice(0, record.indexOf('\t')), record.slice(record.indexOf('\t') + 1)];
      const [mode, type, sha] = meta.split(' ');
      if (type === 'blob') entries.push({ mode: mode!, sha: sha!, path: file });
    }
    if (!entries.length) return false;
    const { stdout } = await runGitRaw(['cat-file', '--batch'], { cwd: this.mirror, env: gitEnv(), input: entries.map((e) => `${e.sha}\n`).join('') });
    let offset = 0;
    for (const entry of entries) {
      // Each object: "<sha> blob <size>\n<content>\n".
      const headerEnd = stdout.indexOf(0x0a, offset);
      const size = Number(stdout.subarray(offset, headerEnd).toString('latin1').split(' ')[2]);
      const content = stdout.subarray(headerEnd + 1, headerEnd + 1 + size);
      offset = headerEnd + 1 + size + 1;
      const target = place(entry.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
      if (remember) this.modes.set(entry.path, entry.mode);
    }
    return true;
  }

  /** The folder that stands for the repository's root: checked-out and written files are there. */
  get filesDir(): string {
    return path.join(this.dir, 'files');
  }

  /** A file as checked out (see `checkOut`) or written; undefined otherwise. */
  read(file: string): string | undefined {
    const full = this.file(file);
    return fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : undefined;
  }

  write(file: string, content: string): void {
    const full = this.file(file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
    this.written.add(file);
  }

  head(): string {
    return this.current;
  }

  /** Commits the written files on top of HEAD as `author`; undefined when that changes nothing. */
  async commit(message: string, author: Identity): Promise<string | undefined> {
    if (!this.written.size) return undefined;
    const files = [...this.written];
    const blobs = (await git(this.mirror, ['hash-object', '-w', '--no-filters', '--', ...files.map((f) => this.file(f))])).trim().split('\n');
    const index = { GIT_INDEX_FILE: path.join(this.dir, 'index') };
    await git(this.mirror, ['read-tree', this.current], { extraEnv: index });
    // A file's mode on the branch (someone made it executable) is kept.
    const info = files.map((f, i) => `${this.modes.get(f) ?? '100644'} ${blobs[i]}\t${f}\0`).join('');
    await git(this.mirror, ['update-index', '-z', '--index-info'], { extraEnv: index, input: info });
    const [tree, baseTree] = await Promise.all([
      git(this.mirror, ['write-tree'], { extraEnv: index }),
      git(this.mirror, ['rev-parse', `${this.current}^{tree}`]),
    ]);
    if (tree.trim() === baseTree.trim()) return undefined;
    const identity = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
    this.current = (await git(this.mirror, ['commit-tree', tree.trim(), '-p', this.current, '-F', '-'], { extraEnv: identity, input: message })).trim();
    return this.current;
  }

  /**
   * Pushes HEAD to a branch of the remote and confirms the remote branch now points at it, asking
   * `remoteHead` (the forge's API is quicker than another git round trip) or else `git ls-remote`.
   */
  async push(branch: string, remoteHead?: (branch: string) => Promise<string | undefined>): Promise<string> {
    const commit = this.current;
    const extraEnv = await this.remoteEnv();
    return holding(this.mirror, async () => {
      // The same commit to the same branch: pushing it again after a failure that passes changes nothing else.
      await withGitRetries(async () => {
        try {
          await git(this.mirror, ['push', '--quiet', 'origin', `${commit}:refs/heads/${branch}`], { extraEnv });
        } catch (err) {
          throw asGitError(err, `pushing ${branch}`);
        }
      }, this.retry);
      const remote = remoteHead
        ? await remoteHead(branch)
        : (await withGitRetries(() => git(this.mirror, ['ls-remote', 'origin', `refs/heads/${branch}`], { extraEnv }).catch((err) => Promise.reject(asGitError(err, `confirming ${branch}`))), this.retry)).split(/\s/)[0];
      if (remote !== commit) throw new TransientError(`the remote branch ${branch} is at ${remote || 'nothing'}, not at the pushed ${commit}`);
      // The mirror follows, so the next job starts from what was pushed.
      await git(this.mirror, ['update-ref', `refs/heads/${branch}`, commit]);
      return commit;
    });
  }

  /** A short unified diff (one line of context), cut after `maxLines`. */
  async diff(from: string, to: string, maxLines = 40): Promise<string> {
    const lines = (await git(this.mirror, ['diff', '--unified=1', '--no-color', from, to])).trimEnd().split('\n');
    return lines.length > maxLines ? [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines)`].join('\n') : lines.join('\n');
  }

  /** `git diff --stat`, its first line's leading space kept (the columns line up on it). */
  async diffStat(from: string, to: string): Promise<string> {
    return (await git(this.mirror, ['diff', '--stat', from, to])).replace(/^\n+/, '').trimEnd();
  }

  async done(): Promise<void> {
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

