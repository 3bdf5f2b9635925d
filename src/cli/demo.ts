// `dagwright demo`: the whole flow against the built-in GitLab stand-in, with no configuration — a request in
// an issue, the conversation, /generate, review on the merge request, a human commit merged three-way with a
// re-render, the merge, and (where this checkout has an Airflow environment) the DAG loaded by a real Airflow —
// printed as a reader of the issue and the merge request would see it.
import { projectWebhookSecret } from '../bot/verify.ts';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDagwright } from '../app.ts';
import { localServerConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { startGitLabStandIn } from '../gitlab-standin/index.ts';
import type { Note } from '../gitlab-standin/model.ts';
import { seedGitLabStandIn } from '../gitlab-standin/seed.ts';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, freePort, hasLocalAirflow, LocalAirflow } from './local-airflow.ts';

const run = promisify(execFile);
const SECRET = 'demo-webhook-secret';

/** A connection URL holding this run's made-up password (built from parts, so no credential sits in the code). */
function sourceUrl(password: string): string {
  const url = new URL('postgresql://db.internal:5432/orders');
  url.username = 'etl';
  url.password = password;
  return url.href;
}

/** The request, with a password made up for this run: the demo shows that the bot masks it and keeps it nowhere. */
const requestWith = (password: string) => [
  'We need the customers of the orders database in the lake, every morning.',
  '',
  '| Parameter | Value |',
  '|---|---|',
  '| DAG ID | orders_customers_daily |',
  `| source_database | ${sourceUrl(password)} |`,
  '| source_table | public.customers |',
  '| source_table_ddl | CREATE TABLE public.customers (customer_id uuid PRIMARY KEY, email varchar(100), country char(2), updated_at timestamp) |',
  '| interval | 0 6 * * * |',
  '| target_storing_type | full |',
  '| data_quality | not_null(customer_id), unique(customer_id), row_count >= 1 |',
].join('\n');

export type DemoResult = {
  transcript: string;
  checkout: string;
  files: string[];
  mergeRequestUrl: string;
  sourcePassword: string;
  /** Whether the last step ran against a real Airflow (an environment from `npm run airflow:setup`), and why not. */
  airflow: { checked: true } | { checked: false; why: string };
};

/** How long the demo waits for its local Airflow to load the merged DAG. */
const AIRFLOW_WAIT_MS = 150_000;

