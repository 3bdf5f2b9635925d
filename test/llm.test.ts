// The model's uses with a scripted model: extraction (en, ru), the re-ask on invalid output, budgets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractSpecPatch } from '../src/llm/extract.ts';
import { BudgetExceeded, Llm, ModelOutputInvalid, noUsage } from '../src/llm/llm.ts';
import { scriptedModel } from './support/scripted-model.ts';

const limits = { tokensPerJob: 20_000, tokensPerIssue: 100_000, toolSteps: 3 };
const json = (value: unknown) => JSON.stringify(value);

describe('extraction', () => {
  test('an English request in prose becomes checked spec fields, and a question is noticed', async () => {
    const { model, calls } = scriptedModel(() =>
      json({
        set: [
          { path: 'schedule', value: '0 6 * * *' },
          { path: 'source.table', value: 'public.customers' },
          { path: 'load.strategy', value: 'snapshot' },
          { path: 'quality', value: '[{check: unique, columns: [customer_id]}]' },
        ],
        unset: [],
        question: 'Which column should be the watermark?',
      }),
    );
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    const { patch, question } = await extractSpecPatch(session, { text: 'Copy public.customers every morning at 6, a full copy each day. Which column should be the watermark?', kind: 'comment', author: 'alice', spec: {} });
    assert.deepEqual(patch.set, { schedule: '0 6 * * *', 'source.table': 'public.customers', 'load.strategy': 'snapshot', quality: [{ check: 'unique', columns: ['customer_id'] }] });
    assert.deepEqual(patch.problems, []);
    assert.equal(question, 'Which column should be the watermark?');
    assert.equal(calls.length, 1);
    assert.match(calls[0]!.prompt, /comment by @alice/);
    assert.ok(session.usage.input > 0 && session.usage.output > 0);
  });

  test('a Russian request in prose', async () => {
    const { model, calls } = scriptedModel(() =>
      json({ set: [{ path: 'schedule', value: '@hourly' }, { path: 'target.table', value: 'raw_orders.orders' }, { path: 'load.strategy', value: 'incremental' }, { path: 'load.watermark', value: 'updated_at' }], unset: [], question: null }),
    );
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    const text = 'Каждый час грузить новые заказы в raw_orders.orders по полю updated_at.';
    const { patch, question } = await extractSpecPatch(session, { text, kind: 'issue', author: 'ivan', spec: {} });
    assert.deepEqual(patch.set, { schedule: '@hourly', 'target.table': 'raw_orders.orders', 'load.strategy': 'incremental', 'load.watermark': 'updated_at' });
    assert.equal(question, undefined);
    assert.ok(calls[0]!.prompt.includes(text));
  });

  test('a value the spec refuses is sent back once with the reason; what is still wrong is reported, the rest applied', async () => {
    const { model, calls } = scriptedModel((_call, i) =>
      i === 0
        ? json({ set: [{ path: 'schedule', value: 'every morning' }, { path: 'dag_id', value: 'orders_daily' }], unset: [], question: null })
        : json({ set: [{ path: 'schedule', value: 'sometimes' }, { path: 'dag_id', value: 'orders_daily' }], unset: [], question: null }),
    );
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    const { patch } = await extractSpecPatch(session, { text: 'Load orders every morning as orders_daily', kind: 'comment', author: 'alice', spec: {} });
    assert.equal(calls.length, 2);
    assert.match(calls[1]!.prompt, /were refused:\n- schedule/);
    assert.deepEqual(patch.set, { dag_id: 'orders_daily' });
    assert.deepEqual(patch.problems.map((p) => p.path), ['schedule']);
  });

  test('an answer that is not the JSON asked for is asked for again once, then reported', async () => {
    const { model, calls } = scriptedModel(() => 'Sure! The schedule is daily.');
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    await assert.rejects(extractSpecPatch(session, { text: 'daily please', kind: 'comment', author: 'alice', spec: {} }), (err: Error) => err instanceof ModelOutputInvalid && /not the JSON asked for/.test(err.message));
    assert.equal(calls.length, 2);
    assert.match(calls[1]!.prompt, /Your previous answer could not be used/);
  });
});

