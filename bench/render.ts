// Render-and-validate benchmark: 1 pipeline and 100 pipelines (validated together, as a repository's
// worth), after a warm-up; reports milliseconds per pipeline.
//
//   npm run bench:render [-- --rounds 5]
import { parseArgs } from 'node:util';
import { defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import { renderPipeline, type RenderedFile } from '../src/render/render.ts';
import { evaluateSpec } from '../src/pipeline-spec/evaluate.ts';
import { patchFromObject } from '../src/pipeline-spec/patch.ts';
import type { PipelineSpec } from '../src/pipeline-spec/schema.ts';
import { validateFiles } from '../src/validate/validate.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const strategies = ['overwrite', 'append', 'incremental', 'snapshot', 'scd2'];

function spec(i: number): PipelineSpec {
  const strategy = strategies[i % strategies.length]!;
  const object = {
    dag_id: `pipeline_${String(i).padStart(3, '0')}_${strategy}`,
    description: `Pipeline ${i}`,
    schedule: '0 6 * * *',
    start_date: '2026-01-01',
    airflow_version: i % 2 ? 2 : 3,
    source: {
      type: 'postgres',
      conn_id: `system${i % 7}_pg`,
      table: `public.table_${i}`,
      columns: [
        { name: 'id', type: 'bigint', key: true, nullable: false },
        { name: 'name', type: 'text' },
        { name: 'updated_at', type: 'timestamp' },
      ],
    },
    target: { conn_id: 'lake', table: `raw.table_${i}` },
    load: { strategy, ...(strategy === 'incremental' ? { watermark: 'updated_at' } : {}), keys: ['id'] },
    quality: [{ check: 'row_count', min: 1 }, { check: 'not_null', columns: ['id'] }],
  };
  const fields = Object.fromEntries(Object.entries(patchFromObject(object).set).map(([k, v]) => [k, { value: v, provenance: { kind: 'issue' as const } }]));
  return evaluateSpec(fields, defaultRepoConfig).spec as unknown as PipelineSpec;
}

async function run(count: number): Promise<number> {
  const started = performance.now();
  const files: RenderedFile[] = [];
  for (let i = 0; i < count; i++) files.push(...renderPipeline(spec(i), defaultRepoConfig, { today: '2026-11-24' }).files.filter((f) => count === 1 || !f.path.startsWith('tests/') || i === 0));
  // Pipelines of both Airflow versions: each file is linted with the rules of its DAG's version.
  const af2 = files.filter((f) => /pipeline_\d*[13579]_/.test(f.path));
  const af3 = files.filter((f) => !af2.includes(f));
  const reports = await Promise.all([validateFiles(af3, { airflowVersion: 3 }), af2.length ? validateFiles(af2, { airflowVersion: 2 }) : undefined]);
  const findings = reports.reduce((n, r) => n + (r?.findings.length ?? 0), 0);
  if (findings) throw new Error(`${findings} findings: the benchmark renders valid pipelines only`);
  return (performance.now() - started) / count;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await run(1);
await run(10); // warm-up: ruff's wasm, template compilation, python3's start
for (const count of [1, 100]) {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) times.push(await run(count));
  console.log(`${String(count).padStart(3)} pipeline(s): median ${median(times).toFixed(1)} ms per pipeline (render + validate), ${rounds} rounds`);
}
console.log('goal: <= 150 ms per pipeline including validation');
