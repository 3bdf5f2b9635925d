// Rendering and validating pipelines: golden files for the airflow-sql pack's matrix, every render valid,
// and the validator catching what a reviewer must never see.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { BUILTIN_PACKS_DIR, renderPipeline, RenderError, type RenderResult } from '../src/render/render.ts';
import type { PipelineSpec } from '../src/pipeline-spec/schema.ts';
import { ruffPid } from '../src/validate/ruff.ts';
import { lintPython, reportMarkdown, reportText, validateFiles, type SourceFile } from '../src/validate/validate.ts';
import { columns, GOLDEN_CASES, specFor } from './support/golden-specs.ts';
import { repoRoot, waitFor } from './support/harness.ts';

const goldenDir = path.join(repoRoot, 'fixtures/golden');
const update = process.env.UPDATE_GOLDEN === '1';

const render = (spec: PipelineSpec) => renderPipeline(spec, defaultRepoConfig, { today: '2026-11-24' });

/** Every rendered file equals its golden copy (UPDATE_GOLDEN=1 writes them; review the diff). */
async function assertGolden(name: string, result: RenderResult): Promise<void> {
  const dir = path.join(goldenDir, name);
  for (const file of result.files) {
    const golden = path.join(dir, file.path);
    if (update) {
      fs.mkdirSync(path.dirname(golden), { recursive: true });
      fs.writeFileSync(golden, file.content);
    }
    assert.ok(fs.existsSync(golden), `no golden file ${path.relative(repoRoot, golden)}: run the tests with UPDATE_GOLDEN=1 and review the diff`);
    assert.equal(file.content, fs.readFileSync(golden, 'utf8'), `${file.path} differs from ${path.relative(repoRoot, golden)}`);
  }
}

describe('the template packs', () => {
  for (const { name, spec, airflow } of GOLDEN_CASES) {
    test(`${name}: matches its golden files and passes validation`, async () => {
      const result = render(spec());
      await assertGolden(name, result);
      const report = await validateFiles(result.files, { airflowVersion: airflow, roots: ['dags', 'tests'] });
      assert.deepEqual(report.findings, []);
      assert.deepEqual(report.skipped, []);
    });
  }
});

