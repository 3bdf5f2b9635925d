// `dagwright demo` as assertions: what a reader of the printed issue and merge request must see, and the
// merged repository it leaves behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runDemo } from '../src/cli/demo.ts';
import { tempDir } from './support/harness.ts';

test('the demo runs the whole flow in under a minute and leaves the merged pipeline on main', async () => {
  const started = Date.now();
  const lines: string[] = [];
  const result = await runDemo({ out: (line) => lines.push(line), workDir: tempDir('dagwright-demo-test-') });
  assert.ok(Date.now() - started < 60_000, 'the demo takes under a minute');
  const { transcript } = result;
  assert.ok(transcript.includes(result.sourcePassword), 'the request itself carries the password');

  // The password from the request is shown to nobody but the request itself.
  const botSpeech = transcript.split('## @').filter((part) => part.startsWith('dagwright'));
  assert.ok(botSpeech.length > 0);
  for (const part of botSpeech) assert.equal(part.includes(result.sourcePassword), false);
  assert.match(transcript, /postgresql:\/\/etl:\*+@db\.internal/);
  assert.match(transcript, /rotate/i);

  // The conversation, in order and with authors: the request, the answer, /generate, the review, the merge.
  const authors = [...transcript.matchAll(/^## @(\S+)/gm)].map((m) => m[1]);
  assert.ok(authors.includes('alice') && authors.includes('root') && authors.includes('dagwright'));
  const turns = ['## @alice\n\ntarget.conn_id: lake', '## @alice\n\n/generate', '## @root\n\n/set schedule="0 7 * * *"', '## @root\n\n/set retries=3'];
  const order = turns.map((turn) => transcript.indexOf(turn));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.ok(order.every((i) => i >= 0));
  assert.match(transcript, /Merge request !1 (is|was) merged/i);
  assert.match(transcript, /# Merge request !1: Add pipeline orders_customers_daily \(merged\)/);

  // The merged main branch: the pipeline's files, the reviewer's schedule, and the human's note kept.
  assert.ok(result.files.includes('dags/raw/orders/orders_customers_daily.py'), result.files.join(', '));
  const dag = fs.readFileSync(path.join(result.checkout, 'dags/raw/orders/orders_customers_daily.py'), 'utf8');
  assert.match(dag, /schedule=CronDataIntervalTimetable\("0 7 \* \* \*"/);
  assert.match(dag, /"retries": 3/);
  assert.equal(dag.includes(result.sourcePassword), false);
  const doc = fs.readFileSync(path.join(result.checkout, 'dags/raw/orders/orders_customers_daily.md'), 'utf8');
  assert.match(doc, /The orders database is replicated at 05:30\./);
  assert.ok(lines.some((l) => l.includes(result.checkout)), 'the demo says where the files are');
});
