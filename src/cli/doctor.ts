// `dagwright doctor`: checks what the bot needs, one line each — the proxy and certificates in use, the store, the GitLab
// token and its scope, the bot's role, webhook and git access in each allowed project, the model, Airflow, the
// sources it may inspect — and says what to fix.
import { repositoryPacksEnabled } from '../config.ts';
import { sandboxProblem } from '../sandbox/run.ts';
import { generateText } from 'ai';
import type { ServerConfig } from '../config.ts';
import { createGitLabClient, isGitLabError } from '../gitlab/client.ts';
import { createChatModel } from '../llm/model.ts';
import { registerConnectionSecrets } from '../sources/connections.ts';
import { operations } from '../sources/introspect.ts';
import { redact } from '../redact.ts';
import { WEBHOOK_PATH } from '../server.ts';
import { describeGitLabFailure } from './hook.ts';
import { AirflowClient, AirflowError } from '../airflow/client.ts';
import { installOutbound } from '../net/outbound.ts';
import { gitReachChecks, networkSettingsChecks, type Check } from './doctor-network.ts';
import { storeChecks } from './doctor-store.ts';

type Out = { log: (line: string) => void };
export type { Check };

const DEVELOPER = 30;
const ROLES: Record<number, string> = { 10: 'Guest', 20: 'Reporter', 30: 'Developer', 40: 'Maintainer', 50: 'Owner' };

export async function runChecks(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const checks: Check[] = [];
  const ok = (text: string) => checks.push({ status: 'ok', text });
  const problem = (text: string) => checks.push({ status: 'problem', text });
  const skipped = (text: string) => checks.push({ status: 'skipped', text });
  const outbound = installOutbound(config.network, config.dataDir);
  checks.push(...networkSettingsChecks(config, outbound, env));
  checks.push(...(await storeChecks(config)));
  checks.push(sandboxCheck(env));
  const gitlab = createGitLabClient({ url: config.gitlabUrl, token: config.gitlabToken, retry: { retries: 1 } });

  let bot: { id: number; username: string } | undefined;
  try {
    bot = (await gitlab.Users.showCurrentUser()) as { id: number; username: string };
    ok(`GitLab at ${config.gitlabUrl} knows the token: the bot is @${bot.username}`);
  } catch (err) {
    problem(`GitLab: ${describeGitLabFailure(err)}`);
  }
  if (bot) {
    try {
      const token = (await gitlab.requester.get('personal_access_tokens/self')) as unknown as { body?: { scopes?: string[] }; scopes?: string[] };
      const scopes = token.scopes ?? token.body?.scopes ?? [];
      if (scopes.includes('api')) ok(`the token has the api scope (${scopes.join(', ')})`);
      else problem(`the token's scopes are ${scopes.join(', ') || 'none'}: the bot needs api (comments, branches, merge requests)`);
    } catch (err) {
      if (isGitLabError(err) && [401, 403].includes(err.status)) problem(`the token's scope: ${describeGitLabFailure(err)}`);
      else skipped('the token\'s scope could not be read (GitLab before 15.5, or not a personal or project token)');
    }
    if (!config.allowedProjects.length) {
      skipped('projects: ALLOWED_PROJECTS is empty, so every project that sends webhooks is served; list them to have each checked here');
    }
    for (const project of config.allowedProjects) {
      try {
        const member = (await gitlab.ProjectMembers.show(project, bot.id, { includeInherited: true })) as { access_level: number };
        if (member.access_level >= DEVELOPER) ok(`${project}: @${bot.username} is ${ROLES[member.access_level] ?? member.access_level}`);
        else problem(`${project}: @${bot.username} is only ${ROLES[member.access_level] ?? member.access_level}; it needs Developer to push branches and open merge requests`);
      } catch (err) {
        problem(isGitLabError(err, 404) ? `${project}: @${bot.username} is not a member (or the project does not exist); add it as Developer` : `${project}: ${describeGitLabFailure(err, project)}`);
        continue;
      }
      try {
        const hooks = (await gitlab.ProjectHooks.all(project)) as Array<{ url: string; note_events?: boolean; issues_events?: boolean; merge_requests_events?: boolean }>;
        const ours = hooks.filter((h) => new URL(h.url).pathname.endsWith(WEBHOOK_PATH));
        if (!ours.length) problem(`${project}: no webhook to …${WEBHOOK_PATH}; run dagwright hook install ${project} URL`);
        else if (ours.some((h) => h.note_events && h.issues_events && h.merge_requests_events)) ok(`${project}: webhook to ${ours[0]!.url}`);
        else problem(`${project}: the webhook to ${ours[0]!.url} misses issue, comment or merge request events`);
      } catch (err) {
        // Reading hooks needs Maintainer; a Developer bot cannot tell.
        if (isGitLabError(err, 403)) {
          skipped(
            `${project}: webhooks cannot be read with a Developer token. To check: a Maintainer opens Settings → Webhooks, finds the hook to …${WEBHOOK_PATH} with issue, comment, merge request, pipeline and emoji events, and uses Test → Issues events (the bot answers 200); or runs \`dagwright hook install ${project} URL\` with a Maintainer's token`,
          );
        }
        else problem(`${project}: ${describeGitLabFailure(err, project)}`);
      }
    }
    checks.push(...(await gitReachChecks(config, outbound, gitlab)));
  }

  if (!config.llm) skipped('model: none configured (LLM_BASE_URL, LLM_MODEL); structured requests work, prose gets a one-line pointer to /set');
  else {
    try {
      await generateText({ model: createChatModel(config.llm), prompt: 'Reply with the word ready.', maxOutputTokens: 5, maxRetries: 0 });
      ok(`model ${config.llm.model} at ${config.llm.baseUrl} answers`);
    } catch (err) {
      problem(`model ${config.llm.model} at ${config.llm.baseUrl}: ${redact((err as Error).message).split('\n')[0]}`);
    }
  }

  checks.push(...(await airflowChecks(config)));

  const sources = registerConnectionSecrets(env);
  if (!sources.length) skipped('sources: no AIRFLOW_CONN_<ID> given, so the bot inspects none');
  for (const connId of sources) {
    try {
      const answer = await operations.testConnection(connId, env);
      ok(`source ${connId}: ${answer.version.split('\n')[0]!.slice(0, 80)}`);
    } catch (err) {
      problem(`source ${connId}: ${(err as Error).message}`);
    }
  }
  return checks;
}

