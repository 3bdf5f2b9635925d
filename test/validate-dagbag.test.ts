// Validation in the team's own Airflow (AIRFLOW_PYTHON): the DAGs are imported into a DagBag there, and its
// import errors are findings that keep the merge request from opening. Uses the environments of
// `npm run airflow:setup`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig, ConfigError } from '../src/config.ts';
import { validateForRepository } from '../src/conversation/generation.ts';
import { defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { renderPipeline } from '../src/render/render.ts';
import { airflowVenv, skipUnlessAirflow } from './support/airflow.ts';
import { specFor } from './support/golden-specs.ts';
import { repoRoot, tempDir } from './support/harness.ts';

const python = (line: 2 | 3) => path.join(airflowVenv(line), 'bin', 'python');
const skip = skipUnlessAirflow(3) || skipUnlessAirflow(2);

describe('validation in the team\'s Airflow (AIRFLOW_PYTHON)', { skip }, () => {
  const render = (airflow: 2 | 3) => renderPipeline(specFor('incremental', airflow, 'postgres'), defaultRepoConfig, { today: '2026-11-24' }).files;

  test('a generated pipeline imports in the Airflow it was written for: no findings', async () => {
    for (const line of [3, 2] as const) {
      const report = await validateForRepository(render(line), line, defaultRepoConfig, python(line));
      assert.deepEqual(report.findings, [], `Airflow ${line}`);
    }
  });

  test('the spark-docker DAG imports with the docker provider, with and without a column list, on both lines', async () => {
    for (const line of [3, 2] as const) {
      for (const strategy of ['overwrite', 'scd2']) {
        const spec = specFor(strategy, line, 'postgres', 'spark-docker');
        const listed = renderPipeline(spec, defaultRepoConfig, { today: '2026-11-24' }).files;
        const unlisted = renderPipeline({ ...spec, source: { ...spec.source, columns: undefined } }, defaultRepoConfig, { today: '2026-11-24' }).files;
        for (const files of [listed, unlisted]) {
          const report = await validateForRepository(files, line, defaultRepoConfig, python(line));
          assert.deepEqual(report.findings, [], `Airflow ${line}, ${strategy}`);
        }
      }
    }
  });

  test('an import error is a finding at the file and line Airflow names, with its message', async () => {
    const files = render(3).map((f, i) => (i === 0 ? { ...f, content: f.content.replace('import pendulum\n', 'import pendulum\nfrom airflow.providers.common.sql.operators.sql import NoSuchOperator\n') } : f));
    const report = await validateForRepository(files, 3, defaultRepoConfig, python(3));
    const finding = report.findings.find((f) => f.rule === 'DW016');
    assert.ok(finding, JSON.stringify(report.findings));
    assert.equal(finding.path, files[0]!.path);
    assert.equal(finding.line, files[0]!.content.split('\n').indexOf('from airflow.providers.common.sql.operators.sql import NoSuchOperator') + 1);
    assert.match(finding.message, /^Airflow 3\.\d+\.\d+ cannot import it: ImportError: cannot import name 'NoSuchOperator'/);
  });

  test('a DAG written for Airflow 3 does not import in an Airflow 2 environment, and says why', async () => {
    const report = await validateForRepository(render(3), 3, defaultRepoConfig, python(2));
    assert.ok(report.findings.some((f) => f.rule === 'DW016' && /No module named 'airflow\.sdk'/.test(f.message)), JSON.stringify(report.findings));
  });

  test("a DAG's import reaches none of the bot's environment, files, processes or network", async () => {
    process.env.DAGWRIGHT_PROBE_TOKEN = 'glpat-probe-secret-0123456789';
    const secrets = tempDir('dagwright-probe-');
    fs.writeFileSync(path.join(secrets, 'token.txt'), 'glpat-probe-file-secret');
    const server = net.createServer((socket) => socket.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    let connected = false;
    server.on('connection', () => (connected = true));
    try {
      const probe = [
        'import os, socket',
        'found = ["env=" + ",".join(sorted(k for k in os.environ if "TOKEN" in k or "SECRET" in k or "GITLAB" in k))]',
        `for name in ("/proc/${process.pid}/environ", "${path.join(secrets, 'token.txt')}", "${path.join(repoRoot, 'package.json')}"):`,
        '    try:',
        '        found.append(name + "=" + open(name).read()[:40])',
        '    except Exception as e:',
        '        found.append(name + ":" + type(e).__name__)',
        'try:',
        `    socket.create_connection(("127.0.0.1", ${port}), timeout=3)`,
        '    found.append("net=connected")',
        'except Exception as e:',
        '    found.append("net:" + type(e).__name__)',
        'raise RuntimeError("PROBE " + " | ".join(found))',
        '',
      ].join('\n');
      const files = render(3).map((f, i) => (i === 0 ? { ...f, content: f.content.replace('import pendulum\n', `import pendulum\n${probe}`) } : f));
      const report = await validateForRepository(files, 3, defaultRepoConfig, python(3));
      const finding = report.findings.find((f) => f.rule === 'DW016');
      assert.ok(finding, JSON.stringify(report.findings));
      assert.match(finding.message, /RuntimeError: PROBE env= \|/);
      assert.match(finding.message, new RegExp(`/proc/${process.pid}/environ:(FileNotFoundError|PermissionError)`));
      assert.match(finding.message, /token\.txt:FileNotFoundError/);
      assert.match(finding.message, /package\.json:FileNotFoundError/);
      assert.match(finding.message, /net:(ConnectionRefusedError|OSError|TimeoutError)/);
      assert.doesNotMatch(finding.message, /glpat-probe/);
      assert.equal(connected, false);
    } finally {
      delete process.env.DAGWRIGHT_PROBE_TOKEN;
      server.close();
      fs.rmSync(secrets, { recursive: true, force: true });
    }
  });

  test('an AIRFLOW_PYTHON without Airflow is a finding, never a silent pass', async () => {
    const report = await validateForRepository(render(3), 3, defaultRepoConfig, process.execPath.replace(/node$/, 'node'));
    assert.ok(report.findings.some((f) => f.rule === 'DW017'), JSON.stringify(report.findings));
  });
});

test('serve refuses an AIRFLOW_PYTHON that is not an executable, naming the variable', () => {
  assert.throws(
    () => loadConfig({ GITLAB_URL: 'http://127.0.0.1:1', GITLAB_TOKEN: 'glpat-x', WEBHOOK_SECRET: 'a-long-webhook-secret', AIRFLOW_PYTHON: '/nonexistent/bin/python' }, { webhookSecret: true }),
    (err: unknown) => err instanceof ConfigError && /AIRFLOW_PYTHON must be the path of the python executable/.test(String((err as Error).message) + JSON.stringify(err)),
  );
});
