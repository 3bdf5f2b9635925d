// A repository's own template packs are code (Eta templates are JavaScript): they are never taken from a branch
// under review, only from the default branch and only where the operator turns them on (REPO_PACKS=on), and
// even then they run in the sandbox, where the bot's environment, processes and files are out of reach.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { registerHandlers } from '../handlers/index.ts';
import { repoRoot, startStack, tempDir, type Stack } from './support/harness.ts';
import { completeRequest } from './support/requests.ts';
import { skipUnlessSandbox } from './support/sandbox.ts';

const request = completeRequest;

const TOKEN = 'glpat-repository-pack-probe-0123';
const builtInDoc = fs.readFileSync(path.join(repoRoot, 'src/render/packs/airflow-sql/doc.md.eta'), 'utf8');

/** A doc template that tries what a hostile pack would: the bot's token, its /proc, a file written on the host. */
function probingTemplate(marker: string): string {
  return `${builtInDoc}
PROBE <%= JSON.stringify({
  token: process.env.GITLAB_TOKEN ?? null,
  proc: (() => { try { return process.getBuiltinModule('fs').readFileSync('/proc/${process.pid}/environ', 'utf8').slice(0, 40); } catch (e) { return e.code; } })(),
  wrote: (() => { try { process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned'); return 'yes'; } catch (e) { return e.code; } })(),
}) %>
`;
}


describe("a repository's own template packs", () => {
  let stack: Stack | undefined;
  const saved = { REPO_PACKS: process.env.REPO_PACKS, GITLAB_TOKEN: process.env.GITLAB_TOKEN };
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const start = async () => (stack = await startStack({ register: registerHandlers }));
  const status = (s: Stack, iid: number) => s.botComments(iid).find((n) => n.body.includes('dagwright:status'))?.body ?? '';
  const fileOnBranch = async (s: Stack, file: string, branch: string) =>
    (await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent(file)}/raw?ref=${encodeURIComponent(branch)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).text();

  for (const setting of ['off', 'on'] as const) {
    test(`a pack pushed to the bot's branch before /generate is never used (REPO_PACKS=${setting})`, { skip: setting === 'on' && skipUnlessSandbox() }, async () => {
      process.env.REPO_PACKS = setting;
      process.env.GITLAB_TOKEN = TOKEN;
      const s = await start();
      const marker = path.join(tempDir('dagwright-branch-pack-'), 'pwned');
      // A Developer makes the predictable branch first, with a template that runs code.
      await s.standIn.pushCommit(s.project, s.alice, { branch: 'dagwright/1-orders_customers_daily', startBranch: 'main', files: { '.dagwright/packs/airflow-sql/doc.md.eta': probingTemplate(marker) }, message: 'A template of my own' });
      const issue = s.openIssue('Load customers', request);
      await s.comment(issue, '/generate');
      await s.settle();
      assert.match(status(s, issue.iid), /Merge request !1 is open/);
      const doc = await fileOnBranch(s, 'dags/raw/orders/orders_customers_daily.md', 'dagwright/1-orders_customers_daily');
      assert.doesNotMatch(doc, /PROBE/);
      assert.equal(fs.existsSync(marker), false, 'the template ran in the bot');
    });
  }

  test('REPO_PACKS=on: a pack on the default branch renders in the sandbox, out of reach of the bot\'s secrets', { skip: skipUnlessSandbox() }, async () => {
    process.env.REPO_PACKS = 'on';
    process.env.GITLAB_TOKEN = TOKEN;
    const s = await start();
    const marker = path.join(tempDir('dagwright-default-pack-'), 'pwned');
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.dagwright/packs/airflow-sql/doc.md.eta': probingTemplate(marker) }, message: 'House style for docs' });
    const issue = s.openIssue('Load customers', request);
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /Merge request !1 is open/);
    const doc = await fileOnBranch(s, 'dags/raw/orders/orders_customers_daily.md', 'dagwright/1-orders_customers_daily');
    const probe = JSON.parse(doc.match(/PROBE (.*)/)![1]!) as { token: string | null; proc: string; wrote: string };
    assert.equal(probe.token, null);
    assert.match(probe.proc, /^(ENOENT|EACCES)$/);
    assert.notEqual(probe.wrote, 'yes');
    assert.equal(fs.existsSync(marker), false);
    assert.doesNotMatch(doc, new RegExp(TOKEN));
  });

  test('REPO_PACKS off: a spec naming a pack only the repository has is told so, and nothing is generated', async () => {
    process.env.REPO_PACKS = 'off';
    const s = await start();
    const files: Record<string, string> = {};
    for (const name of fs.readdirSync(path.join(repoRoot, 'src/render/packs/airflow-sql'))) {
      files[`.dagwright/packs/team-sql/${name}`] = fs.readFileSync(path.join(repoRoot, 'src/render/packs/airflow-sql', name), 'utf8');
    }
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files, message: 'Our own pack' });
    const issue = s.openIssue('Load customers', request.replace('load: {strategy: snapshot}', 'load: {strategy: snapshot}\npack: team-sql'));
    await s.comment(issue, '/generate');
    await s.settle();
    assert.match(status(s, issue.iid), /"team-sql" is a pack of the repository's own, and this server does not use repository packs \(its operator can turn them on with REPO_PACKS=on\)/);
    assert.equal(s.project.mergeRequests.length, 0);
  });
});
