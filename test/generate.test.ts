// /generate and /preview against the stand-in: branch, commit, merge request, status checklist.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { execFileSync } from 'node:child_process';
import { createLogger } from '../src/log.ts';
import { repoRoot, startStack, waitFor, type Stack, hookSecretFor } from './support/harness.ts';
import { completeRequest } from './support/requests.ts';

const request = completeRequest;

describe('/generate', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const start = async () => (stack = await startStack({ register: registerHandlers }));
  const status = (s: Stack, iid: number) => s.botComments(iid).find((n) => n.body.includes('dagwright:status'))?.body ?? '';

  test('a complete spec becomes a branch, a commit and a merge request; the status comment is the checklist', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.settle();
    await s.comment(issue, '/generate');
    await s.settle();
    const body = status(s, issue.iid);
    for (const step of ['queued', 'clone', 'render', 'validate', 'commit', 'push', 'merge request']) assert.match(body, new RegExp(`✅ ${step} \\(\\d+\\.\\d s\\)`));
    assert.match(body, /Merge request !1 is open/);
    const mr = s.project.mergeRequests[0]!;
    assert.equal(mr.sourceBranch, 'dagwright/1-orders_customers_daily');
    assert.equal(mr.title, 'Add pipeline orders_customers_daily');
    assert.match(mr.description, /```mermaid\ngraph LR/);
    assert.match(mr.description, /- `dags\/raw\/orders\/orders_customers_daily\.py`/);
    assert.match(mr.description, /✅ Validation/);
    assert.match(mr.description, /Closes #1$/);
    const branch = (await (await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/branches/${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).json()) as { commit: { id: string; message: string; author_name: string } };
    assert.equal(branch.commit.id, mr.sha);
    assert.match(branch.commit.message, /^Add pipeline orders_customers_daily\n\nAsked by @alice in #1\.\n\nDagwright-Issue: data\/warehouse#1/);
    assert.equal(branch.commit.author_name, 'dagwright');
    const dag = await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent('dags/raw/orders/orders_customers_daily.py')}/raw?ref=${encodeURIComponent(mr.sourceBranch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } });
    assert.match(await dag.text(), /dag_id="orders_customers_daily"/);

    // Again: nothing changed, so no commit, and the same merge request.
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /No changes/);
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(s.botComments(issue.iid).filter((n) => n.body.includes('dagwright:status')).length, 1);

    // A change to the spec: one new commit on the same branch, the MR updated.
    await s.comment(issue, '/set schedule="0 7 * * *"');
    await s.settle();
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !1 is updated with [0-9a-f]{8}/);
    assert.match(s.project.mergeRequests[0]!.description, /`0 7 \* \* \*`/);
  });

  test("quick actions and mentions in the request's description stay text in the merge request (GitLab would run them as the bot)", async () => {
    const s = await start();
    // The stand-in runs quick actions in a description written through the API, as GitLab does.
    await s.standIn.pushCommit(s.project, s.root, { branch: 'probe', startBranch: 'main', files: { 'probe.txt': 'x' }, message: 'probe' });
    const probe = await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/merge_requests`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': s.root.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ source_branch: 'probe', target_branch: 'main', title: 'Probe', description: 'Text\n/label ~"probed"' }),
    });
    assert.equal(probe.status, 201);
    assert.deepEqual(s.project.mergeRequests[0]!.labels, ['probed']);

    const hostile = request.replace('```yaml\n', '```yaml\ndescription: "Daily copy.\\n/label ~\\"approved\\"\\n/assign_reviewer @gail\\n/target_branch probe\\n@all please merge <!-- dagwright:status:x -->"\n');
    const issue = s.openIssue('Load customers', hostile);
    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests.find((m) => m.sourceBranch === 'dagwright/1-orders_customers_daily')!;
    assert.ok(mr, status(s, issue.iid));
    assert.deepEqual(mr.labels, []);
    assert.deepEqual(mr.reviewerIds, []);
    assert.equal(mr.targetBranch, 'main');
    assert.match(mr.description, /^\\\/label ~"approved"$/m);
    assert.match(mr.description, /`@all` please merge/);
    assert.doesNotMatch(mr.description, /<!--/);
  });

  test('merged: the issue\'s status comment says so; closed: /generate opens a new merge request', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    await s.standIn.gitlab.editMergeRequest(s.project, s.project.mergeRequests[0]!, s.root, { stateEvent: 'close' });
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !1 was closed without merging/);
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !2 is open/);
    await s.standIn.mergeMergeRequest(s.project, 2, s.root);
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !2 is merged/);
    assert.equal(s.botComments(issue.iid).filter((n) => n.body.includes('dagwright:status')).length, 1);
    // /status tells the newest merge request of the issue's branch and its state.
    await s.comment(issue, '/status');
    await s.settle();
    assert.match(s.botComments(issue.iid).at(-1)!.body, /The spec is complete[^\n]*\n\nMerge request !2 is merged: http/);
  });

  test('the token is in no comment, no log line, no commit, no file of the bot\'s data', async () => {
    const lines: string[] = [];
    const s = (stack = await startStack({ register: registerHandlers, log: createLogger('trace', { write: (line: string) => void lines.push(line) }) }));
    const issue = s.openIssue('Load customers', request);
    // A failed push too: its error (git's output) is logged.
    s.standIn.injectFault({ method: 'POST', path: '/data/warehouse.git/git-receive-pack', effect: { status: 503 }, times: 1 });
    await s.comment(issue, '/generate');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1);
    assert.ok(lines.some((l) => l.includes('job succeeded')) && lines.some((l) => l.includes('returned error: 503')), 'the logs tell of the failed push');
    for (const line of lines) assert.equal(line.includes(s.botUser.token), false, line);
    const history = execFileSync('git', ['-C', s.project.repoDir, 'log', '--all', '-p', '--format=%B'], { encoding: 'utf8' });
    assert.equal(history.includes(s.botUser.token), false);
    checkNoToken(s);
  });

  test("git's passing failures (one request in five a 502, a 503 or an empty reply) are tried again within the job: ten requests, ten merge requests, (nearly) each job on its first attempt", async () => {
    const s = await start();
    const issues = Array.from({ length: 10 }, (_, i) => s.openIssue(`Load customers ${i}`, request.replace('orders_customers_daily', `orders_customers_${i}`)));
    await s.settle();
    for (const [path, method] of [['/data/warehouse.git/info/refs', 'GET'], ['/data/warehouse.git/git-upload-pack', 'POST'], ['/data/warehouse.git/git-receive-pack', 'POST']] as const) {
      s.standIn.injectFault({ method, path, effect: { status: 502 }, rate: 0.08 });
      s.standIn.injectFault({ method, path, effect: { status: 503 }, rate: 0.07 });
      s.standIn.injectFault({ method, path, effect: { drop: true }, rate: 0.05 });
    }
    for (const issue of issues) await s.comment(issue, '/generate');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 10);
    const branches = execFileSync('git', ['-C', s.project.repoDir, 'branch', '--list', 'dagwright/*'], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(branches.length, 10);
    const jobs = await s.bot.dagwright.store.query<{ attempts: number; status: string }>("SELECT attempts, status FROM jobs WHERE status <> 'queued'");
    assert.deepEqual(jobs.filter((j) => j.status !== 'succeeded'), []);
    // A job whose git call failed four times in a row takes a second attempt (about one job in twenty-five
    // here); without retries within the job most jobs need several.
    const again = jobs.filter((j) => j.attempts > 1).length;
    assert.ok(again <= 2, `${again} of ${jobs.length} jobs needed more than one attempt`);
  });

  const checkNoToken = (s: Stack) => {
    for (const note of s.project.notes) assert.equal(note.body.includes(s.botUser.token), false);
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of walk(s.bot.dagwright.config.dataDir)) assert.equal(fs.readFileSync(file).includes(s.botUser.token), false, file);
  };

  test('a push that fails (GitLab answers 503) is retried: one commit, one merge request, the checklist complete', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    s.standIn.injectFault({ method: 'POST', path: '/data/warehouse.git/git-receive-pack', effect: { status: 503 }, times: 2 });
    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(execFileSync('git', ['-C', s.project.repoDir, 'rev-list', `main..${mr.sourceBranch}`], { encoding: 'utf8' }).trim(), mr.sha);
    assert.match(status(s, issue.iid), /Merge request !1 is open/);
    assert.equal(s.standIn.requests.filter((r) => r.path.endsWith('/git-receive-pack') && r.status === 503).length, 2);
  });

  test('git answered 429 or with an empty reply (fetch and push alike) is retried with backoff: ten jobs, ten merge requests', async () => {
    const s = await start();
    const issues = Array.from({ length: 10 }, (_, i) => s.openIssue(`Load customers ${i}`, request.replace('orders_customers_daily', `orders_customers_${i}`)));
    await s.settle();
    s.standIn.injectFault({ path: '/data/warehouse.git/info/refs', effect: { status: 429, retryAfterSeconds: 0 }, times: 4 });
    s.standIn.injectFault({ path: '/data/warehouse.git/git-upload-pack', effect: { drop: true }, times: 3 });
    s.standIn.injectFault({ path: '/data/warehouse.git/git-receive-pack', effect: { drop: true }, times: 3 });
    for (const issue of issues) await s.comment(issue, '/generate');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 10, 'every job opened its merge request');
    for (const issue of issues) assert.match(status(s, issue.iid), /Merge request !\d+ is open/);
    assert.ok(s.standIn.requests.filter((r) => r.path.includes('.git/') && (r.status === 429 || r.status === 0 || r.status === undefined)).length >= 4, 'the faults were met');
  });

  test('a merge request opened by someone else for the branch in the meantime (409): that one is updated', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.settle();
    // The bot's POST is held while alice opens a merge request from the bot's branch, just pushed.
    s.standIn.injectFault({ method: 'POST', path: /\/merge_requests$/, effect: { latencyMs: 1_500 }, times: 1 });
    await s.comment(issue, '/generate');
    const branch = 'dagwright/1-orders_customers_daily';
    await waitFor(() => [...s.standIn.activeRequests].some((r) => r.method === 'POST' && r.path.endsWith('/merge_requests')), { what: 'the bot to create the merge request' });
    const theirs = await s.standIn.gitlab.createMergeRequest(s.project, s.alice, { sourceBranch: branch, targetBranch: 'main', title: 'WIP customers' });
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(s.standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/merge_requests') && r.status === 409).length, 1);
    assert.match(theirs.description, /Closes #1$/);
    assert.match(status(s, issue.iid), /Merge request !1/);
  });

  test('the merge request carries the labels of the repo config', async () => {
    const s = await start();
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab/dagwright.yml': 'labels: [data-pipeline, needs-review]\n' }, message: 'Labels for the bot' });
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    assert.deepEqual([...s.project.mergeRequests[0]!.labels].sort(), ['data-pipeline', 'needs-review']);
  });

  test('two /generate at once run one after the other; the second changes nothing', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(execFileSync('git', ['-C', s.project.repoDir, 'rev-list', `main..${mr.sourceBranch}`], { encoding: 'utf8' }).trim(), mr.sha);
    assert.match(status(s, issue.iid), /No changes/);
    assert.equal(s.botComments(issue).filter((n) => n.body.includes('dagwright:status')).length, 1);
  });

  test('a /generate that has to wait shows its place in line; one its author may not run shows nothing', async () => {
    const s = (stack = await startStack({ register: registerHandlers, config: { workerConcurrency: 1 } }));
    const [first, second, third, fourth] = [1, 2, 3, 4].map(() => s.openIssue('Load customers', request));
    await s.settle();
    // The first job holds the only slot while its fetch is slow.
    s.standIn.injectFault({ path: '/data/warehouse.git/', effect: { latencyMs: 1_500 }, times: 1 });
    await s.comment(first!, '/generate');
    await waitFor(() => [...s.standIn.activeRequests].some((r) => r.path.startsWith('/data/warehouse.git/')), { what: 'the first job to fetch' });
    await s.comment(second!, '/generate');
    await s.comment(third!, '/generate', s.gail);
    await s.comment(fourth!, '/generate');
    await waitFor(() => status(s, second!.iid).includes('⏳ queued (position 1: next)'), { what: 'the second job to say it is next' });
    await waitFor(() => status(s, fourth!.iid).includes('⏳ queued (position 3)'), { what: 'the fourth job to tell its place' });
    assert.equal(status(s, third!.iid), '', 'no notice for a command its author may not run');
    await s.settle();
    for (const issue of [second!, fourth!]) {
      assert.match(status(s, issue.iid), /✅ queued \(\d+\.\d s\)/);
      assert.match(status(s, issue.iid), /Merge request !\d is open/);
      assert.equal(s.botComments(issue).filter((n) => n.body.includes('dagwright:status')).length, 1);
    }
    assert.equal(status(s, third!.iid), '');
    assert.match(s.botComments(third!).at(-1)!.body, /Developer/);
  });

  test('/cancel drops a /generate that waits behind a running one; the running one finishes', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    const issue = s.openIssue('Load customers', request);
    await s.settle();
    s.standIn.injectFault({ path: '/data/warehouse.git/', effect: { latencyMs: 3_000 }, times: 1 });
    await s.comment(issue, '/generate');
    await waitFor(() => [...s.standIn.activeRequests].some((r) => r.path.startsWith('/data/warehouse.git/')), { what: 'the first job to fetch' });
    await s.comment(issue, '/set schedule="0 9 * * *"\n/generate');
    await waitFor(() => status(s, issue.iid).includes('⏳ queued (position 1: next)'), { what: 'the second /generate to wait' });
    await s.comment(issue, '/cancel');
    await waitFor(() => s.botComments(issue).some((n) => /Dropped 1 request that waited in the queue\. The one running now finishes\./.test(n.body)), { what: 'the /cancel reply' });
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(execFileSync('git', ['-C', s.project.repoDir, 'rev-list', '--count', `main..${mr.sourceBranch}`], { encoding: 'utf8' }).trim(), '1', 'only the first generation ran');
    assert.doesNotMatch(mr.description, /0 9 \* \* \*/);
    assert.match(status(s, issue.iid), /Merge request !1 is open/);
  });

  test('an issue opened before the bot was added: /generate reads its text as the request', async () => {
    const s = await start();
    s.project.hooks.length = 0;
    const issue = s.openIssue('Load customers', request);
    s.standIn.addHook(s.project, `${s.bot.url}/webhooks/gitlab`, { token: hookSecretFor(s.project.id) });
    await s.comment(issue, '/generate');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1);
    assert.ok(s.botComments(issue).some((n) => n.body.includes('dagwright:card')), 'the spec card is shown');
  });

  test('an invalid spec: the problem named, and nothing else', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request.replace('"0 6 * * *"', '"61 6 * * *"'));
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(s.botComments(issue).at(-1)!.body, /nothing was generated\. Still needed:.*schedule/s);
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(status(s, issue.iid), '');
  });

  test('output that fails validation is never pushed: the status comment shows the report', async (t) => {
    // The repository's own template (the server allows repository packs) renders a DAG that fails validation.
    process.env.REPO_PACKS = 'on';
    t.after(() => void delete process.env.REPO_PACKS);
    const s = await start();
    // The repository's own copy of the DAG template, with a mistake in it.
    const template = fs.readFileSync(path.join(repoRoot, 'src/render/packs/airflow-sql/dag.py.eta'), 'utf8');
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.dagwright/packs/airflow-sql/dag.py.eta': `${template}
print(undefined_name)
` }, message: 'Our DAG template' });
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    const body = status(s, issue.iid);
    assert.match(body, /❌ validate/);
    assert.match(body, /undefined_name/);
    assert.match(body, /\/retry/);
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(execFileSync('git', ['-C', s.project.repoDir, 'branch', '--list', 'dagwright/*'], { encoding: 'utf8' }).trim(), '');
    // /preview renders with the same template, and says what /generate would refuse.
    await s.comment(issue, '/preview');
    await s.settle();
    assert.match(s.botComments(issue).at(-1)!.body, /print\(undefined_name\)[\s\S]*undefined_name/);
  });

  test('below the required role: a polite refusal and no branch', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate', s.gail);
    await s.settle();
    assert.match(s.botComments(issue).at(-1)!.body, /needs at least the Developer role/);
    assert.equal(s.project.mergeRequests.length, 0);
  });

  test('an incomplete spec: the list of what is missing, and nothing else', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request.replace('load: {strategy: snapshot}\n', ''));
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(s.botComments(issue).at(-1)!.body, /nothing was generated\. Still needed: `load\.strategy`/);
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(status(s, issue.iid), '');
  });

  test('/preview replies with the files in <details> blocks and pushes nothing', async () => {
    const s = await start();
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/preview');
    await s.settle();
    const preview = s.botComments(issue).at(-1)!.body;
    assert.match(preview, /Preview of `orders_customers_daily`: 5 files/);
    assert.match(preview, /<details><summary><code>dags\/raw\/orders\/orders_customers_daily\.py<\/code><\/summary>\n\n```python\n"""Daily copy/);
    assert.match(preview, /✅ Validation/);
    assert.equal(s.project.mergeRequests.length, 0);
  });
});
