// Where git reaches a project: built from the address the bot reaches GitLab at (GITLAB_URL) and the project's
// path, never from a webhook's `git_http_url` (GitLab writes its external URL there, which a bot inside the
// company network often cannot reach, and a payload must not choose where the token goes). GIT_URL overrides
// the base for instances that serve git elsewhere or only over SSH.

/** GitLab's base URL without `/api/v4` and trailing slashes: `https://host/gitlab` under a relative root. */
export function gitlabBaseUrl(gitlabUrl: string): string {
  return gitlabUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
}

/** `git@host:` or `git@host:prefix`: SCP-like SSH syntax, which git takes for SSH. */
const SCP_LIKE = /^[\w.-]+@[\w.-]+:(?!\/\/)/;

export function isSshRemote(url: string): boolean {
  return url.startsWith('ssh://') || url.startsWith('git+ssh://') || SCP_LIKE.test(url);
}

/** The remote of a project under a base: `<base>/<group>/<project>.git` (`git@host:group/project.git` for SCP-like). */
export function remoteUrlOf(base: string, pathWithNamespace: string): string {
  const trimmed = base.replace(/\/+$/, '');
  if (SCP_LIKE.test(trimmed) && trimmed.endsWith(':')) return `${trimmed}${pathWithNamespace}.git`;
  return `${trimmed}/${pathWithNamespace}.git`;
}

/** The problem with a GIT_URL value, or undefined when git can use it. */
export function gitUrlProblem(value: string): string | undefined {
  if (SCP_LIKE.test(value)) return undefined;
  if (!URL.canParse(value)) return `must be an https://, http:// or ssh:// URL (or git@host: for SSH), got "${value}"`;
  const url = new URL(value);
  if (!['https:', 'http:', 'ssh:'].includes(url.protocol)) return `must be an https://, http:// or ssh:// URL (or git@host: for SSH), got "${value}"`;
  if (url.search || url.hash) return `must be a base URL without a query or fragment, got "${value}"`;
  if (url.password) return 'must not carry a password: the bot sends its token in a header (or uses GIT_SSH_KEY over SSH)';
  return undefined;
}
