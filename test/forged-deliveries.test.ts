// Forged deliveries: a delivery signed with a project's own hook secret (a Maintainer can read it) that says
// something GitLab's API does not — another author, other words, a comment that does not exist, another
// project's path — is not acted on. The same delivery told truthfully is (the control).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { AccessLevels } from '../src/gitlab-standin/index.ts';
import { hookSecretFor, startStack, type Stack } from './support/harness.ts';
import { noteOnIssue, user } from './support/payloads.ts';
import { completeRequest } from './support/requests.ts';

const request = completeRequest;

describe('deliveries GitLab does not confirm are not acted on', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  /** A stack with a complete request, and a guest's harmless comment on it. */
  async function setUp(config = {}) {
    const s = (stack = await startStack({ register: registerHandlers, config }));
    const issue = s.openIssue('Load customers', request);
    await s.settle();
    // From here the stand-in sends no deliveries of its own: each comment reaches the bot only as the test
    // delivers it (a forged delivery of a comment GitLab already sent would be a duplicate).
    s.project.hooks.splice(0, s.project.hooks.length);
    const guestNote = (await s.comment(issue, 'Looks useful', s.gail))!;
    const repliesBefore = s.botComments(issue).length;
    const forged = (o: { note: string; noteId: number; author: { id: number; username: string }; path?: string; projectId?: number }) => {
      const delivery = noteOnIssue({ note: o.note, noteId: o.noteId, iid: issue.iid, projectId: o.projectId ?? s.project.id, author: user(o.author.id, o.author.username) });
      if (o.path) (delivery.body.project as { path_with_namespace: string }).path_with_namespace = o.path;
      return delivery;
    };
    return { s, issue, guestNote, repliesBefore, forged };
  }

  test("another author and other words on a guest's comment: nothing generated, nothing said", async () => {
    const { s, issue, guestNote, repliesBefore, forged } = await setUp();
    const res = await s.bot.deliver(forged({ note: '/generate', noteId: guestNote.id, author: s.root }));
    assert.equal(res.status, 200);
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(s.botComments(issue).length, repliesBefore);
    // Words the guest did not write, in the guest's name: not read either.
    const another = (await s.comment(issue, 'Nice', s.gail))!;
    await s.bot.deliver(forged({ note: '/generate', noteId: another.id, author: s.gail }));
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(s.botComments(issue).length, repliesBefore);
  });

  test('a comment GitLab does not have, or a project path GitLab does not give that id: nothing done', async () => {
    const { s, issue, repliesBefore, forged } = await setUp();
    const real = (await s.comment(issue, '/generate', s.alice))!;
    const before = s.botComments(issue).length;
    await s.bot.deliver(forged({ note: '/generate', noteId: real.id + 1000, author: s.alice }));
    await s.bot.deliver(forged({ note: '/generate', noteId: real.id, author: s.alice, path: 'other/project' }));
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 0);
    assert.equal(s.botComments(issue).length, before);
    assert.ok(before >= repliesBefore);
  });

  test('ALLOWED_PROJECTS is matched against the project GitLab resolves: another project\'s id with an allowed path is refused', async () => {
    const { s, forged } = await setUp({ allowedProjects: ['data/warehouse'] });
    const other = await s.standIn.createProject('data/private', { owner: s.root, members: [[s.botUser, AccessLevels.developer]] });
    const otherIssue = s.standIn.openIssue(other, s.root, { title: 'Load customers', description: request });
    const otherNote = (await s.standIn.comment(other, { issue: otherIssue.iid }, s.root, '/generate'))!;
    const delivery = forged({ note: '/generate', noteId: otherNote.id, author: s.root, projectId: other.id, path: 'data/warehouse' });
    (delivery.body.issue as { iid: number }).iid = otherIssue.iid;
    const res = await s.bot.deliver(delivery, hookSecretFor(other.id));
    assert.equal(res.status, 200);
    await s.settle();
    assert.equal(other.mergeRequests.length, 0);
    assert.equal(other.notes.filter((n) => n.authorId === s.botUser.id).length, 0);
  });

  test('the control: the same kind of delivery, told as GitLab has it, is acted on', async () => {
    const { s, issue, forged } = await setUp();
    const note = (await s.standIn.comment(s.project, { issue: issue.iid }, s.alice, '/generate'))!;
    const res = await s.bot.deliver(forged({ note: '/generate', noteId: note.id, author: s.alice }));
    assert.equal(res.status, 200);
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1);
  });
});
