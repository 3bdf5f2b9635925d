// Running git: one child process per command, its output collected, its failure an error that carries git's
// own words. (simple-git was used first; its completion handling waits a fixed 50 ms after every command
// that prints nothing, which is most plumbing: 12 such commands made a job 0.6 s slower.)
import { spawn } from 'node:child_process';
import type { GitRetryPolicy } from './failures.ts';
import { isSshRemote } from './remote.ts';

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

/** How git reaches the project's remote: the token, where it may go, the proxy, the trusted CAs, SSH. */
export type GitAccess = {
  /** The bot's token, sent as an HTTP header only to URLs under `tokenScope`. */
  token: string;
  /** The base URL the token may be sent to: GITLAB_URL's, or GIT_URL's when the operator set one. */
  tokenScope: string;
  /** The proxy for a remote URL; undefined goes direct (git is given no proxy from elsewhere). */
  proxyFor?: (url: string) => string | undefined;
  /** One PEM file of the authorities to trust, when they differ from the system's (CA_BUNDLE). */
  caFile?: string;
  /** Over SSH: the deploy key and the known hosts. */
  ssh?: SshAccess;
  /** How git's network calls are tried again within a job; default defaultGitRetryPolicy. */
  retry?: GitRetryPolicy;
};

export type SshAccess = { keyFile: string; knownHostsFile: string; strictHostKeyChecking: 'yes' | 'accept-new' };
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

/** A value for a POSIX shell, single-quoted. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * What git needs in its environment to talk to `remoteUrl`: its configuration through GIT_CONFIG_COUNT (nothing
 * lands in a config file), the token in a header scoped to `tokenScope` (a redirect or another host never gets
 * it), the proxy chosen by the bot's one rule, the CA file; over SSH, the deploy key and known hosts instead.
 */
export function remoteEnv(access: GitAccess, remoteUrl: string): Record<string, string> {
  if (isSshRemote(remoteUrl)) {
    if (!access.ssh) throw new Error(`git would reach ${remoteUrl} over SSH, but GIT_SSH_KEY is not set`);
    const { keyFile, knownHostsFile, strictHostKeyChecking } = access.ssh;
    const command = ['ssh', '-i', shellQuote(keyFile), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${shellQuote(knownHostsFile)}`, '-o', `StrictHostKeyChecking=${strictHostKeyChecking}`];
    return { GIT_SSH_COMMAND: command.join(' '), GIT_TERMINAL_PROMPT: '0' };
  }
  const scope = access.tokenScope.endsWith('/') ? access.tokenScope : `${access.tokenScope}/`;
  const config: Array<[string, string]> = [
    [`http.${scope}.extraHeader`, `Authorization: Basic ${Buffer.from(`oauth2:${access.token}`).toString('base64')}`],
    // An empty http.proxy makes git go direct whatever else it finds.
    ['http.proxy', access.proxyFor?.(remoteUrl) ?? ''],
  ];
  if (access.caFile) config.push(['http.sslCAInfo', access.caFile]);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(config.length), GIT_TERMINAL_PROMPT: '0' };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Only what git needs from our environment: the token in GITLAB_TOKEN is not passed on. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

export function git(repo: string, args: string[], options: Partial<GitRunOptions> & { extraEnv?: Record<string, string> } = {}): Promise<string> {
  return runGit(args, { ...options, cwd: repo, env: gitEnv(options.extraEnv) });
}