describe('the airflow-sql pack', () => {
  test('files of every format: the run lists its keys, then one mapped task per key stages it with a parser of the format', () => {
    for (const { name, spec } of GOLDEN_CASES.filter((c) => c.pack === 'airflow-sql' && c.name.includes('/s3-'))) {
      const dag = render(spec()).files[0]!.content;
      assert.match(dag, /list_files = list_files_of_run\(FILES\)/, name);
      assert.match(dag, /load = load_file\.expand\(key=list_files\)/, name);
      assert.match(dag, /def parse_rows\(path\):/, name);
    }
  });

  test('file sources: a key, a prefix or a glob; a run without files fails, or skips when the spec says so', () => {
    const full = specFor('snapshot', 3, 'postgres');
    const s3 = (source: Record<string, unknown>) => ({ ...full, source: { type: 's3', conn_id: 'landing_s3', system: 'landing', bucket: 'landing', format: 'csv', columns, ...source } }) as unknown as PipelineSpec;
    assert.equal(render(s3({ path: 'exports/{{ ds }}/part-0.csv' })).plan.files?.kind, 'key');
    assert.equal(render(s3({ path: 'exports/{{ ds }}/' })).plan.files?.kind, 'prefix');
    const glob = render(s3({ path: 'readings/dt={{ ds }}/part-*.csv' }));
    assert.equal(glob.plan.files?.kind, 'glob');
    assert.match(glob.files[0]!.content, /raise AirflowFailException\(f"no file matches s3:\/\/\{BUCKET\}\/\{pattern\} for this run"\)/);
    assert.match(render(s3({ path: 'exports/*.csv', if_empty: 'skip' })).files[0]!.content, /raise AirflowSkipException\(/);
    assert.throws(() => render(s3({ path: 'exports/a.csv', columns: undefined })), (err: unknown) => err instanceof RenderError && err.field === 'source.columns');
    assert.throws(() => render({ ...s3({ path: 'exports/a.csv' }), load: { strategy: 'incremental', watermark: 'updated_at' } }), (err: unknown) => err instanceof RenderError && err.field === 'load.strategy');
  });

  test('csv files in a dialect of their own: the separator, the quote, and no header (fields by the source\'s order), in both packs', async () => {
    for (const pack of ['airflow-sql', 'spark-docker']) {
      const full = specFor('snapshot', 3, 's3', pack);
      const spec = { ...full, source: { ...full.source, delimiter: ';', quote: "'", header: false, exclude_columns: ['email'] } } as unknown as PipelineSpec;
      const result = render(spec);
      const code = result.files.filter((f) => f.path.endsWith('.py')).map((f) => f.content).join('\n');
      if (pack === 'airflow-sql') {
        assert.match(code, /csv\.reader\(file, delimiter=";", quotechar="'"\)/);
        assert.match(code, /FILE_COLUMNS = \["customer_id", "email", "country", "updated_at"\]\nCOLUMNS|COLUMNS = \["customer_id", "country", "updated_at"\]\nFILE_COLUMNS = \["customer_id", "email", "country", "updated_at"\]/);
      } else {
        assert.match(code, /reader\.option\("header", "false"\)\n    reader = reader\.option\("sep", ";"\)\n    reader = reader\.option\("quote", "'"\)/);
        assert.match(code, /frame\.toDF\("customer_id", "email", "country", "updated_at"\)/);
      }
      const report = await validateFiles(result.files, { airflowVersion: 3, roots: ['dags', 'tests'] });
      assert.deepEqual(report.findings, [], pack);
    }
  });

  test('a repository overrides a template of a pack, or adds a pack of its own, under .dagwright/packs/', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-packs-'));
    const packs = path.join(repo, '.dagwright', 'packs');
    fs.mkdirSync(path.join(packs, 'airflow-sql'), { recursive: true });
    fs.writeFileSync(path.join(packs, 'airflow-sql', 'doc.md.eta'), '# <%= it.plan.spec.dag_id %> (house style)\n');
    const spec = specFor('overwrite', 3, 'postgres');
    const overridden = renderPipeline(spec, defaultRepoConfig, { today: '2026-11-24', repoPacksDir: packs });
    assert.equal(overridden.files.find((f) => f.path.endsWith('.md'))!.content, '# postgres_customers_overwrite (house style)\n');
    assert.equal(overridden.files[0]!.content, render(spec).files[0]!.content, 'the templates it does not override stay the built-in ones');
    fs.cpSync(path.join(BUILTIN_PACKS_DIR, 'airflow-sql'), path.join(packs, 'team-sql'), { recursive: true });
    const own = renderPipeline({ ...spec, pack: 'team-sql' }, defaultRepoConfig, { today: '2026-11-24', repoPacksDir: packs });
    assert.match(own.files[0]!.content, /pack team-sql/);
  });

  test('the report reads as text and as markdown, each finding with file:line, rule and message', async () => {
    const files = render(specFor('incremental', 3, 'postgres')).files.map((f, i) => (i === 0 ? { ...f, content: f.content.replace('task_id="merge"', 'task_id="load"') } : f));
    const report = await validateFiles(files, { airflowVersion: 3 });
    assert.match(reportText(report), /^dags\/raw\/orders\/postgres_customers_incremental\.py:\d+: DW007 task_id 'load' is used twice$/m);
    assert.match(reportMarkdown(report), /\| `dags\/raw\/orders\/postgres_customers_incremental\.py` \| \d+ \| DW007 \| task_id 'load' is used twice \|/);
  });

  test('a layout naming {system} with no source system is refused, never a folder literally named {system}', () => {
    const spec = specFor('overwrite', 3, 'postgres');
    assert.throws(() => render({ ...spec, source: { ...spec.source, system: undefined } }), (err: Error) => err instanceof RenderError && /source\.system: the folder of the pipeline is named after the source system/.test(err.message));
  });

  test('the same spec renders byte-identical files', () => {
    const a = render(specFor('incremental', 3, 'postgres')).files;
    const b = render(specFor('incremental', 3, 'postgres')).files;
    assert.deepEqual(a, b);
  });

  test('Airflow 3 idioms, and Airflow 2 ones when asked', () => {
    const af3 = render(specFor('incremental', 3, 'postgres')).files[0]!.content;
    assert.match(af3, /^from airflow\.sdk import DAG$/m);
    assert.match(af3, /schedule=CronDataIntervalTimetable\("0 6 \* \* \*", timezone="Europe\/Berlin"\)/);
    assert.match(af3, /start_date=pendulum\.datetime\(2026, 1, 1, tz="Europe\/Berlin"\)/);
    assert.match(af3, /max_active_runs=1/);
    assert.doesNotMatch(af3, /schedule_interval|execution_date|Variable\.get|get_connection/);
    const af2 = render(specFor('incremental', 2, 'postgres')).files[0]!.content;
    assert.match(af2, /^from airflow import DAG$/m);
    assert.match(af2, /schedule="0 6 \* \* \*"/);
  });

  test('within one connection the load is INSERT … SELECT; between two it is a GenericTransfer', () => {
    const spec = specFor('snapshot', 3, 'postgres');
    const same = render({ ...spec, source: { ...spec.source, conn_id: 'lake' } });
    assert.ok(same.files.some((f) => f.path.endsWith('/load.sql') && /INSERT INTO raw_orders\.customers \(customer_id, email, country, updated_at, load_date\)\nSELECT extracted\.customer_id, extracted\.email, extracted\.country, extracted\.updated_at, CAST/.test(f.content)));
    assert.doesNotMatch(same.files[0]!.content, /GenericTransfer/);
    assert.match(render(spec).files[0]!.content, /load = GenericTransfer\(/);
  });

  test('columns left out are in no file of either pack; the doc names what was left out and what was kept', () => {
    for (const pack of ['airflow-sql', 'spark-docker']) {
      for (const strategy of ['incremental', 'scd2']) {
        const spec = specFor(strategy, 3, 'postgres', pack);
        const result = render({ ...spec, source: { ...spec.source, exclude_columns: ['email'], keep_sensitive: ['country'] } } as PipelineSpec);
        for (const file of result.files.filter((f) => !f.path.endsWith('.md'))) assert.doesNotMatch(file.content, /\bemail\b/, `${pack} ${strategy}: ${file.path}`);
        const doc = result.files.find((f) => f.path === result.plan.docFile)!.content;
        assert.match(doc, /\| Left out \| `email`: never read into the target \|/, `${pack} ${strategy}`);
        assert.match(doc, /\| Kept on purpose \| `country`/, `${pack} ${strategy}`);
        assert.match(render(spec).files.find((f) => f.path.endsWith('.sql') || f.path.endsWith('load.py'))!.content, /\bemail\b/, 'without the exclusion the column is loaded');
      }
    }
  });

  test('what the pack cannot do is an error naming the pack and the field', () => {
    const spec = specFor('incremental', 3, 'postgres');
    assert.throws(() => render({ ...spec, schedule: 'manual' }), (err: unknown) => err instanceof RenderError && err.pack === 'airflow-sql' && err.field === 'schedule');
    assert.throws(() => render({ ...spec, source: { type: 'kafka', conn_id: 'events', topic: 't', format: 'json' } }), (err: unknown) => err instanceof RenderError && err.field === 'source.type');
    const scd2 = specFor('scd2', 3, 'postgres');
    assert.throws(() => render({ ...scd2, source: { ...scd2.source, columns: undefined } }), (err: unknown) => err instanceof RenderError && err.field === 'source.columns');
    assert.throws(() => render({ ...spec, source: { ...spec.source, columns: undefined, exclude_columns: ['email'] } }), (err: unknown) => err instanceof RenderError && err.field === 'source.exclude_columns');
    assert.throws(() => renderPipeline({ ...spec, pack: 'no-such-pack' }, defaultRepoConfig, { today: '2026-11-24' }), /no template pack "no-such-pack"/);
  });

  test('the files go under dags_root/<layout>/, and the integrity test under tests/dags/', () => {
    const result = render(specFor('overwrite', 3, 'postgres'));
    assert.deepEqual(result.files.map((f) => f.path).sort(), [
      'dags/raw/orders/postgres_customers_overwrite.md',
      'dags/raw/orders/postgres_customers_overwrite.py',
      'dags/raw/orders/sql/postgres_customers_overwrite/check_no_future_rows.sql',
      'dags/raw/orders/sql/postgres_customers_overwrite/ddl.sql',
      'dags/raw/orders/sql/postgres_customers_overwrite/extract.sql',
      'dags/raw/orders/sql/postgres_customers_overwrite/prepare.sql',
      'tests/dags/test_dag_integrity.py',
    ]);
    const doc = result.files.find((f) => f.path.endsWith('.md'))!.content;
    assert.match(doc, /```mermaid\ngraph LR/);
    assert.match(doc, /At 06:00 \(Europe\/Berlin\)/);
    assert.match(doc, /airflow connections add orders_pg --conn-uri 'postgres:\/\/<user>:<password>@/);
  });
});

describe('validation catches', () => {
  const valid = render(specFor('incremental', 3, 'postgres'));
  const dagPath = valid.files[0]!.path;
  const mutate = (change: (text: string) => string, file = dagPath): SourceFile[] =>
    valid.files.map((f) => (f.path === file ? { ...f, content: change(f.content) } : f));
  const rules = async (files: SourceFile[]) => (await validateFiles(files, { airflowVersion: 3, roots: ['dags', 'tests'] })).findings.map((f) => f.rule);

  const mutations: Array<[string, (t: string) => string, string, string?]> = [
    ['a top-level Variable.get', (t) => t.replace('default_args = {', 'from airflow.models import Variable\n\nBUCKET = Variable.get("bucket")\n\ndefault_args = {'), 'DW006'],
    ['a Variable.get in a default argument', (t) => t.replace('default_args = {', 'from airflow.models import Variable\n\n\ndef bucket(name=Variable.get("bucket")):\n    return name\n\n\ndefault_args = {'), 'DW006'],
    ['a duplicate task_id', (t) => t.replace('task_id="merge"', 'task_id="load"'), 'DW007'],
    ['a cycle', (t) => `${t}    check_table >> load\n`, 'DW008'],
    ['schedule_interval', (t) => t.replace(/schedule=CronDataIntervalTimetable\([^)]*\),/, 'schedule_interval="0 6 * * *",'), 'AIR301'],
    ['DummyOperator', (t) => t.replace('from airflow.sdk import DAG', 'from airflow.sdk import DAG\nfrom airflow.operators.dummy import DummyOperator').replace(') as dag:\n', ') as dag:\n    start = DummyOperator(task_id="start")\n'), 'AIR302'],
    ['a bare cron for an incremental load on Airflow 3', (t) => t.replace(/schedule=CronDataIntervalTimetable\("([^"]*)", timezone="[^"]*"\),/, 'schedule="$1",').replace('from airflow.timetables.interval import CronDataIntervalTimetable\n', ''), 'DW015'],
    ['a dag_id that differs from the file name', (t) => t.replace('dag_id="postgres_customers_incremental"', 'dag_id="other_name"'), 'DW002'],
    ['no catchup', (t) => t.replace(/\n    catchup=False,/, ''), 'DW004'],
    ['a load without a check after it', (t) => t.replace(/\n    merge >> check_\w+/g, ''), 'DW009'],
    ['# noqa', (t) => t.replace('import pendulum', 'import pendulum  # noqa'), 'DW010'],
  ];
  for (const [title, change, rule] of mutations) {
    test(title, async () => assert.ok((await rules(mutate(change))).includes(rule), `expected ${rule}`));
  }

  test('execution_date in SQL', async () => {
    const extract = valid.files.find((f) => f.path.endsWith('/extract.sql'))!.path;
    assert.ok((await rules(mutate((t) => t.replace('{{ data_interval_start }}', '{{ execution_date }}'), extract))).includes('DW011'));
  });

  test('a file outside dags_root and tests/', async () => {
    assert.ok((await rules([...valid.files, { path: '../etc/x.py', content: 'x = 1\n' }])).includes('DW012'));
  });

  test('the ruff settings are live: a known-bad file raises AIR301 (ruff ignores misspelt settings silently)', async () => {
    const canary = await lintPython([{ path: 'canary.py', content: 'from airflow import DAG\n\nDAG(dag_id="canary", schedule_interval="@daily")\n' }], 3);
    assert.ok(canary.some((f) => f.rule === 'AIR301'), JSON.stringify(canary));
  });

  test('the linter process killed between two validations: the next one starts a new one and finds the same', async () => {
    const before = await lintPython([{ path: 'canary.py', content: 'import os\n' }], 3);
    const pid = ruffPid();
    assert.ok(pid, 'ruff runs in a process of its own');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => ruffPid() !== pid, { what: 'the linter process to be gone' });
    assert.deepEqual(await lintPython([{ path: 'canary.py', content: 'import os\n' }], 3), before);
    assert.ok(before.some((f) => f.rule === 'F401'));
    // Killed while it holds a request: the request goes to a new process.
    const during = lintPython([{ path: 'canary.py', content: 'import os\n' }], 3);
    process.kill(ruffPid()!, 'SIGKILL');
    assert.deepEqual(await during, before);
  });

  test('without python3 the report says which checks did not run', async () => {
    const previous = process.env.DAGWRIGHT_PYTHON;
    process.env.DAGWRIGHT_PYTHON = '/nonexistent/python3';
    try {
      const report = await validateFiles(valid.files, { airflowVersion: 3 });
      assert.match(report.skipped.join('\n'), /python3 is not installed/);
    } finally {
      if (previous === undefined) delete process.env.DAGWRIGHT_PYTHON;
      else process.env.DAGWRIGHT_PYTHON = previous;
    }
  });
});