describe('budgets', () => {
  test('a job that has spent its tokens makes no more calls', async () => {
    const { model, calls } = scriptedModel(() => json({ set: [], unset: [], question: null }));
    const session = new Llm(model, 'scripted', { ...limits, tokensPerJob: 50 }).session(noUsage());
    await extractSpecPatch(session, { text: 'hello', kind: 'comment', author: 'alice', spec: {} });
    await assert.rejects(extractSpecPatch(session, { text: 'hello again', kind: 'comment', author: 'alice', spec: {} }), (err: Error) => err instanceof BudgetExceeded && err.scope === 'job');
    assert.equal(calls.length, 1);
  });

  test('an issue that has spent its tokens makes no call at all', async () => {
    const { model, calls } = scriptedModel(() => json({ set: [], unset: [], question: null }));
    const session = new Llm(model, 'scripted', limits).session({ input: 90_000, output: 10_000 });
    await assert.rejects(extractSpecPatch(session, { text: 'hello', kind: 'comment', author: 'alice', spec: {} }), (err: Error) => err instanceof BudgetExceeded && err.scope === 'issue');
    assert.equal(calls.length, 0);
  });
});

describe('what reaches the model', () => {
  test('credentials in the text and the bot\'s own secrets are masked before the prompt is sent', async () => {
    const { registerSecret } = await import('../src/redact.ts');
    const token = `glpat-${'x'.repeat(12)}Q9w8e7r6`;
    registerSecret(token);
    const { model, calls } = scriptedModel(() => json({ set: [], unset: [], question: null }));
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    const password = 'Sup3r-s3cret!';
    await extractSpecPatch(session, { text: `source: postgresql://etl:${password}@db.internal:5432/orders, and the token is ${token}; password=${password}`, kind: 'comment', author: 'alice', spec: {} });
    const sent = calls[0]!.instructions + calls[0]!.prompt;
    assert.equal(sent.includes(password), false);
    assert.equal(sent.includes(token), false);
    assert.match(sent, /postgresql:\/\/etl:\*\*\*\*@db\.internal/);
  });
});

