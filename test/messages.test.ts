// What the bot says about failures is said in the reader's language: a spec the pack cannot render, a job
// GitLab refused, a job the bot stopped in too many times, a command's arguments.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceAnswerError } from '../src/errors.ts';
import { messages } from '../src/i18n/index.ts';
import { describeFailure, describeJobFailure } from '../src/queue/failures.ts';
import { RenderError } from '../src/render/render.ts';

describe('failures in the reader language', () => {
  test('a render failure names the field in English for logs and the CLI, and in Russian for a Russian issue', () => {
    const err = new RenderError('airflow-sql', 'source.format', 'fileFormat');
    assert.equal(err.message, 'airflow-sql: source.format: file sources are read as csv, json, jsonl or parquet');
    assert.equal(err.describe(messages('en')), err.message);
    assert.equal(err.describe(messages('ru')), 'airflow-sql: source.format: файловые источники читаются как csv, json, jsonl или parquet');
  });

  test("a job's failure line follows the language; the job record stays English", () => {
    const refused = new ServiceAnswerError({ service: 'GitLab', status: 403, method: 'POST', path: '/projects/1/merge_requests', description: '403 Forbidden' });
    assert.equal(describeFailure(refused), 'GitLab answered 403 (403 Forbidden) to POST /projects/1/merge_requests');
    assert.equal(describeJobFailure({ kind: 'error', error: refused }, messages('ru')), 'GitLab ответил 403 (403 Forbidden) на POST /projects/1/merge_requests');
    assert.equal(describeJobFailure({ kind: 'interrupted' }, messages('ru')), 'бот останавливался во время этой задачи слишком много раз');
    assert.equal(describeFailure(new Error('boom'), messages('ru')), messages('ru').jobs.internalError);
  });

  test('every argument problem a command can report reads in both languages', () => {
    assert.deepEqual(Object.keys(messages('ru').commands.argumentProblems).sort(), Object.keys(messages('en').commands.argumentProblems).sort());
  });
});
