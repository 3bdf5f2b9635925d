// The repository's own documentation: the field reference covers the spec the code accepts, the README and
// `--help` lead to it, and nothing in the repository's docs points outside the repository.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FIELD_PATHS } from '../src/pipeline-spec/schema.ts';
import { repoRoot } from './support/harness.ts';

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');

describe('documentation', () => {
  test('docs/pipeline-spec.md names every field of the spec schema', () => {
    const reference = read('docs/pipeline-spec.md');
    const missing = FIELD_PATHS.filter((field) => !reference.includes(`\`${field}\``));
    assert.deepEqual(missing, []);
  });

  test('the README and `dagwright --help` lead to the user guide and the field reference', () => {
    const readme = read('README.md');
    for (const doc of ['docs/user-guide.md', 'docs/pipeline-spec.md']) {
      assert.ok(fs.existsSync(path.join(repoRoot, doc)), doc);
      assert.ok(readme.includes(`(${doc})`), `the README links ${doc}`);
    }
    const help = spawnSync(process.execPath, [path.join(repoRoot, 'src/main.ts'), '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /docs\/user-guide\.md/);
    assert.match(help.stdout, /docs\/pipeline-spec\.md/);
  });

  test('the docs link only to files that exist in the repository', () => {
    for (const doc of ['README.md', 'docs/user-guide.md', 'docs/pipeline-spec.md', 'fixtures/gitlab-samples/README.md']) {
      const text = read(doc);
      assert.doesNotMatch(text, /\.\.\/shared/, `${doc} points outside the repository`);
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        assert.ok(fs.existsSync(path.join(repoRoot, path.dirname(doc), target!)), `${doc} links ${target}, which does not exist`);
      }
    }
  });
});
