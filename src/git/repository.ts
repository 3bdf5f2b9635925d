// Git for a job: one bare mirror per project under DATA_DIR (fetched, never cloned again), a worktree per
// job, a commit as the bot, a push. The token travels in an HTTP header set through the environment, so it
// is never in a URL, an argument list, a log line or a .git/config.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { TransientError } from '../errors.ts';
import { isProcessAlive } from '../process-alive.ts';

export type GitAuth = { token: string };
export type Identity = { name: string; email: string };

/** Git's own configuration through the environment (GIT_CONFIG_COUNT): nothing lands in a config file. */
function authEnv(auth: GitAuth): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`oauth2:${auth.token}`).toString('base64')}`,
    GIT_TERMINAL_PROMPT: '0',
  };
}

function git(dir: string, auth?: GitAuth, extra: Record<string, string> = {}): SimpleGit {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key]!;
  // GIT_CONFIG_COUNT is refused by simple-git unless allowed: here its one key is ours (http.extraHeader).
  return simpleGit({
    baseDir: dir,
    maxConcurrentProcesses: 2,
    unsafe: { allowUnsafeConfigEnvCount: true },
    allowEnvironment: ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0', 'GIT_TERMINAL_PROMPT', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'],
  }).env({ ...env, ...(auth ? authEnv(auth) : {}), ...extra });
}

/** A network or server failure of git is worth another try; a refusal (auth, protected branch) is not. */
function asGitError(err: unknown, what: string): Error {
  const message = (err as Error).message ?? String(err);
  // A lock held by another process (or left by a crash, until it is stale) passes too.
  if (/(Could not resolve host|Connection refused|Connection reset|timed out|The requested URL returned error: 5\d\d|RPC failed|early EOF|unexpected disconnect|\.lock': File exists|cannot lock ref)/i.test(message)) {
    return new TransientError(`${what} failed: ${message.split('\n')[0]}`, { cause: err });
  }
  return new Error(`${what} failed: ${message.split('\n').filter(Boolean).slice(0, 3).join(' ')}`, { cause: err });
}

const STALE_LOCK_MS = 120_000;

export class Mirrors {
  readonly root: string;
  private readonly auth: GitAuth;
  /** Per mirror, the tail of its queue of fetches: git refuses concurrent ref updates in one repository. */
  private readonly fetching = new Map<string, Promise<unknown>>();
  private readonly cleaned = new Set<string>();

  constructor(dataDir: string, auth: GitAuth) {
    this.root = path.join(dataDir, 'git');
    this.auth = auth;
    this.removeDeadWorktrees();
  }

  /**
   * Worktrees are named after the process that made them; those of processes no longer running (a crash)
   * are removed. Our own pid counts as dead: in a container a restarted bot has the pid of the crashed one.
   */
  private removeDeadWorktrees(): void {
    const dir = path.join(this.root, 'worktrees');
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir)) {
      const pid = Number(name.split('-', 1)[0]);
      if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) continue;
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }

  /** The project's bare mirror, created once and fetched each time (branch tips mirrored as they are remotely). */
  fetch(projectId: number, remoteUrl: string): Promise<string> {
    const dir = path.join(this.root, `${projectId}.git`);
    const run = (this.fetching.get(dir) ?? Promise.resolve()).catch(() => undefined).then(() => this.fetchNow(dir, remoteUrl));
    this.fetching.set(dir, run);
    return run;
  }

  private async fetchNow(dir: string, remoteUrl: string): Promise<string> {
    if (!fs.existsSync(path.join(dir, 'HEAD'))) {
      fs.mkdirSync(dir, { recursive: true });
      await git(dir).raw(['init', '--bare', '--quiet']);
      await git(dir).raw(['remote', 'add', 'origin', remoteUrl]);
    } else {
      if (!this.cleaned.has(dir)) await this.removeLeftovers(dir);
      await git(dir).raw(['remote', 'set-url', 'origin', remoteUrl]);
    }
    this.cleaned.add(dir);
    try {
      // Shallow: a job needs the branches' tips only (the merge base of a re-render is the bot's stored last
      // render, not git history), so a fetch costs the same for a repository with a long history.
      await git(dir, this.auth).raw(['fetch', '--prune', '--quiet', '--depth=1', 'origin', '+refs/heads/*:refs/heads/*']);
    } catch (err) {
      throw asGitError(err, 'fetching the repository');
    }
    return dir;
  }

  /**
   * A process killed in the middle of a fetch leaves lock files that would refuse every later one. A lock
   * older than STALE_LOCK_MS is such a leftover (a fetch of branch tips holds one for seconds); a younger one
   * may be another process's (`dagwright replay` beside `serve`), and makes the fetch fail as transient.
   */
  private async removeLeftovers(dir: string): Promise<void> {
    // Git's locks sit beside what they guard: at the top (shallow, packed-refs, config, HEAD) or under refs/.
    const entries = [...fs.readdirSync(dir, { withFileTypes: true }), ...(fs.readdirSync(path.join(dir, 'refs'), { recursive: true, withFileTypes: true }) as fs.Dirent[])];
    const locks = entries.filter((e) => e.isFile() && e.name.endsWith('.lock'));
    for (const lock of locks) {
      const file = path.join(lock.parentPath, lock.name);
      if (Date.now() - fs.statSync(file).mtimeMs > STALE_LOCK_MS) fs.rmSync(file, { force: true });
    }
    await git(dir).raw(['worktree', 'prune']);
  }

  /** Whether the mirror, as last fetched, has this branch. */
  async hasBranch(mirror: string, branch: string): Promise<boolean> {
    return (await git(mirror).raw(['for-each-ref', '--count=1', '--format=x', `refs/heads/${branch}`])).trim() === 'x';
  }

  /**
   * A worktree of `startRef` for one job; `done()` removes it. Only the repository's template packs are
   * checked out (and later the files a job touches, with `checkOut`): the index holds the whole tree, so
   * commits are whole, but a job does not write the repository's thousands of other files to disk.
   */
  async worktree(mirror: string, startRef: string): Promise<Worktree> {
    const dir = path.join(this.root, 'worktrees', `${process.pid}-${randomUUID()}`);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await git(mirror).raw(['worktree', 'add', '--no-checkout', '--detach', '--quiet', dir, startRef]);
    await git(dir).raw(['read-tree', 'HEAD']);
    const work = new Worktree(mirror, dir, this.auth);
    await work.checkOut(['.dagwright/packs']);
    return work;
  }
}

export class Worktree {
  readonly dir: string;
  private readonly mirror: string;
  private readonly auth: GitAuth;

  constructor(mirror: string, dir: string, auth: GitAuth) {
    this.mirror = mirror;
    this.dir = dir;
    this.auth = auth;
  }

  /** Writes these paths (files or folders) of HEAD to disk, those that exist. */
  async checkOut(paths: string[]): Promise<void> {
    const existing = (await git(this.dir).raw(['ls-tree', '--name-only', 'HEAD', '--', ...paths])).split('\n').filter(Boolean);
    if (existing.length) await git(this.dir).raw(['checkout', 'HEAD', '--', ...existing]);
  }

  /** A file of the worktree; of HEAD only when checked out first (see `checkOut`). */
  read(file: string): string | undefined {
    const full = path.join(this.dir, file);
    return fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : undefined;
  }

  write(file: string, content: string): void {
    const full = path.join(this.dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }

  async head(): Promise<string> {
    return (await git(this.dir).raw(['rev-parse', 'HEAD'])).trim();
  }

  /** Commits the given paths as `author`; undefined when nothing changed. */
  async commit(paths: string[], message: string, author: Identity): Promise<string | undefined> {
    const identity = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
    const g = git(this.dir, undefined, identity);
    await g.raw(['add', '--', ...paths]);
    const staged = (await g.raw(['diff', '--cached', '--name-only'])).trim();
    if (!staged) return undefined;
    await g.raw(['commit', '--quiet', '--no-verify', '-m', message]);
    return this.head();
  }

  /**
   * Pushes HEAD to a branch of the remote and confirms the remote branch now points at it, asking
   * `remoteHead` (the forge's API is quicker than another git round trip) or else `git ls-remote`.
   */
  async push(branch: string, remoteHead?: (branch: string) => Promise<string | undefined>): Promise<string> {
    const commit = await this.head();
    try {
      await git(this.dir, this.auth).raw(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
    } catch (err) {
      throw asGitError(err, `pushing ${branch}`);
    }
    const remote = remoteHead
      ? await remoteHead(branch)
      : (await git(this.dir, this.auth).raw(['ls-remote', 'origin', `refs/heads/${branch}`])).split(/\s/)[0];
    if (remote !== commit) throw new TransientError(`the remote branch ${branch} is at ${remote || 'nothing'}, not at the pushed ${commit}`);
    // The mirror follows, so the next job starts from what was pushed.
    await git(this.mirror).raw(['update-ref', `refs/heads/${branch}`, commit]);
    return commit;
  }

  async diffStat(from: string, to: string): Promise<string> {
    return (await git(this.dir).raw(['diff', '--stat', from, to])).trim();
  }

  async done(): Promise<void> {
    await git(this.mirror).raw(['worktree', 'remove', '--force', this.dir]).catch(() => fs.rmSync(this.dir, { recursive: true, force: true }));
  }
}

/**
 * Three-way merge of one file (base = the bot's last render, ours = the branch, theirs = the new render):
 * a human's edit survives a re-render. Returns the merged text, or the lines where the two disagree.
 */
export async function mergeFile(base: string, ours: string, theirs: string, scratch: string): Promise<{ merged: string } | { conflicts: number[] }> {
  if (ours === base || theirs === ours) return { merged: theirs };
  if (theirs === base) return { merged: ours };
  fs.mkdirSync(scratch, { recursive: true });
  const files = ['ours', 'base', 'theirs'].map((name) => path.join(scratch, `${randomUUID()}.${name}`));
  fs.writeFileSync(files[0]!, ours);
  fs.writeFileSync(files[1]!, base);
  fs.writeFileSync(files[2]!, theirs);
  try {
    // Exit code: the number of conflicts; the output holds the merge with conflict markers.
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
      execFile('git', ['merge-file', '-p', '-L', 'branch', '-L', 'last render', '-L', 'new render', ...files], (err, out) => {
        const exit = err ? (err as { code?: unknown }).code : 0;
        if (typeof exit !== 'number') return reject(err);
        resolve({ code: exit, stdout: out });
      });
    });
    if (code === 0) return { merged: stdout };
    const conflicts: number[] = [];
    stdout.split('\n').forEach((line, i) => line.startsWith('<<<<<<< ') && conflicts.push(i + 1));
    return { conflicts };
  } finally {
    for (const file of files) fs.rmSync(file, { force: true });
  }
}
