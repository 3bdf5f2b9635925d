// /init: a merge request that sets the repository up, with only what it lacks.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { registerHandlers } from '../handlers/index.ts';
import { parseRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { startStack, type Stack } from './support/harness.ts';

describe('/init', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  const file = async (s: Stack, path: string, ref: string) =>
    (await fetch(`${s.standIn.url}/api/v4/projects/${s.project.id}/repository/files/${encodeURIComponent(path)}/raw?ref=${encodeURIComponent(ref)}`, { headers: { 'PRIVATE-TOKEN': s.alice.token } })).text();
  const tree = (s: Stack, ref: string) => execFileSync('git', ['-C', s.project.repoDir, 'ls-tree', '-r', '--name-only', ref], { encoding: 'utf8' }).trim().split('\n');

  test('a fresh repository gets the config, the issue template, the integrity test and a CI file, in one merge request', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    const issue = s.openIssue('Set up', 'Please set the repository up.');
    await s.comment(issue, '/init');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    assert.equal(mr.sourceBranch, 'dagwright/init');
    assert.equal(mr.title, 'Set up Dagwright');
    for (const path of ['.gitlab/dagwright.yml', '.gitlab/issue_templates/Pipeline request.md', 'tests/dags/test_dag_integrity.py', '.gitlab-ci.yml']) assert.ok(tree(s, mr.sourceBranch).includes(path), path);
    const config = parseRepoConfig(await file(s, '.gitlab/dagwright.yml', mr.sourceBranch));
    assert.deepEqual(config.problems, [], 'the config it writes is valid');
    const ci = parseYaml(await file(s, '.gitlab-ci.yml', mr.sourceBranch)) as { 'dag-integrity': { script: string[]; image: string } };
    assert.match(ci['dag-integrity'].script.join('\n'), /pytest -q tests\/dags\/test_dag_integrity\.py/);
    assert.match(ci['dag-integrity'].image, /^apache\/airflow:3\./);
    assert.match(await file(s, '.gitlab/issue_templates/Pipeline request.md', mr.sourceBranch), /\/label ~"dagwright"/);
    assert.match(s.botComments(issue).at(-1)!.body, /Merge request !1 sets this repository up for Dagwright/);

    // Again: nothing more to add, the same merge request.
    await s.comment(issue, '/init');
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 1);
    assert.equal(execFileSync('git', ['-C', s.project.repoDir, 'rev-list', '--count', `main..${mr.sourceBranch}`], { encoding: 'utf8' }).trim(), '1');
  });

  test('a repository with its own CI and config: only the rest, the CI job as a file to include', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    await s.standIn.pushCommit(s.project, s.root, { branch: 'main', files: { '.gitlab-ci.yml': 'stages: [build]\nbuild:\n  stage: build\n  script: [make]\n', '.gitlab/dagwright.yml': 'airflow_version: 2\n' }, message: 'Own CI' });
    const issue = s.openIssue('Set up', 'Please set the repository up.');
    await s.comment(issue, '/init');
    await s.settle();
    const mr = s.project.mergeRequests[0]!;
    const changed = execFileSync('git', ['-C', s.project.repoDir, 'diff', '--name-only', `main...${mr.sourceBranch}`], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(changed, ['.gitlab/ci/dagwright.yml', '.gitlab/issue_templates/Pipeline request.md', 'tests/dags/test_dag_integrity.py']);
    assert.match(await file(s, '.gitlab/ci/dagwright.yml', mr.sourceBranch), /apache\/airflow:2\./);
    assert.match(s.botComments(issue).at(-1)!.body, /add `include: \{local: \.gitlab\/ci\/dagwright\.yml\}`/);
    assert.match(mr.description, /include: \{local: \.gitlab\/ci\/dagwright\.yml\}/);
  });

  test('below the required role: refused, no branch', async () => {
    const s = (stack = await startStack({ register: registerHandlers }));
    const issue = s.openIssue('Set up', 'x');
    await s.comment(issue, '/init', s.gail);
    await s.settle();
    assert.equal(s.project.mergeRequests.length, 0);
    assert.match(s.botComments(issue).at(-1)!.body, /needs at least the Developer role/);
  });
});
