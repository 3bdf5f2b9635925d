// The real command line in its own process: crash recovery, graceful shutdown, replay, configuration errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Issue, Project, User } from '../src/gitlab-standin/model.ts';
import { repoRoot, tempDir, waitFor, WEBHOOK_SECRET, hookSecretFor } from './support/harness.ts';
import { seededStandIn } from './support/record-deliveries.ts';
import { mainScript, startServe, type Server } from './support/serve.ts';
import { queryServedStore } from './support/test-database.ts';

const main = mainScript;

/** Runs the command line without blocking this process (the GitLab double answers from here). */
function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}


describe('the dagwright process', () => {
  let standIn: GitLabStandIn;
  let alice: User, bot: User;
  let project: Project;
  let env: Record<string, string>;
  before(async () => {
    ({ standIn, alice, bot, project } = await seededStandIn());
    env = { GITLAB_URL: standIn.url, GITLAB_TOKEN: bot.token, WEBHOOK_SECRET, DATA_DIR: tempDir() };
  });
  after(() => standIn.close());

  const hookTo = (server: Server) => standIn.addHook(project, `http://127.0.0.1:${server.port}/webhooks/gitlab`, { token: hookSecretFor(project.id) });
  const botNotes = (issue: Issue) => project.notes.filter((n) => n.noteableId === issue.id && n.authorId === bot.id);
  const notesPath = (issue: Issue) => new RegExp(`/projects/${project.id}/issues/${issue.iid}/notes$`);

  test('a process killed with SIGKILL while a job is leased runs that job again after restart', async () => {
    const issue = standIn.openIssue(project, alice, { title: 'Crash' });
    // The bot's reply hangs in GitLab (a minute of latency) while the process is killed.
    standIn.injectFault({ method: 'POST', path: notesPath(issue), effect: { latencyMs: 60_000 }, times: 1 });
    const first = await startServe(env);
    const hook = hookTo(first);
    await standIn.comment(project, { issue: issue.iid }, alice, '/help');
    await waitFor(() => standIn.gitlab.webhooks.pending === 0 && standIn.deliveries.at(-1)?.status === 200, { what: 'the delivery' });
    await untilPosting(notesPath(issue));
    first.child.kill('SIGKILL');
    await first.exited;
    project.hooks.splice(project.hooks.indexOf(hook), 1);
    assert.equal(botNotes(issue).length, 0);

    const second = await startServe(env);
    await waitFor(() => botNotes(issue).length === 1, { what: 'the reply after restart', timeoutMs: 10_000 });
    assert.ok(second.logs.some((l) => l.includes('requeued jobs interrupted by a previous stop')));
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const jobs = await queryServedStore(second.env, 'SELECT status, attempts FROM jobs WHERE resource_key = ?', [`${project.id}#${issue.iid}`]);
    assert.deepEqual(jobs, [{ status: 'succeeded', attempts: 2 }]);
    assert.equal(botNotes(issue).length, 1);
  });

  /** Waits until GitLab has received the bot's POST and not answered it yet. */
  const untilPosting = (path: RegExp) =>
    waitFor(() => [...standIn.activeRequests].some((r) => r.method === 'POST' && path.test(r.path)), { what: 'the bot to call GitLab' });

  test('SIGTERM lets a running job finish before the process exits', async () => {
    const issue = standIn.openIssue(project, alice, { title: 'Drain' });
    standIn.injectFault({ method: 'POST', path: notesPath(issue), effect: { latencyMs: 1_000 }, times: 1 });
    const server = await startServe(env);
    const hook = hookTo(server);
    await standIn.comment(project, { issue: issue.iid }, alice, '/help');
    await waitFor(() => standIn.deliveries.at(-1)?.status === 200, { what: 'the delivery' });
    await untilPosting(notesPath(issue));
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    project.hooks.splice(project.hooks.indexOf(hook), 1);
    assert.equal(botNotes(issue).length, 1, 'the reply was written before exit');
  });

  test('replay runs a recorded delivery through the bot, once', async () => {
    const issue = standIn.openIssue(project, alice, { title: 'Replay' });
    const recorder = standIn.addHook(project, 'http://127.0.0.1:9/unreachable');
    await standIn.comment(project, { issue: issue.iid }, alice, '/help');
    await standIn.settled();
    project.hooks.splice(project.hooks.indexOf(recorder), 1);
    const recorded = standIn.deliveries.filter((d) => d.hookId === recorder.id).at(-1)!;
    const file = path.join(tempDir(), 'delivery.json');
    fs.writeFileSync(file, JSON.stringify({ headers: recorded.headers, body: recorded.body }));
    const run = () => runCli(['replay', file], { ...process.env, ...env, WEBHOOK_SECRET: '', LOG_LEVEL: 'silent' });
    const first = await run();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /delivery: accepted/);
    assert.match(first.stdout, /event: note, note\.issue → \d+ handler\(s\)/);
    assert.match(first.stdout, /job \d+: succeeded after 1 attempt/);
    assert.equal(botNotes(issue).length, 1);
    const again = await run();
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /delivery: duplicate/);
    assert.equal(botNotes(issue).length, 1);
  });

  test('the recorded deliveries in fixtures/ replay against a stand-in seeded like `dagwright gitlab-standin`', async () => {
    const seeded = await seededStandIn();
    try {
      const dir = path.join(repoRoot, 'fixtures/deliveries');
      // What the recordings speak of, as GitLab would hold it (the bot reads it back before it acts), made as the
      // recorder made it: a hook first (it took an id; this one sends nothing), then the issue and the comment.
      seeded.standIn.addHook(seeded.project, 'http://127.0.0.1:9/', { events: { issues_events: false, confidential_issues_events: false, note_events: false, confidential_note_events: false, merge_requests_events: false, pipeline_events: false, emoji_events: false, push_events: false } });
      const recorded = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')).body;
      const opened = recorded('issue-open-pipeline-request.json').object_attributes;
      const issue = seeded.standIn.openIssue(seeded.project, seeded.alice, { title: opened.title, description: opened.description });
      const help = await seeded.standIn.comment(seeded.project, { issue: issue.iid }, seeded.alice, recorded('note-help-on-issue.json').object_attributes.note);
      assert.deepEqual([issue.id, issue.iid, help?.id], [opened.id, opened.iid, recorded('note-help-on-issue.json').object_attributes.id], 'the stand-in holds what was recorded, at the same ids');
      for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        const run = await runCli(['replay', path.join(dir, name)], {
          ...process.env,
          GITLAB_URL: seeded.standIn.url,
          GITLAB_TOKEN: seeded.bot.token,
          DATA_DIR: tempDir(),
          LOG_LEVEL: 'silent',
        });
        assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
        assert.match(run.stdout, /delivery: accepted/, name);
        assert.match(run.stdout, /succeeded/, name);
      }
      const replies = seeded.project.notes.filter((n) => n.authorId === seeded.bot.id).map((n) => n.body);
      assert.equal(replies.filter((b) => b.includes('dagwright:card')).length, 1, 'the request got its card');
      assert.equal(replies.filter((b) => b.includes('Dagwright commands')).length, 1, 'the /help comment got its answer');
    } finally {
      await seeded.standIn.close();
    }
  });

  test('replay explains a file that is not a recorded delivery', () => {
    const file = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ body: {} }));
    const run = spawnSync(process.execPath, [main, 'replay', file], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /is not a recorded delivery: headers/);
  });

  test('serve without its configuration names every missing variable and exits 2', () => {
    const run = spawnSync(process.execPath, [main, 'serve'], {
      env: { PATH: process.env.PATH, PORT: 'eighty' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 2);
    for (const name of ['GITLAB_URL', 'GITLAB_TOKEN', 'WEBHOOK_SECRET', 'PORT']) assert.match(run.stderr, new RegExp(`- ${name} `));
  });

  test('`dagwright gitlab-standin` serves a seeded GitLab and prints what is needed to use it', async () => {
    const child = spawn(process.execPath, [main, 'gitlab-standin'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor(() => out.includes('Ctrl-C'), { what: 'the stand-in to start' });
      const url = out.match(/GitLab stand-in at (\S+)/)![1]!;
      const token = out.match(/^dagwright token (\S+)/m)![1]!;
      const res = await fetch(`${url}/api/v4/projects/data%2Fwarehouse`, { headers: { 'PRIVATE-TOKEN': token } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { id: number }).id, 4);
      const config = await fetch(`${url}/api/v4/projects/4/repository/files/.gitlab%2Fdagwright.yml/raw?ref=main`, { headers: { 'PRIVATE-TOKEN': token } });
      assert.match(await config.text(), /pack: airflow-sql/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('render writes a valid pipeline from a spec file; a bad spec writes nothing and names the fields', async () => {
    const dir = tempDir();
    const spec = path.join(dir, 'spec.yaml');
    fs.writeFileSync(
      spec,
      ['dag_id: orders_customers_daily', 'description: Daily copy of customers', 'schedule: "0 6 * * *"', 'start_date: 2026-01-01',
        'source: {type: postgres, conn_id: orders_pg, table: public.customers}', 'target: {conn_id: lake, table: raw_orders.customers}',
        'load: {strategy: snapshot}'].join('\n'),
    );
    const out = path.join(dir, 'repo');
    const ok = await runCli(['render', spec, '--out', out, '--airflow', '2'], { ...process.env });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /dags\/raw\/orders\/orders_customers_daily\.py/);
    assert.match(ok.stdout, /no findings/);
    assert.match(fs.readFileSync(path.join(out, 'dags/raw/orders/orders_customers_daily.py'), 'utf8'), /^from airflow import DAG$/m);

    const valid = await runCli(['validate', path.join(out, 'dags')], { ...process.env });
    assert.equal(valid.status, 1, 'validated as Airflow 3 by default, the Airflow 2 DAG has findings');
    assert.match(valid.stdout, /AIR311/);
    assert.equal((await runCli(['validate', '--airflow', '2', path.join(out, 'dags')], { ...process.env })).status, 0);

    fs.writeFileSync(spec, 'dag_id: ../x\nschedule: "0 0 6 * * *"\n');
    const bad = await runCli(['render', spec, '--out', path.join(dir, 'nothing')], { ...process.env });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /- dag_id: must start with a lowercase letter/);
    assert.match(bad.stderr, /- schedule: must be a 5-field cron/);
    assert.equal(fs.existsSync(path.join(dir, 'nothing')), false);

    // A YAML syntax error: the whole message with the line and its caret, and exit 1 (2 is a bad command line).
    fs.writeFileSync(spec, 'dag_id: orders_daily\nsource:\n  table: [public.orders\nschedule: "@daily"\n');
    const broken = await runCli(['render', spec, '--out', path.join(dir, 'nothing')], { ...process.env });
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /is not valid YAML; nothing was written:\n  .*line \d+, column \d+:\n(  .*\n)*  .*\^/);
  });

  test('every command has --help', () => {
    for (const args of [['--help'], ['serve', '--help'], ['replay', '--help'], ['gitlab-standin', '--help'], ['render', '--help'], ['validate', '--help']]) {
      const run = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
      assert.equal(run.status, 0, args.join(' '));
      assert.match(run.stdout, /^Usage: dagwright/);
    }
  });
});
