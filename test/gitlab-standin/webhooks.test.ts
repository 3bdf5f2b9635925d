// The webhooks the stand-in sends: GitLab's headers, and bodies with every key of GitLab's own samples.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startHookReceiver, type HookReceiver, type ReceivedHook } from '../support/hook-receiver.ts';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../../src/gitlab-standin/index.ts';
import type { Project, User } from '../../src/gitlab-standin/model.ts';
import { gitlabSamplesDir, waitFor } from '../support/harness.ts';


/** Where `actual` lacks a key of `sample` or holds another type. A null in the sample allows any type. */
function shapeDifferences(sample: unknown, actual: unknown, at: string, allowNull: Set<string>): string[] {
  if (sample === null) return [];
  if (actual === null && allowNull.has(at.split('.').pop()!.replace(/\[\d+\]$/, ''))) return [];
  if (Array.isArray(sample)) {
    if (!Array.isArray(actual)) return [`${at}: array expected`];
    return sample.length && actual.length ? shapeDifferences(sample[0], actual[0], `${at}[0]`, allowNull) : [];
  }
  if (typeof sample === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: object expected, got ${actual === null ? 'null' : typeof actual}`];
    return Object.entries(sample as Record<string, unknown>).flatMap(([key, value]) =>
      key in (actual as object)
        ? shapeDifferences(value, (actual as Record<string, unknown>)[key], at ? `${at}.${key}` : key, allowNull)
        : [`${at ? `${at}.` : ''}${key}: missing`],
    );
  }
  return typeof actual === typeof sample ? [] : [`${at}: ${typeof sample} expected, got ${actual === null ? 'null' : typeof actual}`];
}

/**
 * Keys of GitLab's samples the stand-in leaves out, each for a reason: it plays GitLab CE (the EE-only keys),
 * or the key only appears in situations the sample shows and the stand-in's scenario does not.
 */
const notSent: Record<string, string[]> = {
  'issue-open.json': [
    'object_attributes.weight', // EE
    'object_attributes.health_status', // EE
    'object_attributes.escalation_status', // incidents only (EE)
    'object_attributes.escalation_policy', // incidents only (EE)
  ],
  'pipeline.json': ['source_pipeline'], // only for a pipeline triggered by another project's pipeline
  'emoji-award-on-issue-note.json': ['issue.weight', 'issue.health_status'], // EE
};
/**
 * Keys GitLab sends as null when there is nothing to tell, where its samples happen to show a value: a
 * label without description or group, an issue never locked, a note not on a commit, no time tracked, the
 * default CI file, an MR never edited, a build not started.
 */
const nullableKeys = new Set([
  'description', 'group_id', 'discussion_locked', 'commit_id', 'ci_config_path',
  'human_time_change', 'human_time_estimate', 'human_total_time_spent',
  'last_edited_at', 'last_edited_by_id', 'updated_by_id', 'closed_at', 'milestone_id',
  'name', 'duration', 'queued_duration', 'started_at', 'finished_at', 'environment', 'runner',
]);

describe('GitLab stand-in: webhooks', () => {
  let standIn: GitLabStandIn;
  let owner: User, alice: User, bob: User;
  let project: Project;
  let receiver: HookReceiver;
  let received: ReceivedHook[];

  before(async () => {
    receiver = await startHookReceiver();
    received = receiver.received;
    standIn = await startGitLabStandIn();
    owner = standIn.createUser('root');
    alice = standIn.createUser('alice');
    bob = standIn.createUser('bob');
    project = await standIn.createProject('data/warehouse', { owner, members: [[alice, AccessLevels.developer], [bob, AccessLevels.developer]] });
    standIn.addHook(project, receiver.url, { token: 'hook-secret' });
  });
  after(async () => {
    await standIn.close();
    receiver.close();
  });

  const next = async (kind: string, predicate: (b: Record<string, any>) => boolean = () => true) => {
    const found = await waitFor(() => received.find((r) => r.body.object_kind === kind && predicate(r.body)), { what: `a ${kind} hook` });
    received.splice(received.indexOf(found), 1);
    return found;
  };

  test('every delivery carries GitLab\'s headers', async () => {
    standIn.openIssue(project, alice, { title: 'Headers' });
    const { headers } = await next('issue');
    assert.equal(headers['x-gitlab-event'], 'Issue Hook');
    assert.equal(headers['x-gitlab-token'], 'hook-secret');
    assert.equal(headers['x-gitlab-instance'], standIn.url);
    assert.match(headers['user-agent']!, /^GitLab\/\d+\.\d+/);
    for (const name of ['x-gitlab-event-uuid', 'x-gitlab-webhook-uuid', 'idempotency-key']) assert.match(String(headers[name]), /^[0-9a-f-]{36}$/);
    assert.equal(headers['content-type'], 'application/json');
  });

  test('each delivery is recorded with the answer it got; a resend keeps the Idempotency-Key', async () => {
    receiver.status = 503;
    standIn.openIssue(project, alice, { title: 'Recorded' });
    const first = await next('issue');
    receiver.status = 200;
    await standIn.settled();
    const record = standIn.deliveries.find((d) => d.headers['Idempotency-Key'] === first.headers['idempotency-key'])!;
    assert.equal(record.status, 503);
    assert.match(record.response!, /error/);
    const again = standIn.gitlab.webhooks.resend(record.id);
    const second = await next('issue');
    assert.equal(second.headers['idempotency-key'], first.headers['idempotency-key']);
    assert.notEqual(second.headers['x-gitlab-webhook-uuid'], first.headers['x-gitlab-webhook-uuid']);
    await standIn.settled();
    assert.equal(again.status, 200);
  });

  const samples = gitlabSamplesDir();
  const sample = (name: string) => JSON.parse(fs.readFileSync(path.join(samples, name), 'utf8'));
  const assertShape = (name: string, body: unknown) => {
    const omitted = new Set(notSent[name] ?? []);
    const differences = shapeDifferences(sample(name), body, '', nullableKeys)
      .filter((d) => !omitted.has(d.replace(/: missing$/, '')))
      // `changes` lists what one edit changed: the sample's edit is not the scenario's.
      .filter((d) => !/^changes\.(?!labels\b|updated_at\b|updated_by_id\b)[\w.]+: missing$/.test(d));
    assert.deepEqual(differences, [], `${name}: the stand-in's payload differs from GitLab's`);
  };

  test('issue hook has every key of GitLab\'s issue-open.json', async () => {
    standIn.openIssue(project, alice, { title: 'Shape', description: 'd', labels: ['API'], assignees: [bob] });
    const { headers, body } = await next('issue', (b) => b.object_attributes.title === 'Shape');
    assert.equal(headers['x-gitlab-event'], 'Issue Hook');
    assert.equal(body.object_attributes.action, 'open');
    // GitLab's sample shows an update (it has `changes`): make one to compare that too.
    standIn.editIssue(project, body.object_attributes.iid, alice, { addLabels: ['Platform'] });
    const update = await next('issue', (b) => b.object_attributes.action === 'update');
    assert.ok(update.body.changes.labels.previous && update.body.changes.labels.current);
    assertShape('issue-open.json', { ...body, changes: update.body.changes });
  });

  test('note hooks have every key of note-on-issue.json and note-on-merge-request.json; DiffNotes carry position', async () => {
    const issue = standIn.openIssue(project, alice, { title: 'Commented', labels: ['x'] });
    await next('issue', (b) => b.object_attributes.title === 'Commented');
    await standIn.comment(project, { issue: issue.iid }, bob, 'Hello world');
    const onIssue = await next('note', (b) => b.object_attributes.note === 'Hello world');
    assert.equal(onIssue.headers['x-gitlab-event'], 'Note Hook');
    assertShape('note-on-issue.json', onIssue.body);

    await standIn.pushCommit(project, alice, { branch: 'feature', files: { 'x.py': 'a = 1\nb = 2\n' }, message: 'Feature' });
    const mr = await standIn.gitlab.createMergeRequest(project, alice, { sourceBranch: 'feature', targetBranch: 'main', title: 'Feature', labels: ['x'], assigneeIds: [bob.id] });
    await standIn.comment(project, { mergeRequest: mr.iid }, bob, 'This MR needs work.');
    const onMr = await next('note', (b) => b.object_attributes.note === 'This MR needs work.');
    assertShape('note-on-merge-request.json', onMr.body);

    await standIn.commentOnLine(project, mr.iid, bob, { path: 'x.py', line: 2, body: 'Why 2?' });
    const diffNote = await next('note', (b) => b.object_attributes.note === 'Why 2?');
    assert.equal(diffNote.body.object_attributes.type, 'DiffNote');
    assert.match(diffNote.body.object_attributes.discussion_id, /^[0-9a-f]{40}$/);
    const position = diffNote.body.object_attributes.position;
    for (const key of ['base_sha', 'start_sha', 'head_sha', 'old_path', 'new_path', 'position_type', 'old_line', 'new_line', 'line_range']) assert.ok(key in position, key);
    assert.deepEqual([position.new_path, position.new_line, position.head_sha], ['x.py', 2, mr.sha]);
    assertShape('note-on-merge-request.json', diffNote.body);

    const note = (await standIn.comment(project, { issue: issue.iid }, bob, 'typo'))!;
    await next('note', (b) => b.object_attributes.note === 'typo');
    await standIn.editComment(project, note, bob, 'fixed');
    const edited = await next('note', (b) => b.object_attributes.note === 'fixed');
    assert.equal(edited.body.object_attributes.action, 'update');
  });

  test('merge request hooks have every key of merge-request-open.json; merge and close fire too', async () => {
    await standIn.pushCommit(project, alice, { branch: 'mr-shape', files: { 'y.py': 'y = 1\n' }, message: 'Shape' });
    const mr = await standIn.gitlab.createMergeRequest(project, alice, { sourceBranch: 'mr-shape', targetBranch: 'main', title: 'MS-Viewport', labels: ['API'], assigneeIds: [bob.id], reviewerIds: [bob.id] });
    const opened = await next('merge_request', (b) => b.object_attributes.iid === mr.iid);
    assert.equal(opened.headers['x-gitlab-event'], 'Merge Request Hook');
    assert.equal(opened.body.object_attributes.action, 'open');
    await standIn.gitlab.editMergeRequest(project, mr, alice, { addLabels: ['Platform'] });
    const update = await next('merge_request', (b) => b.object_attributes.action === 'update');
    assertShape('merge-request-open.json', { ...opened.body, changes: update.body.changes });
    await standIn.mergeMergeRequest(project, mr.iid, owner);
    const merged = await next('merge_request', (b) => b.object_attributes.action === 'merge');
    assert.equal(merged.body.object_attributes.state, 'merged');

    await standIn.pushCommit(project, alice, { branch: 'to-close', files: { 'z.py': 'z = 1\n' }, message: 'Close me' });
    const doomed = await standIn.gitlab.createMergeRequest(project, alice, { sourceBranch: 'to-close', targetBranch: 'main', title: 'Doomed' });
    await next('merge_request', (b) => b.object_attributes.iid === doomed.iid);
    await standIn.gitlab.editMergeRequest(project, doomed, alice, { stateEvent: 'close' });
    const closed = await next('merge_request', (b) => b.object_attributes.action === 'close');
    assert.equal(closed.body.object_attributes.state, 'closed');
  });

  test('pipeline and emoji hooks have every key of pipeline.json and emoji-award-on-issue-note.json', async () => {
    await standIn.pushCommit(project, alice, { branch: 'pipe', files: { 'p.py': 'p = 1\n' }, message: 'Pipe' });
    const mr = await standIn.gitlab.createMergeRequest(project, alice, { sourceBranch: 'pipe', targetBranch: 'main', title: 'Pipe' });
    await standIn.runPipeline(project, { ref: 'pipe', status: 'success', user: alice, mergeRequestIid: mr.iid });
    const pipeline = await next('pipeline');
    assert.equal(pipeline.headers['x-gitlab-event'], 'Pipeline Hook');
    assertShape('pipeline.json', pipeline.body);

    const issue = standIn.openIssue(project, alice, { title: 'Emoji', assignees: [alice] });
    const note = (await standIn.comment(project, { issue: issue.iid }, alice, 'Testing 123'))!;
    await standIn.gitlab.award(project, { note }, bob, 'thumbsup');
    const emoji = await next('emoji');
    assert.equal(emoji.headers['x-gitlab-event'], 'Emoji Hook');
    assertShape('emoji-award-on-issue-note.json', emoji.body);
  });

  test('confidential issues and their notes go out as Confidential hooks', async () => {
    const issue = standIn.openIssue(project, alice, { title: 'Secret', confidential: true });
    const opened = await next('issue', (b) => b.object_attributes.title === 'Secret');
    assert.equal(opened.headers['x-gitlab-event'], 'Confidential Issue Hook');
    await standIn.comment(project, { issue: issue.iid }, bob, 'psst');
    const note = await next('note', (b) => b.object_attributes.note === 'psst');
    assert.equal(note.headers['x-gitlab-event'], 'Confidential Note Hook');
  });
});