export async function runDemo(options: { out?: (line: string) => void; workDir?: string } = {}): Promise<DemoResult> {
  const print = options.out ?? ((line: string) => console.log(line));
  const sourcePassword = `Demo-${randomBytes(6).toString('base64url')}`;
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-demo-'));
  const standIn = await startGitLabStandIn({ dataDir: path.join(workDir, 'gitlab') });
  const seed = fileURLToPath(new URL('../../fixtures/gitlab-standin-repo', import.meta.url));
  const { root, alice, bot: botUser, project } = await seedGitLabStandIn(standIn, seed);
  // The local Airflow starts beside the conversation (it takes a while); the bot knows where it will answer.
  const airflowPort = hasLocalAirflow(3) ? await freePort() : undefined;
  const starting = airflowPort ? LocalAirflow.start(3, { port: airflowPort }) : undefined;
  starting?.catch(() => undefined);
  const config = localServerConfig({ gitlabUrl: standIn.url, gitlabToken: botUser.token, webhookSecret: SECRET, dataDir: path.join(workDir, 'bot') });
  if (airflowPort) {
    const url = `http://127.0.0.1:${airflowPort}`;
    config.airflow = { url, uiUrl: url, auth: { kind: 'password', username: AIRFLOW_USER, password: AIRFLOW_PASSWORD }, waitMs: AIRFLOW_WAIT_MS, checks: { firstMs: 1_000, maxMs: 3_000 } };
  }
  const bot = await createDagwright({ config, log: createLogger('silent') });
  let airflow: LocalAirflow | undefined;
  try {
    const { port } = await bot.listen();
    await bot.start();
    const botUrl = `http://127.0.0.1:${port}`;
    standIn.addHook(project, `${botUrl}/webhooks/gitlab`, { token: projectWebhookSecret(SECRET, project.id) });
    const settle = () => standIn.settled({ botUrl, timeoutMs: 60_000 });
    const step = (text: string) => print(`» ${text}`);

    step('alice opens an issue with a pipeline request (the old parameter table, with a password in the URL)');
    const issue = standIn.openIssue(project, alice, { title: 'Load customers into the lake', description: requestWith(sourcePassword) });
    await settle();
    step('alice answers the card: where the data goes');
    await standIn.comment(project, { issue: issue.iid }, alice, 'target.conn_id: lake\ntarget.table: raw_orders.customers');
    await settle();
    step('alice asks for the merge request');
    await standIn.comment(project, { issue: issue.iid }, alice, '/generate');
    await settle();
    const mr = project.mergeRequests[0];
    if (!mr) throw new Error('the demo expected a merge request; see the status comment above');
    step(`root reviews !${mr.iid} and asks for a later schedule`);
    await standIn.comment(project, { mergeRequest: mr.iid }, root, '/set schedule="0 7 * * *"');
    await settle();
    step('alice adds a note to the pipeline\'s doc on the branch, then the spec changes again');
    const docPath = 'dags/raw/orders/orders_customers_daily.md';
    const doc = (await fetch(`${standIn.url}/api/v4/projects/${project.id}/repository/files/${encodeURIComponent(docPath)}/raw?ref=${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': alice.token } }).then((r) => r.text()));
    await standIn.pushCommit(project, alice, { branch: mr.sourceBranch, files: { [docPath]: `${doc}\n## Notes from the data team\n\nThe orders database is replicated at 05:30.\n` }, message: 'Note the replication time' });
    await standIn.comment(project, { mergeRequest: mr.iid }, root, '/set retries=3');
    await settle();
    step(`root merges !${mr.iid}`);
    await standIn.mergeMergeRequest(project, mr.iid, root);
    let airflowStep: DemoResult['airflow'];
    if (starting) {
      step("the team's CI ships the DAGs folder to Airflow 3 (here a local api-server and dag-processor); the bot waits until Airflow has loaded this version of the DAG");
      airflow = await starting;
      const dagPath = 'dags/raw/orders/orders_customers_daily.py';
      const merged = await fetch(`${standIn.url}/api/v4/projects/${project.id}/repository/files/${encodeURIComponent(dagPath)}/raw?ref=${project.defaultBranch}`, { headers: { 'PRIVATE-TOKEN': alice.token } }).then((r) => r.text());
      airflow.deploy(dagPath.slice('dags/'.length), merged);
      await waitForReport(project.notes, issue.iid, AIRFLOW_WAIT_MS + 10_000);
      airflowStep = { checked: true };
    } else {
      const why = 'this checkout has no Airflow environment (`npm run airflow:setup` makes one)';
      step(`left out: the check that Airflow loaded the DAG, since ${why}; the status comment says the check is not configured`);
      airflowStep = { checked: false, why };
    }
    await settle();

    const transcript = [
      `# Issue #${issue.iid}: ${issue.title} (by @${alice.username})`,
      '',
      issue.description,
      '',
      ...thread(project.notes.filter((n) => n.noteableType === 'Issue' && n.noteableIid === issue.iid), standIn),
      '',
      `# Merge request !${mr.iid}: ${mr.title} (${mr.state})`,
      '',
      ...thread(project.notes.filter((n) => n.noteableType === 'MergeRequest' && n.noteableIid === mr.iid), standIn),
    ].join('\n');
    print('');
    print(transcript);

    const checkout = path.join(workDir, 'warehouse');
    const header = `Authorization: Basic ${Buffer.from(`oauth2:${root.token}`).toString('base64')}`;
    await run('git', ['-c', `http.extraHeader=${header}`, 'clone', '--quiet', `${standIn.url}/data/warehouse.git`, checkout]);
    const files = (await run('git', ['-C', checkout, 'ls-files'])).stdout.split('\n').filter((f) => f.startsWith('dags/raw') || f.startsWith('tests/'));
    print('');
    print(`The merged main branch is checked out in ${checkout}; the pipeline's files:`);
    for (const file of files) print(`  ${file}`);
    const mergeRequestUrl = `${standIn.url}/data/warehouse/-/merge_requests/${mr.iid}`;
    return { transcript, checkout, files, mergeRequestUrl, sourcePassword, airflow: airflowStep };
  } finally {
    await bot.stop(5_000);
    await standIn.close();
    await (airflow ?? (await starting?.catch(() => undefined)))?.stop();
  }
}

/** Waits for the bot's reply on the issue that says how the Airflow check ended. */
async function waitForReport(notes: Note[], issueIid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!notes.some((n) => n.noteableType === 'Issue' && n.noteableIid === issueIid && n.body.includes('dagwright:deploy:'))) {
    if (Date.now() > deadline) throw new Error('the bot did not report what Airflow says of the DAG in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function thread(notes: Note[], standIn: { gitlab: { model: { userById(id: number): { username: string } | undefined } } }): string[] {
  return notes
    .sort((a, b) => a.id - b.id)
    .flatMap((n) => [`## @${standIn.gitlab.model.userById(n.authorId)?.username ?? '?'}${n.type === 'DiffNote' ? ' (on a line)' : ''}`, '', n.body.replace(/^<!-- dagwright:[^>]*-->\n/, ''), '']);
}
