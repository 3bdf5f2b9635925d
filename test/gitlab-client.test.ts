import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createGitLabClient, isGitLabError, parseRetryAfter } from '../src/gitlab/client.ts';
import { AccessLevels, startGitLabStandIn, type GitLabStandIn } from '../src/gitlab-standin/index.ts';
import type { Issue, Project, User } from '../src/gitlab-standin/model.ts';

describe('the GitLab client', () => {
  let standIn: GitLabStandIn;
  let bot: User;
  let project: Project;
  let issue: Issue;
  before(async () => {
    standIn = await startGitLabStandIn();
    const owner = standIn.createUser('root');
    bot = standIn.createUser('dagwright', { bot: true });
    project = await standIn.createProject('data/warehouse', { owner, members: [[bot, AccessLevels.developer]] });
    issue = standIn.openIssue(project, owner, { title: 'Client' });
  });
  after(() => standIn.close());
  const client = () => createGitLabClient({ url: standIn.url, token: bot.token, retry: { minTimeoutMs: 10, maxTimeoutMs: 20 } });
  const statuses = (method: string, path: RegExp) => standIn.requests.filter((r) => r.method === method && path.test(r.path)).map((r) => r.status);

  test('a 429 is retried no sooner than its Retry-After', async () => {
    standIn.injectFault({ method: 'GET', path: /\/user$/, effect: { status: 429, retryAfterSeconds: 1 }, times: 1 });
    const started = performance.now();
    const user = (await client().Users.showCurrentUser()) as { username: string };
    assert.equal(user.username, 'dagwright');
    assert.ok(performance.now() - started >= 950, 'waited for Retry-After');
  });

  test('a 5xx on a read is retried; on a write it is not (the write may have happened)', async () => {
    standIn.injectFault({ method: 'GET', path: '/api/v4/metadata', effect: { status: 502 }, times: 1 });
    standIn.injectFault({ method: 'GET', path: '/api/v4/metadata', effect: { status: 503 }, times: 1 });
    await client().Metadata.show();
    assert.deepEqual(statuses('GET', /\/metadata$/), [502, 503, 200]);
    standIn.injectFault({ method: 'POST', path: /\/notes$/, effect: { status: 503 }, times: 1 });
    await assert.rejects(client().IssueNotes.create(project.id, issue.iid, 'hello'), (err: unknown) => isGitLabError(err, 503));
    assert.deepEqual(statuses('POST', /\/notes$/), [503]);
    assert.equal(project.notes.length, 0);
  });

  test('a dropped connection on a read is retried', async () => {
    standIn.injectFault({ method: 'GET', path: '/api/v4/version', effect: { drop: true }, times: 1 });
    const version = (await client().Metadata.show()) as { version: string };
    assert.ok(version.version);
  });

  test("errors carry GitLab's status and message, and never the token", async () => {
    const bad = createGitLabClient({ url: standIn.url, token: 'glpat-wrong-token-abcdefghijkl' });
    await assert.rejects(bad.Users.showCurrentUser(), (err: unknown) => {
      assert.ok(isGitLabError(err, 401));
      assert.match((err as Error).message, /401 Unauthorized/);
      assert.doesNotMatch(JSON.stringify(err) + String((err as Error).stack), /glpat-wrong/);
      return true;
    });
  });

  test('a redirect to another address is not followed: the token stays with GITLAB_URL', async () => {
    const seen: Array<string | undefined> = [];
    const elsewhere = http.createServer((req, res) => {
      seen.push(req.headers['private-token'] as string | undefined);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": 1, "username": "someone-else"}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const redirecting = http.createServer((req, res) => res.writeHead(302, { location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}${req.url}` }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const gitlab = createGitLabClient({ url: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`, token: bot.token });
      await assert.rejects(gitlab.Users.showCurrentUser(), /GitLab redirected the request to http:\/\/127\.0\.0\.1:\d+\/api\/v4\/user, which the bot does not follow with its token: set GITLAB_URL/);
      assert.deepEqual(seen, []);
    } finally {
      elsewhere.close();
      redirecting.close();
    }
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
