// The review loop on the bot's merge request, against the stand-in.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { startStack, type Stack } from './support/harness.ts';

const request = [
  'Daily copy of customers.',
  '',
  'dag_id: orders_customers_daily',
  'schedule: "0 6 * * *"',
  'start_date: 2026-01-01',
  'source.type: postgres',
  'source.conn_id: orders_pg',
  'source.table: public.customers',
  'target.conn_id: lake',
  'target.table: raw_orders.customers',
  'load.strategy: snapshot',
].join('\n');

const DOC = 'dags/raw/orders/orders_customers_daily.md';
const DAG = 'dags/raw/orders/orders_customers_daily.py';

describe('the review loop', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  async function generated() {
    const s = (stack = await startStack({ register: registerHandlers }));
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    return { s, issue, mr };
  }
  const file = async (s: Stack, path: string, ref: string) =>
    (await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent(path)}/raw?ref=${encodeURIComponent(ref)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).text();
  const threadReplies = (s: Stack, mrIid: number) => s.project.notes.filter((n) => n.noteableType === 'MergeRequest' && n.noteableIid === mrIid && n.authorId === s.botUser.id);

  test('/set on the MR updates the issue\'s spec and card, commits on the branch, and replies in the thread with the SHA and a diffstat', async () => {
    const { s, issue, mr } = await generated();
    const before = mr.sha;
    const comment = (await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, '/set schedule="0 7 * * *"'))!;
    await s.settle();
    assert.notEqual(mr.sha, before, 'a new commit on the branch');
    assert.match(await file(s, DAG, mr.sourceBranch), /CronDataIntervalTimetable\("0 7 \* \* \*"/);
    const [reply] = threadReplies(s, mr.iid);
    assert.equal(reply!.discussionId, comment.discussionId, 'the reply is in the comment\'s thread');
    assert.match(reply!.body, new RegExp(`Done in ${mr.sha.slice(0, 8)}: \`schedule\` changed, as @alice asked\\.`));
    assert.match(reply!.body, /\n dags\/raw\/orders\/orders_customers_daily\.py \| \d+ [+-]+/, 'the diffstat keeps its leading space');
    const message = ((await (await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/commits?ref_name=${encodeURIComponent(mr.sourceBranch)}&per_page=1`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).json()) as Array<{ message: string }>)[0]!.message;
    assert.match(message, /^Update pipeline orders_customers_daily\n\nFields changed: schedule\.\nAsked by @alice in !\d+\.\n\nDagwright-Issue: data\/warehouse#1/);
    assert.match(s.botComments(issue).find((n) => n.body.includes('dagwright:card'))!.body, /\| `schedule` \| `0 7 \* \* \*` \| \/set by @alice \|/);
    assert.equal(s.project.mergeRequests.length, 1);
  });

  test('/set and /unset on the MR need the repo config\'s min_access_level: a Reporter and a non-member make no commit and are told the role', async () => {
    const { s, mr } = await generated();
    const before = mr.sha;
    const rita = s.standIn.createUser('rita');
    s.standIn.addMember(s.project, rita, 20);
    const stranger = s.standIn.createUser('stranger');
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, rita, '/set retries=5');
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, stranger, '/unset description');
    await s.settle();
    assert.equal(mr.sha, before, 'no commit on the branch');
    const replies = threadReplies(s, mr.iid).map((n) => n.body);
    assert.ok(replies.some((b) => /needs at least the Developer role.*you have Reporter/s.test(b)), replies.join('\n---\n'));
    assert.ok(replies.some((b) => /needs at least the Developer role.*you have no role/s.test(b)), replies.join('\n---\n'));
  });

  test('a role taken away a moment ago counts at once: the cache of roles does not let a demoted user make the bot commit', async () => {
    const { s, mr } = await generated();
    const before = mr.sha;
    // alice's Developer role was looked up for her /generate a moment ago.
    s.standIn.addMember(s.project, s.alice, 10);
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, '/set retries=5');
    await s.settle();
    assert.equal(mr.sha, before, 'no commit on the branch');
    assert.match(threadReplies(s, mr.iid).at(-1)!.body, /you have Guest/);
  });

  test('a human commit on the branch survives a re-render (three-way merge)', async () => {
    const { s, mr } = await generated();
    const doc = await file(s, DOC, mr.sourceBranch);
    await s.standIn.pushCommit(s.project, s.alice, { branch: mr.sourceBranch, files: { [DOC]: `${doc}\n## Notes from the data team\n\nThe source is replicated at 05:30.\n` }, message: 'Document the replication time' });
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, '/set schedule="0 7 * * *"');
    await s.settle();
    const after = await file(s, DOC, mr.sourceBranch);
    assert.match(after, /## Notes from the data team/, 'the human edit stays');
    assert.match(after, /At 07:00/, 'the new render is in');
  });

  test('a human edit on a line the re-render changes: the branch is left alone and the conflict named', async () => {
    const { s, issue, mr } = await generated();
    const dag = await file(s, DAG, mr.sourceBranch);
    await s.standIn.pushCommit(s.project, s.alice, { branch: mr.sourceBranch, files: { [DAG]: dag.replace('"0 6 * * *"', '"15 6 * * *"') }, message: 'Run a little later' });
    const head = mr.sha;
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, '/set schedule="0 7 * * *"');
    await s.settle();
    assert.equal(mr.sha, head, 'nothing was pushed');
    const status = s.botComments(issue).find((n) => n.body.includes('dagwright:status'))!.body;
    assert.match(status, new RegExp(`\`${DAG.replace(/[./]/g, '\\$&')}\` line \\d+`));
    assert.match(threadReplies(s, mr.iid).at(-1)!.body, /did not make it onto the branch/);
  });

  test('line comments without a model: a /set to apply when the comment gives fields, else "a model is needed"; threads stay open', async () => {
    const { s, mr } = await generated();
    const fields = (await s.standIn.commentOnLine(s.project, mr.iid, s.alice, { path: DAG, line: 3, body: 'Should be later:\nschedule: 30 6 * * *' }))!;
    const prose = (await s.standIn.commentOnLine(s.project, mr.iid, s.alice, { path: DAG, line: 5, body: 'Can we rename this task?' }))!;
    await s.settle();
    const replies = threadReplies(s, mr.iid);
    const toFields = replies.find((r) => r.discussionId === fields.discussionId)!;
    assert.match(toFields.body, /comment `\/set schedule="30 6 \* \* \*"`/);
    assert.match(replies.find((r) => r.discussionId === prose.discussionId)!.body, /Without a model I cannot act on a comment written in words/);
    assert.equal(s.project.notes.some((n) => n.resolved), false, 'threads stay unresolved');
    // The suggested command, applied, works.
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, '/set schedule="30 6 * * *"');
    await s.settle();
    assert.match(await file(s, DAG, mr.sourceBranch), /"30 6 \* \* \*"/);

    // Prose on the merge request: a remark gets silence, a request to the bot the same one line.
    const before = threadReplies(s, mr.iid).length;
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, 'Nice, thanks.');
    await s.settle();
    assert.equal(threadReplies(s, mr.iid).length, before, 'a remark gets no reply');
    await s.standIn.comment(s.project, { mergeRequest: mr.iid }, s.alice, '@dagwright please make the load incremental');
    await s.settle();
    assert.equal(threadReplies(s, mr.iid).length, before + 1);
    assert.match(threadReplies(s, mr.iid).at(-1)!.body, /Without a model I cannot act on a comment written in words/);
  });

  test('with review.resolve_threads, a thread whose /set became a commit is resolved', async () => {
    const { s, mr } = await generated();
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab/dagwright.yml': 'review:\n  resolve_threads: true\n' }, message: 'Resolve threads' });
    const thread = (await s.standIn.commentOnLine(s.project, mr.iid, s.alice, { path: DAG, line: 3, body: '/set schedule="0 7 * * *"' }))!;
    const untouched = (await s.standIn.commentOnLine(s.project, mr.iid, s.alice, { path: DAG, line: 5, body: 'Can we rename this task?' }))!;
    await s.settle();
    assert.match(await file(s, DAG, mr.sourceBranch), /"0 7 \* \* \*"/);
    assert.equal(s.project.notes.find((n) => n.id === thread.id)!.resolved, true);
    assert.equal(s.project.notes.find((n) => n.id === untouched.id)!.resolved, false, 'a thread the bot could not act on stays open');
  });

  test('/set on a merge request the bot did not open is declined', async () => {
    const { s } = await generated();
    await s.standIn.pushCommit(s.project, s.alice, { branch: 'feature', files: { 'x.txt': 'x\n' }, message: 'x' });
    const other = await s.standIn.gitlab.createMergeRequest(s.project, s.alice, { sourceBranch: 'feature', targetBranch: 'main', title: 'Human MR' });
    await s.standIn.comment(s.project, { mergeRequest: other.iid }, s.alice, '/set schedule="0 7 * * *"');
    await s.settle();
    assert.match(threadReplies(s, other.iid)[0]!.body, /not opened by Dagwright/);
  });
});
