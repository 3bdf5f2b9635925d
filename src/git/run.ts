// Running git: one child process per command, its output collected, its failure an error that carries git's
// own words. (simple-git was used first; its completion handling waits a fixed 50 ms after every command
// that prints nothing, which is most plumbing: 12 such commands made a job 0.6 s slower.)
import { spawn } from 'node:child_process';

export class GitCommandError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | null, stderr: string) {
    super(`git ${args[0] === '--git-dir' ? args[2] : args[0]} exited with ${exitCode}: ${stderr.trim() || '(no message)'}`);
    this.name = 'GitCommandError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export type GitAuth = { token: string };
export type Identity = { name: string; email: string };

export type GitRunOptions = {
  /** The repository (or work tree) to run in. */
  cwd?: string;
  /** The whole environment of the child: nothing is inherited that is not named. */
  env: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Exit codes that are answers rather than failures (e.g. 1 for "no such ref" from rev-parse --verify). */
  okExitCodes?: readonly number[];
};

/** Runs `git args…` and resolves with its standard output and exit code. */
export function runGitRaw(args: readonly string[], options: GitRunOptions): Promise<{ stdout: Buffer; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const exitCode = code ?? -1;
      if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) resolve({ stdout: Buffer.concat(out), exitCode });
      else reject(new GitCommandError(args, code, Buffer.concat(err).toString('utf8')));
    });
    // A child that exits before reading its input closes the pipe; the exit code tells what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Runs `git args…` and resolves with its standard output as text. */
export async function runGit(args: readonly string[], options: GitRunOptions): Promise<string> {
  return (await runGitRaw(args, options)).stdout.toString('utf8');
}

/** Git's own configuration through the environment (GIT_CONFIG_COUNT): nothing lands in a config file. */
function authEnv(auth: GitAuth): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`oauth2:${auth.token}`).toString('base64')}`,
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** Only what git needs from our environment: the token in GITLAB_TOKEN is not passed on. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

export function git(repo: string, args: string[], options: Partial<GitRunOptions> & { auth?: GitAuth; extraEnv?: Record<string, string> } = {}): Promise<string> {
  return runGit(args, { ...options, cwd: repo, env: gitEnv({ ...(options.auth ? authEnv(options.auth) : {}), ...options.extraEnv }) });
}