/** The Airflow the bot checks merged DAGs in: its URL and version, the sign-in, the permission to read. */
async function airflowChecks(config: ServerConfig): Promise<Check[]> {
  if (!config.airflow) return [{ status: 'skipped', text: 'Airflow: AIRFLOW_URL is not set, so the bot does not check that merged DAGs are live' }];
  const client = new AirflowClient(config.airflow, { timeoutMs: 10_000 });
  const url = config.airflow.url;
  const checks: Check[] = [];
  try {
    const { api, version } = await client.api();
    checks.push({ status: 'ok', text: `Airflow ${version} at ${url} (REST API /api/${api})` });
    checks.push({ status: 'ok', text: `Airflow: ${await client.signIn()}` });
    await client.readsDagsAndImportErrors();
    checks.push({ status: 'ok', text: 'Airflow: the user may read DAGs and import errors' });
  } catch (err) {
    checks.push({ status: 'problem', text: err instanceof AirflowError ? err.message : `Airflow at ${url}: ${redact((err as Error).message)}` });
  }
  return checks;
}

/**
 * The sandbox that runs generated DAGs (AIRFLOW_PYTHON's import) and repository packs: a problem only where
 * something needs it.
 */
function sandboxCheck(env: NodeJS.ProcessEnv): Check {
  const problem = sandboxProblem();
  const needs = [env.AIRFLOW_PYTHON?.trim() && 'AIRFLOW_PYTHON is set', repositoryPacksEnabled(env) && 'REPO_PACKS=on'].filter(Boolean);
  if (!problem) return { status: 'ok', text: 'sandbox: bubblewrap runs generated code with no environment, network or view of the bot' };
  if (needs.length) return { status: 'problem', text: `sandbox: ${problem}; ${needs.join(' and ')}, so /generate stops at validation until it works` };
  return { status: 'skipped', text: `sandbox: ${problem} (needed once AIRFLOW_PYTHON is set or REPO_PACKS=on)` };
}

export async function doctorCommand(config: ServerConfig, out: Out): Promise<number> {
  const checks = await runChecks(config);
  for (const check of checks) out.log(`${check.status === 'ok' ? '✔' : check.status === 'problem' ? '✘' : '–'} ${check.text}`);
  const problems = checks.filter((c) => c.status === 'problem').length;
  out.log(problems ? `${problems} problem(s) to fix.` : 'Nothing to fix.');
  return problems ? 1 : 0;
}
