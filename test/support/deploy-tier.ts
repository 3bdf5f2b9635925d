// After the merge, against a real Airflow: the bot waits for Airflow to load the merged DAG and tells the issue
// (live with its next run, Airflow's import error, not seen in time, credentials refused, a failed merge
// pipeline), through restarts of the bot and an Airflow that goes away for a while.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { registerHandlers } from '../../handlers/index.ts';
import type { AirflowSettings } from '../../src/config.ts';
import { skipUnlessAirflow, type AirflowLine } from './airflow.ts';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, AirflowServer, freePort } from './airflow-server.ts';
import { startBot, startStack, waitFor, type Stack, hookSecretFor } from './harness.ts';
import { runChecks } from '../../src/cli/doctor.ts';
import { FaultProxy } from './fault-proxy.ts';

/** The DAG's file below the DAGs folder (the repository keeps it under `dags/`). */
const fileOf = (dagId: string) => `raw/orders/${dagId}.py`;

const requestFor = (line: AirflowLine, dagId: string) =>
  [
    'Daily copy of customers from the orders database to the lake.',
    '',
    '```yaml',
    `dag_id: ${dagId}`,
    'schedule: "0 6 * * *"',
    'start_date: 2026-01-01',
    `airflow_version: ${line}`,
    'source: {type: postgres, conn_id: orders_pg, table: public.customers}',
    'target: {conn_id: lake, table: raw_orders.customers}',
    'load: {strategy: snapshot}',
    '```',
  ].join('\n');

