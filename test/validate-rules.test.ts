// Validation's rules follow the Airflow a DAG is for, and each problem is said once and whole.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateFiles } from '../src/validate/validate.ts';

const dag = `from datetime import datetime

from airflow import DAG
from airflow.models import Variable
from airflow.hooks.postgres_hook import PostgresHook
from airflow.operators.bash import BashOperator

THRESHOLD = Variable.get("threshold")

with DAG(
    dag_id="legacy_copy",
    schedule="0 6 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["legacy"],
    default_args={"owner": "data", "retries": 2},
) as dag:
    BashOperator(task_id="copy", bash_command="copy --day {{ execution_date }}")
    HOOK = PostgresHook
`;
const files = [{ path: 'dags/legacy_copy.py', content: dag }];
const rulesOf = (findings: Array<{ rule: string }>) => [...new Set(findings.map((f) => f.rule))].sort();

describe('validation for the Airflow a DAG is for', () => {
  test('Airflow 2: no Airflow 3 migration rule and no removed-context-key finding; the parse-time read once', async () => {
    const report = await validateFiles(files, { airflowVersion: 2 });
    const rules = rulesOf(report.findings);
    assert.deepEqual(rules.filter((r) => /^AIR3/.test(r) || r === 'DW011'), [], JSON.stringify(report.findings));
    const onLine8 = report.findings.filter((f) => f.line === 8);
    assert.deepEqual(onLine8.map((f) => f.rule), ['DW006'], 'Variable.get at parse time is reported once');
  });

  test('Airflow 3: the migration rules, with the replacement in the message', async () => {
    const report = await validateFiles(files, { airflowVersion: 3 });
    const moved = report.findings.find((f) => f.rule === 'AIR302');
    assert.ok(moved, JSON.stringify(report.findings));
    assert.doesNotMatch(moved.message, /;$/);
    assert.match(moved.message, /moved into `postgres` provider in Airflow 3\.0\. .*apache-airflow-providers-postgres/);
    assert.ok(report.findings.some((f) => f.rule === 'DW011' && /execution_date/.test(f.message)));
    assert.deepEqual(report.findings.filter((f) => f.line === 8).map((f) => f.rule).filter((r) => r !== 'AIR311'), ['DW006']);
  });
});
