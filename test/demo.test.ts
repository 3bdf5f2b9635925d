// `dagwright demo` as assertions: what a reader of the printed issue and merge request must see, and the
// merged repository it leaves behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runDemo } from '../src/cli/demo.ts';
import { airflowMissing } from './support/airflow.ts';
import { tempDir } from './support/harness.ts';

test('the demo runs the whole flow, ends with what Airflow says of the DAG, and leaves the merged pipeline on main', async () => {
  // In CI the Airflow environment is there, and the demo's last step must run against it.
  if (process.env.CI === 'true') assert.equal(airflowMissing(3), undefined, 'CI has the Airflow 3 environment');
  const started = Date.now();
  const lines: string[] = [];
  const result = await runDemo({ out: (line) => lines.push(line), workDir: tempDir('dagwright-demo-test-') });
  const limit = result.airflow.checked ? 150_000 : 60_000;
  assert.ok(Date.now() - started < limit, `the demo takes under ${limit / 1000} s`);
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
  if (result.airflow.checked) {
    // The last step: a real Airflow loaded the merged DAG, and the issue heard it.
    assert.match(transcript, /### ✅ `orders_customers_daily` is live in Airflow/);
    assert.match(transcript, /✅ `orders_customers_daily` is live in Airflow \(details in the status comment above\)/);
  } else {
    console.log(`# the demo left out the Airflow check: ${result.airflow.why}`);
    assert.ok(lines.some((l) => l.startsWith('» left out: the check that Airflow loaded the DAG')), 'the demo says plainly that the Airflow check is left out');
    assert.match(transcript, /Merge request !1 is merged[^\n]*not checked: the bot has no AIRFLOW_URL/);
  }
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
