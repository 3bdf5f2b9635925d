// `dagwright doctor`'s network lines: the proxy each client goes through, the certificate authorities trusted,
// where git reaches the projects and whether it gets there.
import type { ServerConfig } from '../config.ts';
import { asGitError } from '../git/failures.ts';
import { gitEnv, remoteEnv, runGit } from '../git/run.ts';
import type { GitLabClient } from '../gitlab/client.ts';
import { ProjectDirectory } from '../gitlab/projects.ts';
import type { Outbound } from '../net/outbound.ts';
import { describeRoute, maskProxyCredentials } from '../net/proxy-rule.ts';
import { subjectOf, verificationIsOff } from '../net/trust.ts';

export type Check = { status: 'ok' | 'problem' | 'skipped'; text: string };

/** Proxies, trusted authorities and git's address: what the bot would use, before anything is tried. */
export function networkSettingsChecks(config: ServerConfig, outbound: Outbound, env: NodeJS.ProcessEnv = process.env): Check[] {
  const checks: Check[] = [];
  const { proxy, trust } = outbound;
  if (proxy.http || proxy.https) {
    const set = [proxy.https && `HTTPS_PROXY=${maskProxyCredentials(proxy.https)}`, proxy.http && `HTTP_PROXY=${maskProxyCredentials(proxy.http)}`, proxy.noProxy.length && `NO_PROXY=${proxy.noProxy.join(',')}`].filter(Boolean).join(', ');
    checks.push({ status: 'ok', text: `proxy: ${set}` });
    const targets: Array<[string, string | undefined]> = [
      ['GitLab', config.gitlabUrl],
      ['git', /^https?:/.test(config.git.base) ? config.git.base : undefined],
      ['the model', config.llm?.baseUrl],
      ['Airflow', config.airflow?.url],
    ];
    for (const [what, url] of targets) if (url) checks.push({ status: 'ok', text: `proxy: ${what} at ${url} is reached ${describeRoute(url, proxy)}` });
  } else {
    checks.push({ status: 'skipped', text: 'proxy: none (HTTPS_PROXY, HTTP_PROXY and NO_PROXY are not set); every client connects directly' });
  }
  if (trust.added.length) {
    checks.push({ status: 'ok', text: `certificates: CA_BUNDLE=${config.network.caBundle} adds ${trust.added.length} authorit${trust.added.length === 1 ? 'y' : 'ies'} to Node's own, for every client and git (${trust.added.map(subjectOf).join('; ')})` });
  }
  if (env.NODE_EXTRA_CA_CERTS) checks.push({ status: 'ok', text: `certificates: Node also trusts NODE_EXTRA_CA_CERTS=${env.NODE_EXTRA_CA_CERTS}, and so does git` });
  if (!trust.added.length && !env.NODE_EXTRA_CA_CERTS) checks.push({ status: 'skipped', text: "certificates: Node's own authorities; set CA_BUNDLE to a PEM file if GitLab, the model or Airflow has a certificate from your company's CA" });
  if (verificationIsOff()) {
    checks.push({ status: 'problem', text: 'certificates: NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate verification off for every client: unset it, and set CA_BUNDLE to your CA instead' });
  }
  const tokenNote = config.git.ssh ? `over SSH with the deploy key ${config.git.ssh.keyFile} (known hosts: ${config.git.ssh.knownHostsFile}${config.git.ssh.strictHostKeyChecking === 'accept-new' ? ', the first key seen is kept' : ''})` : `the token is sent only to ${config.git.tokenScope}`;
  checks.push({ status: 'ok', text: `git: remotes are ${config.git.base}/<group>/<project>.git (from ${config.git.baseFrom}); ${tokenNote}` });
  return checks;
}

/** Git's own round trip to each allowed project (ls-remote), through the same proxy and CA as the bot's jobs. */
export async function gitReachChecks(config: ServerConfig, outbound: Outbound, gitlab: GitLabClient): Promise<Check[]> {
  const checks: Check[] = [];
  const projects = new ProjectDirectory(gitlab, config.git.base);
  const access = { token: config.gitlabToken, tokenScope: config.git.tokenScope, proxyFor: outbound.proxyFor, caFile: outbound.trust.gitCaFile, ssh: config.git.ssh };
  for (const project of config.allowedProjects) {
    let remote: string;
    try {
      remote = (await projects.repository(/^\d+$/.test(project) ? Number(project) : project)).remoteUrl;
    } catch {
      continue; // the membership line above says what is wrong with the project
    }
    try {
      const heads = await runGit(['ls-remote', '--heads', remote], { env: gitEnv(remoteEnv(access, remote)) });
      checks.push({ status: 'ok', text: `${project}: git reaches ${remote} (${heads.trim().split('\n').filter(Boolean).length} branches)` });
    } catch (err) {
      checks.push({ status: 'problem', text: `${project}: ${asGitError(err, `git ls-remote ${remote}`).message}` });
    }
  }
  return checks;
}
