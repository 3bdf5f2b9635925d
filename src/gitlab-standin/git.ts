// The stand-in's repositories: bare git repositories on disk, served over smart HTTP by `git http-backend`,
// with the server-side operations GitLab performs itself (merge, diffs, branch listing).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runGit, runGitRaw } from '../git/run.ts';

export type Identity = { name: string; email: string };

export function git(repoDir: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return runGit(['--git-dir', repoDir, ...args], { env: { ...process.env, ...options.env }, input: options.input });
}

function identityEnv(author: Identity): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

const preReceiveHook = `#!/bin/sh
# Protected branches, as GitLab enforces them: the stand-in names the refs this pusher may not update.
while read old new ref; do
  for denied in $SANDBOX_DENIED_REFS; do
    if [ "$ref" = "$denied" ]; then
      echo "GitLab: You are not allowed to push code to protected branches on this project."
      exit 1
    fi
  done
done
exit 0
`;

/** Creates a bare repository whose default branch holds the files of `seedDir` (or a README). */
export async function createRepository(repoDir: string, options: { defaultBranch: string; seedDir?: string; author: Identity; projectName: string }): Promise<void> {
  fs.mkdirSync(path.dirname(repoDir), { recursive: true });
  await runGit(['init', '--bare', '--quiet', '--initial-branch', options.defaultBranch, repoDir], { env: process.env });
  fs.writeFileSync(path.join(repoDir, 'hooks', 'pre-receive'), preReceiveHook, { mode: 0o755 });
  let workTree = options.seedDir;
  if (!workTree) {
    workTree = fs.mkdtempSync(path.join(os.tmpdir(), 'gitlab-standin-seed-'));
    fs.writeFileSync(path.join(workTree, 'README.md'), `# ${options.projectName}\n`);
  }
  const index = path.join(repoDir, 'seed-index');
  const env = { ...identityEnv(options.author), GIT_INDEX_FILE: index };
  await git(repoDir, ['--work-tree', workTree, 'add', '--all', '.'], { env });
  const tree = (await git(repoDir, ['write-tree'], { env })).trim();
  const commit = (await git(repoDir, ['commit-tree', tree, '-m', 'Initial commit'], { env })).trim();
  await git(repoDir, ['update-ref', `refs/heads/${options.defaultBranch}`, commit]);
  fs.rmSync(index, { force: true });
  if (!options.seedDir) fs.rmSync(workTree, { recursive: true, force: true });
}

export type CommitInfo = {
  id: string;
  short_id: string;
  title: string;
  message: string;
  author_name: string;
  author_email: string;
  authored_date: string;
  committer_name: string;
  committer_email: string;
  committed_date: string;
  created_at: string;
  parent_ids: string[];
};