export function deployTier(line: AirflowLine): void {
  const skip = skipUnlessAirflow(line);
  const api = line === 3 ? 'v2' : 'v1';
  describe(`after the merge, Airflow ${line} says whether the DAG is live`, { skip }, () => {
    let airflow: AirflowServer;
    let stack: Stack | undefined;
    before(async () => {
      // Airflow 3's JWTs expire after 8 s here, so that watches outlive their first token.
      airflow = await AirflowServer.start(line, { jwtSeconds: 8 });
    });
    after(async () => airflow?.stop());
    afterEach(async () => {
      await stack?.stop();
      stack = undefined;
    });

    const settingsOf = (overrides: Partial<AirflowSettings> = {}): AirflowSettings => ({
      url: airflow.url,
      uiUrl: 'https://airflow.example.com',
      auth: { kind: 'password', username: AIRFLOW_USER, password: AIRFLOW_PASSWORD },
      waitMs: 90_000,
      checks: { firstMs: 300, maxMs: 1_500 },
      ...overrides,
    });
    const status = (s: Stack, iid: number) => s.botComments(iid).find((n) => n.body.includes('dagwright:status'))?.body ?? '';
    const deployReplies = (s: Stack, iid: number) => s.botComments(iid).filter((n) => n.body.includes('dagwright:deploy:'));

    /** A merge request of the bot for a fresh issue; each test's DAG has an id of its own (Airflow refuses two files with one id). */
    let tests = 0;
    async function generated(options: Partial<AirflowSettings> = {}) {
      const dagId = `orders_af${line}_${++tests}`;
      const s = (stack = await startStack({ register: registerHandlers, config: { airflow: settingsOf(options) } }));
      const issue = s.openIssue('Load customers', requestFor(line, dagId));
      await s.settle();
      await s.comment(issue, '/generate');
      await s.settle();
      const mr = s.project.mergeRequests[0];
      assert.ok(mr, `the merge request is open; status:\n${status(s, issue.iid)}`);
      const path = `dags/${fileOf(dagId)}`;
      const response = await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent(path)}/raw?ref=${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } });
      assert.equal(response.status, 200, `${path} is on the branch`);
      const dag = await response.text();
      /** The team's deploy: the file lands in Airflow's DAGs folder. */
      const deploy = (content = dag) => airflow.deploy(fileOf(dagId), content);
      return { s, issue, mr, dag, dagId, deploy };
    }

    const reported = (s: Stack, iid: number, pattern: RegExp, timeoutMs = 90_000) =>
      waitFor(() => pattern.test(status(s, iid)) && deployReplies(s, iid).length > 0, { timeoutMs, what: `the report ${pattern} (status now:\n${status(s, iid)})` });

    test('a merged pipeline whose file appears: ✅ live, paused, with the next run Airflow has, and one reply', async () => {
      const { s, issue, mr, dagId, deploy } = await generated();
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      await waitFor(() => /Waiting for Airflow to load/.test(status(s, issue.iid)), { what: 'the waiting status' });
      deploy();
      await reported(s, issue.iid, /is live in Airflow/);
      const body = status(s, issue.iid);
      assert.match(body, new RegExp(`### ✅ \`${dagId}\` is live in Airflow`));
      assert.match(body, /paused: it runs once someone unpauses it in Airflow/);
      assert.match(body, new RegExp(`\\[open it in Airflow\\]\\(https://airflow\\.example\\.com/dags/${dagId}\\)`));
      const auth = await authorization();
      const seen = (await (await fetch(`${airflow.url}/api/${api}/dags/${dagId}`, { headers: { authorization: auth } })).json()) as Record<string, string>;
      const next = (line === 3 ? seen.next_dagrun_run_after : seen.next_dagrun_create_after)!;
      assert.match(next, /T06:00:00/);
      assert.match(body, new RegExp(`next run: ${next.slice(0, 10)} 06:00:00 UTC`), `the next run is Airflow's: ${next}`);
      assert.equal(deployReplies(s, issue.iid).length, 1);
      assert.match(deployReplies(s, issue.iid)[0]!.body, new RegExp(`✅ \`${dagId}\` is live in Airflow`));
    });

    test("a file that does not import: ❌ with Airflow's stack trace, fenced", async () => {
      const { s, issue, mr, dag, dagId, deploy } = await generated();
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      // The deploy carries a file that cannot import (a module Airflow's environment does not have).
      deploy(`${dag}\nimport no_such_module_of_the_team\n`);
      await reported(s, issue.iid, /Airflow could not import/);
      const body = status(s, issue.iid);
      assert.match(body, new RegExp(`### ❌ Airflow could not import \`${dagId}\``));
      assert.match(body, /```text\n[\s\S]*ModuleNotFoundError: No module named 'no_such_module_of_the_team'[\s\S]*\n```/);
      assert.match(body, new RegExp(fileOf(dagId).replace(/[./]/g, '\\$&')));
      assert.equal(deployReplies(s, issue.iid).length, 1);
    });

    test('an update of a DAG Airflow already has is not live until Airflow has parsed the merged version', async () => {
      const { s, issue, mr, dag, dagId, deploy } = await generated();
      const old = dag.replace(/description="[^"]*"/, 'description="the version before the merge"');
      assert.notEqual(old, dag);
      deploy(old);
      await airflowKnows(dagId, 'the version before the merge');
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      // The bot looks several times while Airflow has the old version (and re-parses that file meanwhile).
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      assert.doesNotMatch(status(s, issue.iid), /is live/, 'not live while Airflow has the old version');
      assert.equal(deployReplies(s, issue.iid).length, 0);
      deploy();
      await reported(s, issue.iid, /is live in Airflow/);
    });

    test('nothing deployed: ⏳ after AIRFLOW_WAIT, saying what the last look found', async () => {
      const { s, issue, mr } = await generated({ waitMs: 5_000 });
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      await reported(s, issue.iid, /was not seen in Airflow within 5 s/, 30_000);
      assert.match(status(s, issue.iid), /the last look found: Airflow does not know the DAG yet/);
    });

    test('a wrong password: the issue says the check could not sign in, naming the variables', async () => {
      const { s, issue, mr } = await generated({ auth: { kind: 'password', username: AIRFLOW_USER, password: 'not-the-password' } });
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      await reported(s, issue.iid, /The Airflow check could not read Airflow/, 30_000);
      const body = status(s, issue.iid);
      assert.match(body, line === 3 ? /refused the sign-in of `dagwright`: check AIRFLOW_USERNAME and AIRFLOW_PASSWORD/ : /refused `dagwright` \(403\): the password is wrong or the user may not read DAGs/);
      assert.doesNotMatch(body, /not-the-password/);
    });

    test('the bot restarted while waiting: the watch goes on from the queue, and reports once', async () => {
      const { s, issue, mr, deploy } = await generated();
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      await waitFor(async () => (await s.bot.dagwright.store.deployWatches.get(s.project.id, mr.iid))?.checks! >= 2, { what: 'two looks before the restart' });
      const { dataDir } = s.bot.dagwright.config;
      await s.bot.stop();
      const again = await startBot({ gitlab: { url: s.standIn.url, token: s.botUser.token }, register: registerHandlers, config: { dataDir, airflow: settingsOf() } });
      s.project.hooks.splice(0, s.project.hooks.length);
      s.standIn.addHook(s.project, `${again.url}/webhooks/gitlab`, { token: hookSecretFor(s.project.id) });
      s.bot = again;
      deploy();
      await reported(s, issue.iid, /is live in Airflow/);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(deployReplies(s, issue.iid).length, 1, 'one reply');
      assert.equal(s.botComments(issue.iid).filter((n) => n.body.includes('dagwright:status')).length, 1, 'one status comment');
    });

    test("Airflow's API away for a while: the bot keeps looking, then reports", async () => {
      const { s, issue, mr, deploy } = await generated();
      await airflow.stopApi();
      try {
        await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
        await waitFor(async () => /cannot be reached/.test((await s.bot.dagwright.store.deployWatches.get(s.project.id, mr.iid))?.lastSeen ?? ''), { what: 'a look that found Airflow away' });
        deploy();
      } finally {
        await airflow.startApi();
      }
      await reported(s, issue.iid, /is live in Airflow/);
    });

    test('Airflow answering 503 for a while: the bot keeps looking, then reports', async () => {
      const proxy = await FaultProxy.start(airflow.url);
      try {
        const { s, issue, mr, deploy } = await generated({ url: proxy.url });
        proxy.fail(true);
        await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
        await waitFor(async () => /answered 503/.test((await s.bot.dagwright.store.deployWatches.get(s.project.id, mr.iid))?.lastSeen ?? ''), { what: 'a look that Airflow answered with 503' });
        deploy();
        await waitFor(() => proxy.failed >= 3, { what: 'three answers of 503' });
        proxy.fail(false);
        await reported(s, issue.iid, /is live in Airflow/);
      } finally {
        await proxy.close();
      }
    });

    test('a failed pipeline of the merge commit is reported as the likely reason', async () => {
      const { s, issue, mr } = await generated();
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      await waitFor(() => /Waiting for Airflow to load/.test(status(s, issue.iid)), { what: 'the waiting status' });
      await s.standIn.runPipeline(s.project, { ref: s.project.defaultBranch, status: 'failed', user: s.root });
      await reported(s, issue.iid, /The pipeline of the merge failed/, 30_000);
      assert.match(status(s, issue.iid), /-\/pipelines\/\d+/);
    });

    test("/status adds Airflow's view: parsed, paused, the next run, the last runs", async () => {
      const { s, issue, mr, dagId, deploy } = await generated();
      await s.standIn.mergeMergeRequest(s.project, mr.iid, s.root);
      deploy();
      await reported(s, issue.iid, /is live in Airflow/);
      const triggered = await fetch(`${airflow.url}/api/${api}/dags/${dagId}/dagRuns`, { method: 'POST', headers: { authorization: await authorization(), 'content-type': 'application/json' }, body: JSON.stringify(line === 3 ? { logical_date: null } : {}) });
      assert.ok(triggered.ok, `a run is triggered: ${triggered.status} ${await triggered.text()}`);
      await s.comment(issue, '/status');
      await s.settle();
      const reply = s.botComments(issue.iid).at(-1)!.body;
      assert.match(reply, /\*\*In Airflow\*\*/);
      assert.match(reply, new RegExp(`- \\[\`${dagId}\`\\]\\(https://airflow\\.example\\.com/dags/${dagId}\\): paused, last parsed \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}`));
      assert.match(reply, /- next run: \d{4}-\d{2}-\d{2} 06:00:00 UTC/);
      assert.match(reply, /- last runs: (queued|running|success|failed) \(\d{4}-\d{2}-\d{2} /);
    });

    test('doctor: the URL and version, the sign-in and the permission, one line each; a wrong password named', async () => {
      const s = (stack = await startStack({ register: registerHandlers }));
      const lines = async (settings: AirflowSettings) => (await runChecks({ ...s.bot.dagwright.config, airflow: settings }, {})).filter((c) => c.text.startsWith('Airflow'));
      const good = await lines(settingsOf());
      assert.deepEqual(good.map((c) => c.status), ['ok', 'ok', 'ok'], JSON.stringify(good));
      assert.match(good[0]!.text, new RegExp(`^Airflow ${line}\\.\\d+\\.\\d+ at http://127\\.0\\.0\\.1:\\d+ \\(REST API /api/v${line === 3 ? 2 : 1}\\)$`));
      assert.match(good[2]!.text, /may read DAGs and import errors/);
      const bad = await lines(settingsOf({ auth: { kind: 'password', username: AIRFLOW_USER, password: 'wrong-one' } }));
      assert.equal(bad.at(-1)!.status, 'problem');
      assert.match(bad.at(-1)!.text, /AIRFLOW_PASSWORD/);
      assert.doesNotMatch(JSON.stringify(bad), /wrong-one/);
      const nobody = `http://127.0.0.1:${await freePort()}`;
      const away = await lines(settingsOf({ url: nobody }));
      assert.deepEqual(away.map((c) => [c.status, c.text]), [['problem', `Airflow at ${nobody} cannot be reached: nothing accepts connections at ${new URL(nobody).host} (connection refused)`]]);
    });

    async function authorization(): Promise<string> {
      return line === 3 ? bearer() : `Basic ${Buffer.from(`${AIRFLOW_USER}:${AIRFLOW_PASSWORD}`).toString('base64')}`;
    }

    async function bearer(): Promise<string> {
      const response = await fetch(`${airflow.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: AIRFLOW_USER, password: AIRFLOW_PASSWORD }) });
      return `Bearer ${((await response.json()) as { access_token: string }).access_token}`;
    }

    /** Waits until Airflow has parsed a version of the DAG whose source holds `marker`. */
    async function airflowKnows(dagId: string, marker: string): Promise<void> {
      const auth = await authorization();
      await waitFor(
        async () => {
          const response = await fetch(`${airflow.url}/api/${api}/dags/${dagId}`, { headers: { authorization: auth } });
          if (!response.ok) return false;
          const body = (await response.json()) as { file_token?: string };
          const source = await fetch(`${airflow.url}/api/${api}/dagSources/${line === 3 ? dagId : body.file_token}`, { headers: { authorization: auth, accept: 'application/json' } });
          return source.ok && (await source.text()).includes(marker);
        },
        { timeoutMs: 60_000, what: `Airflow to parse ${dagId} with "${marker}"` },
      );
    }
  });
}