describe('answers', () => {
  test('grounded in the spec, what is missing, the pack\'s documentation, in the asker\'s language', async () => {
    const { answerQuestion } = await import('../src/llm/answer.ts');
    const { model, calls } = scriptedModel(() => 'Use `updated_at`.');
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    const text = await answerQuestion(session, { question: 'Какую колонку взять как watermark?', asker: 'ivan', spec: { dag_id: 'orders_daily', load: { strategy: 'incremental' } }, missing: ['load.watermark'], pack: 'airflow-sql', language: 'ru' });
    assert.equal(text, 'Use `updated_at`.');
    const sent = calls[0]!.prompt;
    assert.match(sent, /dag_id: orders_daily/);
    assert.match(sent, /Still missing: load\.watermark/);
    assert.match(sent, /# Pack `airflow-sql`/);
    assert.match(sent, /Answer in Russian\./);
    assert.match(calls[0]!.instructions, /not instructions to you/);
  });
});

describe('revisions', () => {
  test('search/replace edits: applied once each, refused when the text is missing, repeated, or the file is not the pipeline\'s', async () => {
    const { applyEdits } = await import('../src/llm/revise.ts');
    const files = { 'dags/a.py': 'x = 1\ny = 2\ny = 2\n' };
    assert.deepEqual(applyEdits(files, [{ path: 'dags/a.py', search: 'x = 1', replace: 'x = 10' }]), { files: { 'dags/a.py': 'x = 10\ny = 2\ny = 2\n' }, changed: ['dags/a.py'] });
    const refused = applyEdits(files, [
      { path: 'dags/a.py', search: 'z = 3', replace: '' },
      { path: 'dags/a.py', search: 'y = 2', replace: 'y = 3' },
      { path: '.gitlab-ci.yml', search: '', replace: 'job: {}' },
    ]);
    assert.ok('problems' in refused);
    assert.deepEqual(refused.problems.map((p) => p.split(' ').slice(-4).join(' ')), ['is not in the file', 'once: give more lines', 'not one of the pipeline\'s files (dags/a.py)'].map((t) => t.split(' ').slice(-4).join(' ')));
  });

  test('a line comment sends the numbered lines around it, marking the line', async () => {
    const { excerpt } = await import('../src/llm/revise.ts');
    const content = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    const text = excerpt(content, 20, 2);
    assert.equal(text, '  18  line 18\n  19  line 19\n  20> line 20\n  21  line 21\n  22  line 22');
    assert.equal(excerpt(content, 20, 1, 22), '  19  line 19\n  20> line 20\n  21> line 21\n  22> line 22\n  23  line 23', 'a comment on several lines marks them all');
  });

  test('the model\'s tool calls stop at the job\'s step budget, then it is asked for its answer without tools', async () => {
    const { proposeRevision } = await import('../src/llm/revise.ts');
    let executed = 0;
    const { model, calls } = scriptedModel((call) =>
      call.tools.length ? { toolCall: { name: 'read_file', input: { path: 'dags/a.py' } } } : json({ action: 'none', set: [], unset: [], edits: [], explanation: 'nothing to do' }),
    );
    const session = new Llm(model, 'scripted', { ...limits, toolSteps: 2 }).session(noUsage());
    const files = { get 'dags/a.py'() { executed++; return 'x = 1\n'; } };
    const answer = await proposeRevision(session, { comment: 'read everything forever', author: 'alice', spec: {}, files });
    assert.equal(answer.explanation, 'nothing to do');
    assert.deepEqual(calls.map((c) => c.tools.length > 0), [true, true, false], 'two rounds with the tool, then the answer without it');
    assert.match(calls[2]!.prompt, /tool steps ran out/);
    assert.ok(executed >= 2);
  });
});

describe('a revision, whole', () => {
  const files = { 'dags/raw/x/x.py': 'retries = 2\n' };
  const edit = (replace: string) => json({ action: 'edit', set: [], unset: [], edits: [{ path: 'dags/raw/x/x.py', search: 'retries = 2', replace }], explanation: 'changed' });

  test('edits the validator refuses go back with its report; corrected ones come out, nothing else is touched', async () => {
    const { reviseFiles } = await import('../src/llm/revise.ts');
    const { model, calls } = scriptedModel((_c, i) => edit(i === 0 ? 'retries = bad(' : 'retries = 4'));
    const session = new Llm(model, 'scripted', limits).session(noUsage());
    const seen: string[] = [];
    const outcome = await reviseFiles(session, { comment: 'four retries', author: 'alice', spec: {}, files }, {
      maxCorrections: 2,
      validate: async (edited) => (seen.push(edited['dags/raw/x/x.py']!), edited['dags/raw/x/x.py']!.includes('(') ? 'E999 syntax error' : undefined),
    });
    assert.deepEqual(outcome, { kind: 'edits', files: { 'dags/raw/x/x.py': 'retries = 4\n' }, changed: ['dags/raw/x/x.py'], explanation: 'changed' });
    assert.equal(calls.length, 2);
    assert.match(calls[1]!.prompt, /E999 syntax error/);
    assert.deepEqual(files, { 'dags/raw/x/x.py': 'retries = 2\n' }, 'the input files are not changed');
  });

  test('after the last correction round the report is the outcome; a path outside the files ends it at once', async () => {
    const { reviseFiles } = await import('../src/llm/revise.ts');
    const bad = scriptedModel(() => edit('retries = bad('));
    const outcome = await reviseFiles(new Llm(bad.model, 'scripted', limits).session(noUsage()), { comment: 'x', author: 'a', spec: {}, files }, { maxCorrections: 2, validate: async () => 'E999' });
    assert.deepEqual(outcome, { kind: 'invalid', report: 'E999' });
    assert.equal(bad.calls.length, 3);
    const outside = scriptedModel(() => json({ action: 'edit', set: [], unset: [], edits: [{ path: '.gitlab-ci.yml', search: '', replace: 'x' }], explanation: '' }));
    assert.deepEqual(await reviseFiles(new Llm(outside.model, 'scripted', limits).session(noUsage()), { comment: 'x', author: 'a', spec: {}, files }, { maxCorrections: 2, validate: async () => undefined }), { kind: 'outside', paths: ['.gitlab-ci.yml'] });
    assert.equal(outside.calls.length, 1);
  });

  test("an edit to a path that is no file but a property of every object (__proto__, constructor, toString) is refused, not a crash", async () => {
    const { applyEdits, reviseFiles } = await import('../src/llm/revise.ts');
    for (const path of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const refused = applyEdits({ 'dags/a.py': 'x = 1\n' }, [{ path, search: 'x', replace: 'y' }]);
      assert.ok('problems' in refused, path);
      assert.match(refused.problems[0]!, /is not one of the pipeline's files/);
      const model = scriptedModel(() => json({ action: 'edit', set: [], unset: [], edits: [{ path, search: '', replace: 'x' }], explanation: '' }));
      assert.deepEqual(await reviseFiles(new Llm(model.model, 'scripted', limits).session(noUsage()), { comment: 'x', author: 'a', spec: {}, files }, { maxCorrections: 2, validate: async () => undefined }), { kind: 'outside', paths: [path] });
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('answers', () => {
  test('an answer that repeats the model\'s instructions is not posted', async () => {
    const { echoes } = await import('../src/llm/answer.ts');
    const { prompt } = await import('../src/llm/prompts.ts');
    const instructions = prompt('answer');
    const leaked = `Sure! My instructions say: ${instructions.split('\n\n')[1]}`;
    assert.equal(echoes(leaked, instructions), true);
    assert.equal(echoes('A snapshot copies the whole table into a new partition each run.', instructions), false);
  });
});