const commitFormat = ['%H', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x1f') + '%x1e';

function parseCommits(text: string): CommitInfo[] {
  return text
    .split('\x1e')
    .map((chunk) => chunk.replace(/^\n/, ''))
    .filter(Boolean)
    .map((chunk) => {
      const [id, parents, an, ae, ad, cn, ce, cd, body] = chunk.split('\x1f') as string[];
      const message = body ?? '';
      return {
        id: id!,
        short_id: id!.slice(0, 8),
        title: message.split('\n')[0] ?? '',
        message,
        author_name: an!,
        author_email: ae!,
        authored_date: ad!,
        committer_name: cn!,
        committer_email: ce!,
        committed_date: cd!,
        created_at: cd!,
        parent_ids: parents ? parents.split(' ') : [],
      };
    });
}

export async function commitInfo(repoDir: string, rev: string): Promise<CommitInfo | undefined> {
  try {
    return parseCommits(await git(repoDir, ['log', '-1', `--format=${commitFormat}`, rev, '--']))[0];
  } catch {
    return undefined;
  }
}

/** The commits reachable from `ref`, newest first (`git log`'s order). */
export async function commitsOf(repoDir: string, ref: string): Promise<CommitInfo[] | undefined> {
  try {
    return parseCommits(await git(repoDir, ['log', `--format=${commitFormat}`, ref, '--']));
  } catch {
    return undefined;
  }
}

/** Branch name → head commit id. */
export async function branchHeads(repoDir: string): Promise<Map<string, string>> {
  const out = await git(repoDir, ['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads']);
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}

export async function mergeBase(repoDir: string, a: string, b: string): Promise<string | undefined> {
  try {
    return (await git(repoDir, ['merge-base', a, b])).trim();
  } catch {
    return undefined;
  }
}

export async function readFileAt(repoDir: string, ref: string, filePath: string): Promise<Buffer | undefined> {
  try {
    return (await runGitRaw(['--git-dir', repoDir, 'show', `${ref}:${filePath}`], { env: process.env })).stdout;
  } catch {
    return undefined;
  }
}

export type MergeOutcome = { ok: true; sha: string } | { ok: false; reason: 'conflict' | 'moved' };

/** Merges `source` into `target` with a merge commit, as GitLab's default merge method does. */
export async function mergeBranches(repoDir: string, options: { source: string; target: string; message: string; author: Identity }): Promise<MergeOutcome> {
  const heads = await branchHeads(repoDir);
  const targetHead = heads.get(options.target);
  const sourceHead = heads.get(options.source);
  if (!targetHead || !sourceHead) return { ok: false, reason: 'moved' };
  let tree: string;
  try {
    tree = (await git(repoDir, ['merge-tree', '--write-tree', targetHead, sourceHead])).split('\n')[0]!.trim();
  } catch {
    return { ok: false, reason: 'conflict' };
  }
  const env = identityEnv(options.author);
  const sha = (await git(repoDir, ['commit-tree', tree, '-p', targetHead, '-p', sourceHead, '-m', options.message], { env })).trim();
  try {
    await git(repoDir, ['update-ref', `refs/heads/${options.target}`, sha, targetHead]);
  } catch {
    return { ok: false, reason: 'moved' };
  }
  return { ok: true, sha };
}

export async function deleteBranch(repoDir: string, branch: string): Promise<void> {
  await git(repoDir, ['update-ref', '-d', `refs/heads/${branch}`]);
}

export type FileDiff = {
  old_path: string;
  new_path: string;
  a_mode: string;
  b_mode: string;
  diff: string;
  new_file: boolean;
  renamed_file: boolean;
  deleted_file: boolean;
  generated_file: boolean;
};

/** The changes between two commits in GitLab's diff shape (`diff` holds the hunks, without file headers). */
export async function diffBetween(repoDir: string, base: string, head: string): Promise<FileDiff[]> {
  const out = await git(repoDir, ['diff', '--no-color', '--no-ext-diff', '-M', '--full-index', base, head]);
  const files: FileDiff[] = [];
  for (const block of out.split(/^(?=diff --git )/m).filter((b) => b.startsWith('diff --git '))) {
    const lines = block.split('\n');
    const header = lines[0]!.match(/^diff --git a\/(.+) b\/(.+)$/);
    const file: FileDiff = {
      old_path: header?.[1] ?? '',
      new_path: header?.[2] ?? '',
      a_mode: '100644',
      b_mode: '100644',
      diff: '',
      new_file: false,
      renamed_file: false,
      deleted_file: false,
      generated_file: false,
    };
    let hunkStart = lines.length;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('@@')) {
        hunkStart = i;
        break;
      }
      let m: RegExpMatchArray | null;
      if ((m = line.match(/^new file mode (\d+)/))) {
        file.new_file = true;
        file.a_mode = '0';
        file.b_mode = m[1]!;
      } else if ((m = line.match(/^deleted file mode (\d+)/))) {
        file.deleted_file = true;
        file.a_mode = m[1]!;
        file.b_mode = '0';
      } else if ((m = line.match(/^index \w+\.\.\w+ (\d+)/))) {
        file.a_mode = m[1]!;
        file.b_mode = m[1]!;
      } else if ((m = line.match(/^rename from (.+)/))) {
        file.renamed_file = true;
        file.old_path = m[1]!;
      } else if ((m = line.match(/^rename to (.+)/))) {
        file.new_path = m[1]!;
      }
    }
    file.diff = lines.slice(hunkStart).join('\n');
    if (file.diff && !file.diff.endsWith('\n')) file.diff += '\n';
    files.push(file);
  }
  return files;
}

/**
 * Runs `git http-backend` for one smart-HTTP request (CGI). `deniedRefs` are refs the pusher may not update
 * (protected branches), enforced by the repository's pre-receive hook.
 */
export function serveGitRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: { projectRoot: string; pathInfo: string; query: string; username: string; deniedRefs: string[] },
): Promise<void> {
  // The client may have gone already while the stand-in was busy before this (faults, reading the branches):
  // then there is nothing to serve, and git must not wait for a body that will not come.
  const gone = () => (req.closed && !req.complete) || (res.closed && !res.writableFinished) || req.socket.destroyed;
  if (gone()) {
    res.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: options.pathInfo,
        QUERY_STRING: options.query,
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: options.username,
        REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        SANDBOX_DENIED_REFS: options.deniedRefs.join(' '),
      },
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    // The client went away before its request or the answer was through (a pusher killed mid-push): as GitLab
    // cancels the request, git is stopped instead of waiting for the rest of a body that will not come.
    req.on('close', () => req.complete || child.kill());
    res.on('close', () => res.writableFinished || child.kill());
    if (gone()) child.kill();
    let buffered = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      const endLf = end < 0 ? buffered.indexOf('\n\n') : -1;
      if (end < 0 && endLf < 0) return;
      const split = end >= 0 ? end : endLf;
      const headerText = buffered.subarray(0, split).toString('latin1');
      const rest = buffered.subarray(split + (end >= 0 ? 4 : 2));
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of headerText.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      headersDone = true;
      res.writeHead(status, headers);
      if (rest.length) res.write(rest);
    });
    child.stderr.on('data', () => undefined);
    child.on('close', () => {
      if (!headersDone) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
      resolve();
    });
  });
}
