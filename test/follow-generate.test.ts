// The goal figure of the layout: following /generate from the webhook to the merge request takes at most 12
// files of the flow (scripts/follow-generate.ts measures it on a real run).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { followGenerate } from '../scripts/follow-generate.ts';

test('following /generate from POST /webhooks/gitlab to the merge request takes at most 12 files of the flow', async () => {
  const { flow, adapters } = await followGenerate();
  // The run went the whole way: the route, the worker, the handler, rendering, validation and publishing.
  for (const file of ['src/server.ts', 'src/queue/worker.ts', 'handlers/generate.ts', 'src/render/render.ts', 'src/validate/validate.ts', 'src/publish/publish.ts']) {
    assert.ok(flow.includes(file), `${file} is on the way: ${flow.join(', ')}`);
  }
  assert.ok(adapters.includes('src/git/repository.ts') && adapters.includes('src/gitlab/client.ts'), adapters.join(', '));
  assert.ok(flow.length <= 12, `${flow.length} files: ${flow.join(', ')}`);
});
