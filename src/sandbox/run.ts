// The one way Dagwright runs code it did not write itself: generated DAGs imported into Airflow, a
// repository's template packs. A child under bubblewrap: a clean environment (none of the bot's variables),
// its own user, PID, IPC and network namespaces (no network unless asked, no view of the bot's /proc), only
// the folders it is given (system folders and the interpreter read-only, its work folder writable), and no
// capabilities. There is no fallback: where bubblewrap cannot run, nothing generated runs.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';

export type SandboxRun = {
  command: string;
  args: string[];
  /** Host paths visible read-only at the same place (besides the system's own folders). */
  readOnly: string[];
  /** Host paths visible writable at the same place. */
  writable: string[];
  /** The child's whole environment. */
  env: Record<string, string>;
  cwd: string;
  /** Whether the child may use the host's network (the staging databases of a test run); default none. */
  network?: boolean;
  stdin?: string;
  timeoutMs: number;
  /** At most this much of stdout is kept; default 32 MB. */
  maxOutput?: number;
};

export type SandboxResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean };

/** Code cannot be run in a sandbox on this host; the message says why and what to install. */
export class SandboxUnavailable extends Error {}

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
// Of /etc, what interpreters read (shared libraries, time zones, certificates); nothing of a host's own.
const SYSTEM_FILES = [
  '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime', '/etc/timezone', '/etc/ssl', '/etc/ca-certificates',
  '/etc/alternatives', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/mime.types', '/etc/hosts',
];
/** The user the child runs as inside its namespace. */
const NOBODY = '65534';

const BWRAP = process.env.DAGWRIGHT_BWRAP ?? 'bwrap';

let availability: string | undefined | null = null;

/** Why code cannot be sandboxed here (bubblewrap missing, or user namespaces forbidden), or undefined when it can. */
export function sandboxProblem(): string | undefined {
  if (availability !== null) return availability;
  const probe = spawnSync(BWRAP, [...baseArguments(false), '--', '/bin/sh', '-c', 'exit 0'], { env: {}, encoding: 'utf8', timeout: 10_000 });
  if (probe.error) {
    availability = `bubblewrap (${BWRAP}) is not installed: install Debian's or Alpine's package bubblewrap`;
  } else if (probe.status !== 0) {
    const why = (probe.stderr || '').trim().split('\n').at(-1) ?? '';
    availability = `bubblewrap cannot make a sandbox here (${why || `exit ${probe.status}`}): the host must allow user namespaces (in a container: --security-opt seccomp=unconfined or a profile that allows them)`;
  } else {
    availability = undefined;
  }
  return availability;
}

function baseArguments(network: boolean): string[] {
  const args = ['--unshare-all', ...(network ? ['--share-net'] : []), '--uid', NOBODY, '--gid', NOBODY, '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'sandbox', '--clearenv'];
  for (const dir of SYSTEM_DIRS) args.push('--ro-bind-try', dir, dir);
  for (const file of SYSTEM_FILES) args.push('--ro-bind-try', file, file);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  return args;
}

/** The bubblewrap command line for a run (exported for the tests that read it). */
export function sandboxArguments(run: SandboxRun): string[] {
  const args = baseArguments(run.network ?? false);
  for (const dir of run.readOnly) args.push('--ro-bind', dir, dir);
  for (const dir of run.writable) args.push('--bind', dir, dir);
  for (const [name, value] of Object.entries(run.env)) args.push('--setenv', name, value);
  args.push('--chdir', run.cwd, '--', run.command, ...run.args);
  return args;
}

/**
 * Starts a long-lived command in the sandbox and hands back the process (its standard streams piped), for a
 * caller that talks to it as it runs. Throws SandboxUnavailable where there is no sandbox.
 */
export function spawnSandboxed(run: Omit<SandboxRun, 'stdin' | 'timeoutMs' | 'maxOutput'>, options: { detached?: boolean } = {}): ChildProcessWithoutNullStreams {
  const problem = sandboxProblem();
  if (problem) throw new SandboxUnavailable(problem);
  for (const dir of [...run.readOnly, ...run.writable]) {
    if (!fs.existsSync(dir)) throw new Error(`the sandbox was to show ${dir}, which does not exist`);
  }
  return spawn(BWRAP, sandboxArguments({ ...run, timeoutMs: 0 }), { env: {}, stdio: ['pipe', 'pipe', 'pipe'], detached: options.detached });
}

/** Runs a command in the sandbox; rejects with SandboxUnavailable where there is none. */
export function runSandboxed(run: SandboxRun): Promise<SandboxResult> {
  const maxOutput = run.maxOutput ?? 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawnSandboxed(run);
    } catch (err) {
      return reject(err);
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.stdout.on('data', (c: Buffer) => {
      if (outBytes < maxOutput) out.push(c);
      outBytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-16_000)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: err, timedOut });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(run.stdin ?? '');
  });
}

const prefixes = new Map<string, string[]>();

/**
 * The folders a Python interpreter needs to run (its virtualenv and the installation it was made from), asked
 * of the interpreter once. The operator's interpreter, run isolated (-I) with an empty environment.
 */
export function pythonFolders(python: string): string[] {
  let found = prefixes.get(python);
  if (found) return found;
  const answer = spawnSync(python, ['-I', '-c', 'import sys, os; print("\\n".join({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)))}))'], {
    env: {},
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (answer.error || answer.status !== 0) throw new Error(`${python} cannot be run: ${answer.error?.message ?? answer.stderr.trim().split('\n').at(-1)}`);
  found = answer.stdout.split('\n').filter(Boolean);
  // A virtualenv's own folder too, where its python is a link out of it.
  const venv = python.replace(/\/bin\/[^/]+$/, '');
  if (venv !== python && fs.existsSync(`${venv}/pyvenv.cfg`)) found.push(fs.realpathSync(venv), venv);
  found = [...new Set(found)].filter((dir) => !SYSTEM_DIRS.some((s) => dir === s || dir.startsWith(`${s}/`)));
  prefixes.set(python, found);
  return found;
}
