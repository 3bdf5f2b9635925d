// The stand-in's REST API, driven with @gitbeaker/rest as the bot drives GitLab.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../../src/gitlab-standin/index.ts';
import type { Project, User } from '../../src/gitlab-standin/model.ts';

async function status(promise: Promise<unknown>): Promise<{ status: number; message: unknown }> {
  try {
    await promise;
    return { status: 200, message: undefined };
  } catch (err) {
    const cause = (err as { cause?: { response?: Response; description?: string } }).cause;
    return { status: cause?.response?.status ?? 0, message: cause?.description };
  }
}

describe('GitLab stand-in: REST API', () => {
  let standIn: GitLabStandIn;
  let owner: User, developer: User, reporter: User, guest: User, stranger: User, bot: User;
  let project: Project;
  const client = (user: User) => new Gitlab({ host: standIn.url, token: user.token });

  before(async () => {
    standIn = await startGitLabStandIn();
    owner = standIn.createUser('root', { admin: false });
    developer = standIn.createUser('dev');
    reporter = standIn.createUser('rep');
    guest = standIn.createUser('guest');
    stranger = standIn.createUser('stranger');
    bot = standIn.createUser('dagwright', { bot: true });
    project = await standIn.createProject('data/warehouse', {
      owner,
      members: [
        [developer, AccessLevels.developer],
        [reporter, AccessLevels.reporter],
        [guest, AccessLevels.guest],
        [bot, AccessLevels.developer],
      ],
    });
  });
  after(() => standIn.close());

  test('GET /user and /version; a wrong token gets 401 with GitLab\'s message', async () => {
    const me = (await client(bot).Users.showCurrentUser()) as { id: number; username: string; bot: boolean };
    assert.deepEqual([me.id, me.username, me.bot], [bot.id, 'dagwright', true]);
    const version = (await client(bot).Metadata.show()) as { version: string };
    assert.match(version.version, /^\d+\.\d+\.\d+$/);
    const res = await fetch(`${standIn.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': 'nope' } });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { message: '401 Unauthorized' });
    const bearer = await fetch(`${standIn.url}/api/v4/user`, { headers: { Authorization: `Bearer ${bot.token}` } });
    assert.equal(bearer.status, 200);
  });

  test('projects by id and by URL-encoded path; a non-member gets 404', async () => {
    const byId = (await client(bot).Projects.show(project.id)) as { path_with_namespace: string; default_branch: string };
    const byPath = (await client(bot).Projects.show('data/warehouse')) as { id: number };
    assert.equal(byId.path_with_namespace, 'data/warehouse');
    assert.equal(byId.default_branch, 'main');
    assert.equal(byPath.id, project.id);
    assert.equal((await status(client(stranger).Projects.show(project.id))).status, 404);
  });

  test('members/all/:user_id with access levels; 404 for a non-member', async () => {
    const member = (await client(bot).ProjectMembers.show(project.id, developer.id, { includeInherited: true })) as { access_level: number };
    assert.equal(member.access_level, 30);
    assert.equal((await status(client(bot).ProjectMembers.show(project.id, stranger.id, { includeInherited: true }))).status, 404);
  });

  test('issues: create, get, list with filters, edit labels and state', async () => {
    const api = client(guest);
    const created = (await api.Issues.create(project.id, 'Load customers', { description: 'daily', labels: 'dagwright,data' })) as { iid: number; labels: string[]; state: string; author: { username: string } };
    assert.deepEqual([created.labels, created.state, created.author.username], [['dagwright', 'data'], 'opened', 'guest']);
    const shown = (await client(bot).Issues.show(created.iid, { projectId: project.id })) as { title: string };
    assert.equal(shown.title, 'Load customers');
    const listed = (await client(bot).Issues.all({ projectId: project.id, labels: 'dagwright', state: 'opened' })) as Array<{ iid: number }>;
    assert.ok(listed.some((i) => i.iid === created.iid));
    const edited = (await client(reporter).Issues.edit(project.id, created.iid, { addLabels: 'ready', stateEvent: 'close' })) as { labels: string[]; state: string };
    assert.deepEqual([edited.labels.sort(), edited.state], [['dagwright', 'data', 'ready'], 'closed']);
    // A guest may not edit somebody else's issue.
    const other = (await client(developer).Issues.create(project.id, 'Other')) as { iid: number };
    assert.equal((await status(client(guest).Issues.edit(project.id, other.iid, { title: 'mine now' }))).status, 403);
  });

  test('issue notes: create, list (paginated), edit only by their author; award emoji once', async () => {
    const issue = standIn.openIssue(project, developer, { title: 'Notes' });
    const api = client(bot);
    for (let i = 0; i < 25; i++) await api.IssueNotes.create(project.id, issue.iid, `note ${i}`);
    const page = await fetch(`${standIn.url}/api/v4/projects/${project.id}/issues/${issue.iid}/notes?per_page=10&page=2&sort=asc`, { headers: { 'PRIVATE-TOKEN': bot.token } });
    assert.equal(page.headers.get('x-total'), '25');
    assert.equal(page.headers.get('x-total-pages'), '3');
    assert.equal(page.headers.get('x-next-page'), '3');
    assert.equal(page.headers.get('x-prev-page'), '1');
    assert.match(page.headers.get('link')!, /<[^>]+page=3[^>]*>; rel="next"/);
    assert.deepEqual(((await page.json()) as Array<{ body: string }>).map((n) => n.body)[0], 'note 10');
    const all = (await api.IssueNotes.all(project.id, issue.iid)) as Array<{ id: number; body: string }>;
    assert.equal(all.length, 25, 'gitbeaker follows the pagination headers');
    const mine = all[0]!;
    const edited = (await api.IssueNotes.edit(project.id, issue.iid, mine.id, { body: 'edited' })) as { body: string };
    assert.equal(edited.body, 'edited');
    assert.equal((await status(client(developer).IssueNotes.edit(project.id, issue.iid, mine.id, { body: 'not mine' }))).status, 403);
    await api.IssueNoteAwardEmojis.award(project.id, issue.iid, mine.id, 'eyes');
    const again = await status(api.IssueNoteAwardEmojis.award(project.id, issue.iid, mine.id, 'eyes'));
    assert.equal(again.status, 404);
    assert.match(String(again.message), /already been taken/);
  });

  test('branches, merge requests (409 for a second open one), MR notes, diffs, discussions, merge', async () => {
    await standIn.pushCommit(project, developer, { branch: 'dagwright/1-orders', files: { 'dags/orders.py': 'print(1)\n' }, message: 'Add orders' });
    const branches = (await client(bot).Branches.all(project.id)) as Array<{ name: string; default: boolean; protected: boolean; commit: { id: string } }>;
    assert.deepEqual(branches.map((b) => b.name).sort(), ['dagwright/1-orders', 'main']);
    assert.equal(branches.find((b) => b.name === 'main')!.protected, true);
    const one = (await client(bot).Branches.show(project.id, 'dagwright/1-orders')) as { commit: { title: string } };
    assert.equal(one.commit.title, 'Add orders');

    const api = client(bot);
    const mr = (await api.MergeRequests.create(project.id, 'dagwright/1-orders', 'main', 'Add pipeline orders', { description: 'Closes #1', labels: 'data-pipeline' })) as { iid: number; state: string; diff_refs: { head_sha: string } };
    assert.equal(mr.state, 'opened');
    const duplicate = await status(api.MergeRequests.create(project.id, 'dagwright/1-orders', 'main', 'Again'));
    assert.equal(duplicate.status, 409);
    assert.match(String(duplicate.message), new RegExp(`Another open merge request already exists for this source branch: !${mr.iid}`));
    assert.equal((await status(client(guest).MergeRequests.create(project.id, 'dagwright/1-orders', 'main', 'Guest MR'))).status, 403);

    const found = (await api.MergeRequests.all({ projectId: project.id, sourceBranch: 'dagwright/1-orders', state: 'opened' })) as Array<{ iid: number }>;
    assert.deepEqual(found.map((m) => m.iid), [mr.iid]);
    assert.deepEqual(await api.MergeRequests.all({ projectId: project.id, sourceBranch: 'dagwright/1-orders', state: 'merged' }), []);
    const shown = (await api.MergeRequests.show(project.id, mr.iid)) as { source_branch: string; detailed_merge_status: string; diff_refs: { base_sha: string } };
    assert.deepEqual([shown.source_branch, shown.detailed_merge_status], ['dagwright/1-orders', 'mergeable']);
    assert.match(shown.diff_refs.base_sha, /^[0-9a-f]{40}$/);
    const missing = await status(api.MergeRequests.create(project.id, 'no-such-branch', 'main', 'Nothing'));
    assert.equal(missing.status, 422);
    const edited = (await api.MergeRequests.edit(project.id, mr.iid, { description: 'Closes #1\n\nupdated' })) as { description: string };
    assert.match(edited.description, /updated/);

    const diffs = (await api.MergeRequests.allDiffs(project.id, mr.iid)) as Array<{ new_path: string; new_file: boolean; diff: string }>;
    assert.deepEqual(diffs.map((d) => [d.new_path, d.new_file]), [['dags/orders.py', true]]);
    assert.match(diffs[0]!.diff, /^@@ -0,0 \+1 @@\n\+print\(1\)\n$/);

    await api.MergeRequestNotes.create(project.id, mr.iid, 'A plain MR comment');
    const mrNotes = (await api.MergeRequestNotes.all(project.id, mr.iid)) as Array<{ body: string; noteable_type: string }>;
    assert.deepEqual(mrNotes.map((n) => [n.body, n.noteable_type]), [['A plain MR comment', 'MergeRequest']]);
    const discussion = (await client(developer).MergeRequestDiscussions.create(project.id, mr.iid, 'Use a watermark here', {
      position: { baseSha: mr.diff_refs.head_sha, startSha: mr.diff_refs.head_sha, headSha: mr.diff_refs.head_sha, positionType: 'text', newPath: 'dags/orders.py', oldPath: 'dags/orders.py', newLine: '1' },
    })) as unknown as { id: string; notes: Array<{ type: string; position: { new_line: number } }> };
    assert.equal(discussion.notes[0]!.type, 'DiffNote');
    assert.equal(discussion.notes[0]!.position.new_line, 1);
    const reply = (await api.MergeRequestDiscussions.addNote(project.id, mr.iid, discussion.id, 'Done in abc123')) as { type: string };
    assert.equal(reply.type, 'DiffNote');
    const resolved = (await client(developer).MergeRequestDiscussions.resolve(project.id, mr.iid, discussion.id, true)) as unknown as { notes: Array<{ resolved: boolean }> };
    assert.ok(resolved.notes.every((n) => n.resolved));
    const discussions = (await api.MergeRequestDiscussions.all(project.id, mr.iid)) as Array<{ individual_note: boolean; notes: unknown[] }>;
    assert.deepEqual(discussions.map((d) => [d.individual_note, d.notes.length]), [[true, 1], [false, 2]]);

    // The default branch is protected: a Developer may not merge into it, a Maintainer (here the owner) may.
    assert.equal((await status(client(developer).MergeRequests.merge(project.id, mr.iid))).status, 401);
    const merged = (await client(owner).MergeRequests.merge(project.id, mr.iid)) as { state: string; merge_commit_sha: string };
    assert.equal(merged.state, 'merged');
    const main = (await api.Branches.show(project.id, 'main')) as { commit: { id: string; parent_ids: string[] } };
    assert.equal(main.commit.id, merged.merge_commit_sha);
    assert.equal(main.commit.parent_ids.length, 2);
    assert.equal((await status(client(owner).MergeRequests.merge(project.id, mr.iid))).status, 405);
  });

  test('repository files raw: a file on a ref, 404 otherwise', async () => {
    await standIn.pushCommit(project, owner, { branch: 'main', files: { '.gitlab/dagwright.yml': 'pack: airflow-sql\n' }, message: 'Config' });
    const raw = await client(bot).RepositoryFiles.showRaw(project.id, '.gitlab/dagwright.yml', 'main');
    assert.equal(typeof raw === 'string' ? raw : await (raw as Blob).text(), 'pack: airflow-sql\n');
    assert.equal((await status(client(bot).RepositoryFiles.showRaw(project.id, 'missing.yml', 'main'))).status, 404);
    assert.equal((await status(client(guest).RepositoryFiles.showRaw(project.id, '.gitlab/dagwright.yml', 'main'))).status, 403);
  });

  test('project hooks: create and list (Maintainer and up), the token never shown', async () => {
    const hook = (await client(owner).ProjectHooks.add(project.id, 'http://127.0.0.1:9/hook', { token: 's3cret', noteEvents: true, issuesEvents: true })) as Record<string, unknown>;
    assert.equal(hook.note_events, true);
    assert.equal(hook.merge_requests_events, false);
    assert.equal('token' in hook, false);
    const hooks = (await client(owner).ProjectHooks.all(project.id)) as Array<{ id: number }>;
    assert.ok(hooks.some((h) => h.id === hook.id));
    assert.equal((await status(client(developer).ProjectHooks.all(project.id))).status, 403);
    // Deleting one, as `dagwright hook install` tells a user to do to replace it.
    assert.equal((await status(client(developer).ProjectHooks.remove(project.id, hook.id as number))).status, 403);
    await client(owner).ProjectHooks.remove(project.id, hook.id as number);
    assert.equal(((await client(owner).ProjectHooks.all(project.id)) as Array<{ id: number }>).some((h) => h.id === hook.id), false);
    assert.equal((await status(client(owner).ProjectHooks.remove(project.id, hook.id as number))).status, 404);
  });

  test("an issue's award emoji, and the repository's commits", async () => {
    const issue = standIn.openIssue(project, developer, { title: 'Emoji' });
    await client(reporter).IssueAwardEmojis.award(project.id, issue.iid, 'thumbsup');
    const awards = (await client(guest).IssueAwardEmojis.all(project.id, issue.iid)) as Array<{ name: string; user: { username: string }; awardable_type: string }>;
    assert.deepEqual(awards.map((a) => [a.name, a.user.username, a.awardable_type]), [['thumbsup', 'rep', 'Issue']]);
    await standIn.pushCommit(project, developer, { branch: 'main', files: { 'notes.md': 'x\n' }, message: 'Add notes\n\nWhy: tests.' });
    const commits = (await client(reporter).Commits.all(project.id, { refName: 'main', perPage: 1, maxPages: 1 })) as Array<{ title: string; message: string; web_url: string; parent_ids: string[] }>;
    assert.equal(commits.length, 1);
    assert.equal(commits[0]!.title, 'Add notes');
    assert.match(commits[0]!.web_url, /\/data\/warehouse\/-\/commit\/[0-9a-f]{40}$/);
    assert.deepEqual(await client(reporter).Commits.all(project.id, { refName: 'no-such-branch' }), []);
    assert.equal((await status(client(stranger).Commits.all(project.id))).status, 404);
  });
});
