import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGitLabClient, isGitLabError, parseRetryAfter } from '../src/gitlab/client.ts';
import { FakeGitLab } from './support/fake-gitlab.ts';

describe('the GitLab client', () => {
  const gitlab = new FakeGitLab();
  before(() => gitlab.start());
  after(() => gitlab.stop());
  const client = () => createGitLabClient({ url: gitlab.url, token: gitlab.token, retry: { minTimeoutMs: 10, maxTimeoutMs: 20 } });
  const count = (method: string, path: RegExp) => gitlab.requests.filter((r) => r.method === method && path.test(r.path)).length;

  test('a 429 is retried no sooner than its Retry-After', async () => {
    gitlab.inject({ method: 'GET', path: /\/user$/, status: 429, headers: { 'retry-after': '1' }, body: { message: '429 Too Many Requests' } });
    const started = performance.now();
    const user = (await client().Users.showCurrentUser()) as { username: string };
    assert.equal(user.username, 'dagwright');
    assert.ok(performance.now() - started >= 950, 'waited for Retry-After');
  });

  test('a 5xx on a read is retried; on a write it is not (the write may have happened)', async () => {
    const before = count('POST', /\/notes$/);
    gitlab.inject({ method: 'GET', path: /\/user$/, status: 502 });
    gitlab.inject({ method: 'GET', path: /\/user$/, status: 503 });
    await client().Users.showCurrentUser();
    gitlab.inject({ method: 'POST', path: /\/issues\/3\/notes$/, status: 503, body: { message: '503 Service Unavailable' } });
    await assert.rejects(client().IssueNotes.create(42, 3, 'hello'), (err: unknown) => isGitLabError(err, 503));
    assert.equal(count('POST', /\/notes$/) - before, 1);
    assert.equal(gitlab.notesOn(42, 'Issue', 3).length, 0);
  });

  test("errors carry GitLab's status and message, and never the token", async () => {
    const bad = createGitLabClient({ url: gitlab.url, token: 'glpat-wrong-token-abcdefghijkl' });
    await assert.rejects(bad.Users.showCurrentUser(), (err: unknown) => {
      assert.ok(isGitLabError(err, 401));
      assert.match((err as Error).message, /401 Unauthorized/);
      assert.doesNotMatch(JSON.stringify(err) + String((err as Error).stack), /glpat-wrong/);
      return true;
    });
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
