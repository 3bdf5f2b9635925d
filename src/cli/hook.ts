// `dagwright hook install PROJECT URL`: registers the project's webhook to the bot, for the events the bot
// handles, with the project's own secret (derived from the bot's WEBHOOK_SECRET and the project's id): one
// project's hook secret signs nothing for another. A hook already there gets that secret.
import type { ServerConfig } from '../config.ts';
import { projectWebhookSecret } from '../bot/verify.ts';
import { createGitLabClient, isGitLabError } from '../gitlab/client.ts';
import { WEBHOOK_PATH } from '../server.ts';

type Out = { log: (line: string) => void; error: (line: string) => void };

/** The bot's webhook address: a bare base URL gets the webhook path. */
export function webhookUrl(given: string): string | undefined {
  if (!URL.canParse(given)) return undefined;
  const url = new URL(given);
  if (!/^https?:$/.test(url.protocol)) return undefined;
  if (url.pathname === '/' || url.pathname === '') url.pathname = WEBHOOK_PATH;
  return url.href;
}

const HOOK_EVENTS = {
  issuesEvents: true,
  confidentialIssuesEvents: true,
  noteEvents: true,
  confidentialNoteEvents: true,
  mergeRequestsEvents: true,
  pipelineEvents: true,
  emojiEvents: true,
  pushEvents: false,
};

const USAGE = 'Usage: dagwright hook install PROJECT URL | dagwright hook secret PROJECT   (PROJECT: an id or group/name; URL: where the bot listens)';

export async function hookInstallCommand(args: string[], config: Pick<ServerConfig, 'gitlabUrl' | 'gitlabToken' | 'webhookSecrets'>, out: Out): Promise<number> {
  const [action, project, given] = args;
  if (action === 'secret' && project && !given) return hookSecretCommand(project, config, out);
  if (action !== 'install' || !project || !given) {
    out.error(USAGE);
    return 2;
  }
  const url = webhookUrl(given);
  if (!url) {
    out.error(`dagwright hook: "${given}" is not an http(s) URL`);
    return 2;
  }
  const master = config.webhookSecrets[0];
  if (!master) {
    out.error('dagwright hook: WEBHOOK_SECRET is needed: each project\'s hook secret is derived from it (set the same value as the bot\'s)');
    return 2;
  }
  const gitlab = createGitLabClient({ url: config.gitlabUrl, token: config.gitlabToken, retry: { retries: 2 } });
  try {
    const { id } = (await gitlab.Projects.show(project)) as unknown as { id: number };
    const options = { token: projectWebhookSecret(master, id), ...HOOK_EVENTS, enableSslVerification: url.startsWith('https:') };
    const hooks = (await gitlab.ProjectHooks.all(id)) as Array<{ id: number; url: string }>;
    const existing = hooks.find((h) => h.url === url);
    if (existing) {
      await gitlab.ProjectHooks.edit(id, existing.id, url, options as Parameters<typeof gitlab.ProjectHooks.edit>[3]);
      out.log(`${project} already sent its webhooks to ${url} (hook #${existing.id}): it now holds the project's own secret and the events the bot handles.`);
      return 0;
    }
    const hook = (await gitlab.ProjectHooks.add(id, url, options as Parameters<typeof gitlab.ProjectHooks.add>[2])) as { id: number };
    out.log(`Registered hook #${hook.id} on ${project}: issues, comments, merge requests, pipelines and emoji go to ${url}, with the project's own secret.`);
    return 0;
  } catch (err) {
    out.error(`dagwright hook: ${describeGitLabFailure(err, project)}`);
    return 1;
  }
}

/** `dagwright hook secret PROJECT`: the project's hook secret, for a webhook set up by hand in GitLab. */
async function hookSecretCommand(project: string, config: Pick<ServerConfig, 'gitlabUrl' | 'gitlabToken' | 'webhookSecrets'>, out: Out): Promise<number> {
  const master = config.webhookSecrets[0];
  if (!master) {
    out.error('dagwright hook: WEBHOOK_SECRET is needed: each project\'s hook secret is derived from it (set the same value as the bot\'s)');
    return 2;
  }
  try {
    const gitlab = createGitLabClient({ url: config.gitlabUrl, token: config.gitlabToken, retry: { retries: 2 } });
    const { id } = (await gitlab.Projects.show(project)) as unknown as { id: number };
    out.log(projectWebhookSecret(master, id));
    return 0;
  } catch (err) {
    out.error(`dagwright hook: ${describeGitLabFailure(err, project)}`);
    return 1;
  }
}

export function describeGitLabFailure(err: unknown, project?: string): string {
  if (isGitLabError(err)) {
    if (err.status === 401) return 'GitLab refused the token (GITLAB_TOKEN): it is wrong, expired or revoked';
    if (err.status === 403) return `the token's user may not do this${project ? ` on ${project}` : ''}: webhooks need the Maintainer role, and the token the api scope`;
    if (err.status === 404) return `${project ? `no project ${project}` : 'not found'}, or the token's user cannot see it`;
    return `GitLab answered ${err.status}: ${err.description}`;
  }
  return `GitLab could not be reached: ${(err as Error).message.split('\n')[0]}`;
}
