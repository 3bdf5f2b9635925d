import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Issue, MergeRequest, Note, Project } from '../src/gitlab-standin/model.ts';
import { gitlabSamplesDir, hookSecretFor, metricValue, startBot, tokenFor, waitFor, WEBHOOK_SECRET, type RunningBot } from './support/harness.ts';
import { deliveryHeaders, issueEvent, noteOnIssue, pipelineEvent, user } from './support/payloads.ts';

async function storedDeliveries(bot: RunningBot): Promise<number> {
  return (await bot.dagwright.store.query<{ n: number }>('SELECT CAST(count(*) AS INTEGER) AS n FROM deliveries'))[0]!.n;
}

describe('webhook intake', () => {
  let standIn: GitLabStandIn;
  let bot: RunningBot;
  const routed: Array<{ name: string; payload: unknown }> = [];
  const handlerNames = [
    'issue.open',
    'note.issue',
    'note.merge_request',
    'merge_request.open',
    'merge_request.merge',
    'pipeline',
    'emoji.award',
  ] as const;

  // What the samples speak of, in the stand-in: the bot acts only on what GitLab's API confirms.
  let project: Project;
  let issue: Issue;
  let issueNote: Note;
  let mergeRequest: MergeRequest;
  let mergeRequestNote: Note;
  let lineNote: Note;
  let merged: MergeRequest;
  let secretNote: Note;

  before(async () => {
    standIn = await startGitLabStandIn();
    const root = standIn.createUser('root'); // id 1, the author of GitLab's samples: the bot must be somebody else
    const botUser = standIn.createUser('dagwright', { bot: true });
    project = await standIn.createProject('data/warehouse', { owner: root, members: [[botUser, AccessLevels.developer]] });
    issue = standIn.openIssue(project, root, { title: 'Load customers daily' });
    issueNote = (await standIn.comment(project, { issue: issue.iid }, root, 'A comment'))!;
    secretNote = (await standIn.comment(project, { issue: issue.iid }, root, 'secret plans'))!;
    for (const branch of ['feature', 'shipped']) await standIn.pushCommit(project, root, { branch, startBranch: 'main', files: { [`${branch}.txt`]: branch }, message: branch });
    mergeRequest = await standIn.gitlab.createMergeRequest(project, root, { sourceBranch: 'feature', targetBranch: 'main', title: 'A change' });
    mergeRequestNote = (await standIn.comment(project, { mergeRequest: mergeRequest.iid }, root, 'Looks good'))!;
    lineNote = (await standIn.comment(project, { mergeRequest: mergeRequest.iid }, root, 'On this line'))!;
    merged = await standIn.gitlab.createMergeRequest(project, root, { sourceBranch: 'shipped', targetBranch: 'main', title: 'Shipped' });
    await standIn.mergeMergeRequest(project, merged.iid, root);
    bot = await startBot({
      gitlab: { url: standIn.url, token: botUser.token },
      config: { webhookSecrets: [WEBHOOK_SECRET, 'the-previous-secret'], webhookSigningSecret: 'whsec_' + Buffer.from('signing-key-0123456789').toString('base64') },
      register: (b) => {
        for (const name of handlerNames) b.on(name, (ctx) => void routed.push({ name, payload: ctx.payload }));
      },
    });
  });
  after(async () => {
    await bot.stop();
    await standIn.close();
  });

  const samples: Array<[file: string, header: string, handler: string, tweak?: (body: Record<string, any>) => void]> = [
    ['issue-open.json', 'Issue Hook', 'issue.open'],
    ['note-on-issue.json', 'Note Hook', 'note.issue'],
    ['note-on-merge-request.json', 'Note Hook', 'note.merge_request'],
    ['merge-request-open.json', 'Merge Request Hook', 'merge_request.open'],
    ['pipeline.json', 'Pipeline Hook', 'pipeline'],
    ['emoji-award-on-issue-note.json', 'Emoji Hook', 'emoji.award'],
    // The two shapes GitLab's docs describe in words (see gitlab-samples/README.md).
    [
      'note-on-merge-request.json',
      'Note Hook',
      'note.merge_request',
      (body) => {
        body.object_attributes.id = 1245;
        body.object_attributes.type = 'DiffNote';
        body.object_attributes.discussion_id = '87805b7c09016a7058e91bdbe7b29d1f284a39e6';
        body.object_attributes.position = { base_sha: 'b5d6', start_sha: '7c9c', head_sha: '4803', old_path: 'a.py', new_path: 'a.py', position_type: 'text', old_line: null, new_line: 3, line_range: null };
        body.object_attributes.original_position = body.object_attributes.position;
      },
    ],
    [
      'merge-request-open.json',
      'Merge Request Hook',
      'merge_request.merge',
      (body) => {
        body.object_attributes.action = 'merge';
        body.object_attributes.state = 'merged';
      },
    ],
  ];

  /** A sample's shape with the ids of what the stand-in holds: the project, its issue, merge requests and comments. */
  function inStandIn(body: Record<string, any>, handler: string): void {
    body.project = { ...body.project, id: project.id, path_with_namespace: project.pathWithNamespace };
    if ('project_id' in body) body.project_id = project.id;
    if (body.object_attributes && 'project_id' in body.object_attributes) body.object_attributes.project_id = project.id;
    if (handler === 'issue.open') Object.assign(body.object_attributes, { id: issue.id, iid: issue.iid });
    if (handler === 'note.issue') (body.object_attributes.id = issueNote.id), (body.issue.iid = issue.iid);
    if (handler === 'note.merge_request') (body.object_attributes.id = (body.object_attributes.type === 'DiffNote' ? lineNote : mergeRequestNote).id), (body.merge_request.iid = mergeRequest.iid);
    if (handler === 'merge_request.open') Object.assign(body.object_attributes, { id: mergeRequest.id, iid: mergeRequest.iid });
    if (handler === 'merge_request.merge') Object.assign(body.object_attributes, { id: merged.id, iid: merged.iid });
  }

  const samplesDir = gitlabSamplesDir();
  for (const [file, header, handler, tweak] of samples) {
    test(`GitLab's ${file}${tweak ? ` (as ${handler})` : ''} is accepted and reaches the ${handler} handler`, async () => {
      const body = JSON.parse(fs.readFileSync(path.join(samplesDir, file), 'utf8'));
      tweak?.(body);
      inStandIn(body, handler);
      const before = routed.length;
      const res = await bot.deliver({ headers: deliveryHeaders(header), body });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { result: 'accepted' });
      const call = await waitFor(() => routed.slice(before).find((r) => r.name === handler), { what: handler });
      assert.equal((call.payload as { object_kind: string }).object_kind, body.object_kind);
    });
  }

  test('a confidential note is routed like any note and flagged confidential', async () => {
    let seen: boolean | undefined;
    bot.dagwright.bot.on('note.issue', (ctx) => {
      if ((ctx.payload.object_attributes.note as string) === 'secret plans') seen = ctx.confidential;
    });
    const res = await bot.deliver(noteOnIssue({ note: 'secret plans', confidential: true, projectId: project.id, iid: issue.iid, noteId: secretNote.id, author: user(1, 'root') }));
    assert.equal(res.status, 200);
    assert.equal(await waitFor(() => seen !== undefined && { seen }).then((r) => r.seen), true);
  });

  test('a wrong or missing token gets 401 and nothing is stored', async () => {
    const stored = (await storedDeliveries(bot));
    const wrong = await bot.deliver(issueEvent(), 'not-the-secret');
    assert.equal(wrong.status, 401);
    const missing = await bot.deliver(issueEvent(), null);
    assert.equal(missing.status, 401);
    assert.equal((await storedDeliveries(bot)), stored);
  });

  test('the previous secret is still accepted during a rotation', async () => {
    const delivery = issueEvent({ iid: 50 });
    const res = await bot.deliver(delivery, hookSecretFor((delivery.body.project as { id: number }).id, 'the-previous-secret'));
    assert.equal(res.status, 200);
  });

  test("one project's hook secret delivers nothing for another, nor does WEBHOOK_SECRET itself", async () => {
    const stored = await storedDeliveries(bot);
    const forged = issueEvent({ iid: 51, projectId: 4242 });
    const projectId = (issueEvent().body.project as { id: number }).id;
    assert.notEqual(projectId, 4242);
    const other = await bot.deliver(forged, hookSecretFor(projectId));
    assert.equal(other.status, 401);
    assert.match(((await other.json()) as { detail: string }).detail, /not this project's webhook secret/);
    assert.equal((await bot.deliver(forged, WEBHOOK_SECRET)).status, 401);
    assert.equal(await storedDeliveries(bot), stored);
    assert.equal((await bot.deliver(forged, hookSecretFor(4242))).status, 200);
  });

  test('a token that is not the named project\'s is refused before the body is parsed', async () => {
    // Not even JSON after the project: a parse would answer "not JSON"; the token is refused first.
    const res = await fetch(`${bot.url}/webhooks/gitlab`, { method: 'POST', headers: { ...deliveryHeaders('Issue Hook'), 'X-Gitlab-Token': hookSecretFor(1) }, body: `{"object_kind":"issue","project_id":4242,${'x'.repeat(1000)}` });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { detail: string }).detail, /not this project's webhook secret/);
  });

  test('malformed JSON and a body naming no project get 401 (no secret can verify them); a payload without what routing needs gets 400; nothing stored', async () => {
    const stored = (await storedDeliveries(bot));
    const post = (body: string, event = 'Issue Hook') =>
      fetch(`${bot.url}/webhooks/gitlab`, {
        method: 'POST',
        headers: { ...deliveryHeaders(event), 'X-Gitlab-Token': tokenFor(JSON.parse(body.endsWith(', ') ? '{}' : body)) },
        body,
      });
    const garbage = await post('{"object_kind": "issue", ');
    assert.equal(garbage.status, 401);
    const notGitLab = await post(JSON.stringify({ hello: 'world' }));
    assert.equal(notGitLab.status, 401);
    const noIid = issueEvent();
    delete (noIid.body.object_attributes as Record<string, unknown>).iid;
    const missing = await post(JSON.stringify(noIid.body));
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { detail: string }).detail, /object_attributes\.iid/);
    const wrongKind = await post(JSON.stringify(issueEvent().body), 'Note Hook');
    assert.equal(wrongKind.status, 400);
    assert.equal((await storedDeliveries(bot)), stored);
    assert.ok((await metricValue(bot, 'dagwright_webhook_deliveries_total', 'result="invalid"')) >= 2);
  });

  test('bad input is answered 400, not as a server fault: a body nested thousands of levels deep, labels of the wrong type, a project id of 0', async () => {
    const stored = (await storedDeliveries(bot));
    const post = (body: string, event = 'Issue Hook') =>
      fetch(`${bot.url}/webhooks/gitlab`, { method: 'POST', headers: { ...deliveryHeaders(event), 'X-Gitlab-Token': tokenFor(JSON.parse(body)) }, body });
    const deep = issueEvent();
    let nested: unknown = 'bottom';
    for (let i = 0; i < 2_600; i++) nested = { x: nested };
    (deep.body.object_attributes as Record<string, unknown>).extra = nested;
    const tooDeep = await post(JSON.stringify(deep.body));
    assert.equal(tooDeep.status, 400);
    assert.match(((await tooDeep.json()) as { detail: string }).detail, /nested deeper than 32 levels/);
    const badLabels = issueEvent();
    badLabels.body.labels = 'dagwright';
    const labels = await post(JSON.stringify(badLabels.body));
    assert.equal(labels.status, 400);
    assert.match(((await labels.json()) as { detail: string }).detail, /labels/);
    for (const projectId of [0, -5]) {
      const res = await post(JSON.stringify(issueEvent({ projectId }).body));
      assert.equal(res.status, 400, `project id ${projectId}`);
    }
    assert.equal((await storedDeliveries(bot)), stored);
  });

  test('a 1 MB description is stored redacted, and while it is scanned the bot keeps answering', async () => {
    const secret = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYzQkLmN0pQr5tUv'].join('/');
    const description = `${'a.'.repeat(250_000)}key\naws_secret_access_key=${secret}\n${'x '.repeat(250_000)}`;
    const delivery = issueEvent({ iid: 77, description });
    const started = performance.now();
    const [res, health] = await Promise.all([
      bot.deliver(delivery),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const t0 = performance.now();
        await fetch(`${bot.url}/healthz`);
        return performance.now() - t0;
      })(),
    ]);
    const elapsed = performance.now() - started;
    assert.equal(res.status, 200);
    assert.ok(elapsed < 2_000, `answered in ${elapsed.toFixed(0)} ms`);
    assert.ok(health < 500, `/healthz took ${health.toFixed(0)} ms meanwhile`);
    const [row] = await bot.dagwright.store.query<{ body: string }>("SELECT body FROM deliveries WHERE body LIKE '%aws_secret_access_key%' ORDER BY id DESC LIMIT 1");
    assert.ok(row, 'the delivery is stored');
    assert.ok(!row.body.includes(secret), 'the secret is not in the database');
    assert.match(row.body, /aws_secret_access_key=\*\*\*\*/);
  });

  test('a body over 25 MB gets 413 and nothing is stored', async () => {
    const stored = (await storedDeliveries(bot));
    const huge = issueEvent({ description: 'x'.repeat(25 * 1024 * 1024) });
    const res = await bot.deliver(huge);
    assert.equal(res.status, 413);
    assert.equal((await storedDeliveries(bot)), stored);
  });

  test('an event kind Dagwright does not handle gets 200 and is counted as ignored', async () => {
    const ignoredBefore = await metricValue(bot, 'dagwright_webhook_deliveries_total', 'result="ignored"');
    const stored = (await storedDeliveries(bot));
    const res = await bot.deliver({ headers: deliveryHeaders('Push Hook'), body: { object_kind: 'push', ref: 'refs/heads/main', project_id: 1, project: { id: 1 } } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { result: string }).result, 'ignored');
    assert.equal((await storedDeliveries(bot)), stored);
    assert.equal(await metricValue(bot, 'dagwright_webhook_deliveries_total', 'result="ignored"'), ignoredBefore + 1);
  });

  test('a Standard Webhooks signature is checked when GitLab sends one', async () => {
    const delivery = pipelineEvent();
    const body = JSON.stringify(delivery.body);
    const id = 'msg_1';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from('signing-key-0123456789');
    const good = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    const send = (signature: string) =>
      fetch(`${bot.url}/webhooks/gitlab`, {
        method: 'POST',
        headers: {
          ...deliveryHeaders('Pipeline Hook'),
          'X-Gitlab-Token': tokenFor(delivery.body),
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': signature,
        },
        body,
      });
    assert.equal((await send(`v1,${good.replace(/^./, good[0] === 'A' ? 'B' : 'A')}`)).status, 401);
    assert.equal((await send(`v1,${good}`)).status, 200);
  });

  test('the webhook answers before handlers run, and a throwing handler never becomes a 5xx', async () => {
    let finished = false;
    bot.dagwright.bot.on('issue.reopen', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      finished = true;
      throw new Error('handler bug');
    });
    const started = performance.now();
    const res = await bot.deliver(issueEvent({ iid: issue.iid, action: 'reopen', projectId: project.id, author: user(1, 'root') }));
    const elapsed = performance.now() - started;
    assert.equal(res.status, 200);
    assert.ok(elapsed < 500, `answered in ${elapsed.toFixed(0)} ms`);
    assert.equal(finished, false);
    await waitFor(() => finished, { what: 'the slow handler' });
    const next = await bot.deliver(issueEvent({ iid: 61 }));
    assert.equal(next.status, 200);
  });

  test('/healthz, /readyz and /metrics answer', async () => {
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
    const ready = await fetch(`${bot.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { database: true, gitlab: true });
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    for (const name of ['dagwright_webhook_deliveries_total', 'dagwright_jobs_total', 'dagwright_job_duration_seconds', 'dagwright_queue_depth']) {
      assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'));
    }
  });
});
