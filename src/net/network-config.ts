// The network part of the configuration: proxies, the company CA, and where git reaches GitLab.
import fs from 'node:fs';
import path from 'node:path';
import { gitlabBaseUrl, gitUrlProblem, isSshRemote } from '../git/remote.ts';
import type { SshAccess } from '../git/run.ts';
import type { NetworkSettings } from './outbound.ts';
import { proxySettingsFromEnv } from './proxy-rule.ts';
import { readCertificates } from './trust.ts';

export type GitSettings = {
  /** The base of every project's remote: GITLAB_URL without /api/v4, or GIT_URL. */
  base: string;
  /** Where the base comes from (doctor says it). */
  baseFrom: 'GITLAB_URL' | 'GIT_URL';
  /** The address the token may be sent to (the HTTP base); unused over SSH. */
  tokenScope: string;
  ssh?: SshAccess;
};

function readableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Reads the network settings; every problem is named by its variable. */
export function networkFromEnv(env: NodeJS.ProcessEnv, gitlabUrl: string, dataDir: string): { network: NetworkSettings; git: GitSettings; problems: string[] } {
  const { settings: proxy, problems } = proxySettingsFromEnv(env);
  const caBundle = env.CA_BUNDLE?.trim() || undefined;
  if (caBundle) {
    try {
      readCertificates(caBundle, 'CA_BUNDLE');
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const gitlabBase = gitlabBaseUrl(gitlabUrl);
  const gitUrl = env.GIT_URL?.trim().replace(/\/+$/, '') || undefined;
  const urlProblem = gitUrl ? gitUrlProblem(gitUrl) : undefined;
  if (urlProblem) problems.push(`GIT_URL ${urlProblem}`);
  const base = gitUrl && !urlProblem ? gitUrl : gitlabBase;
  const overSsh = isSshRemote(base);
  const keyFile = env.GIT_SSH_KEY?.trim() || undefined;
  const knownHosts = env.GIT_SSH_KNOWN_HOSTS?.trim() || undefined;
  let ssh: SshAccess | undefined;
  if (overSsh) {
    if (!keyFile) problems.push('GIT_SSH_KEY is missing: GIT_URL is an SSH address, so git needs the private key of a deploy key with write access');
    else if (!readableFile(keyFile)) problems.push(`GIT_SSH_KEY: cannot read ${keyFile}`);
    if (knownHosts && !readableFile(knownHosts)) problems.push(`GIT_SSH_KNOWN_HOSTS: cannot read ${knownHosts}`);
    if (keyFile) {
      ssh = knownHosts
        ? { keyFile: path.resolve(keyFile), knownHostsFile: path.resolve(knownHosts), strictHostKeyChecking: 'yes' }
        : // Without a known_hosts file the first key the server shows is kept and required from then on.
          { keyFile: path.resolve(keyFile), knownHostsFile: path.join(dataDir, 'git', 'known_hosts'), strictHostKeyChecking: 'accept-new' };
    }
  } else if (keyFile || knownHosts) {
    problems.push(`${keyFile ? 'GIT_SSH_KEY' : 'GIT_SSH_KNOWN_HOSTS'} is set, but git reaches GitLab over HTTP: set GIT_URL to the SSH address (e.g. ssh://git@gitlab.example.com:22 or git@gitlab.example.com:) or unset it`);
  }
  return {
    network: { proxy, caBundle },
    git: { base, baseFrom: gitUrl && !urlProblem ? 'GIT_URL' : 'GITLAB_URL', tokenScope: overSsh ? gitlabBase : base, ssh },
    problems,
  };
}
