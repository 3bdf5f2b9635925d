// `dagwright render SPEC.yaml` and `dagwright validate PATH…`.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultRepoConfig, parseRepoConfig, REPO_CONFIG_PATH } from '../pipeline-spec/repo-config.ts';
import { renderPipeline, RenderError } from '../render/render.ts';
import { specFromObject } from '../pipeline-spec/standalone.ts';
import { reportText, validateFiles, type SourceFile } from '../validate/validate.ts';

type Out = { log: (line: string) => void; error: (line: string) => void };

export async function renderCommand(file: string | undefined, options: { out?: string; pack?: string; airflow?: string }, out: Out): Promise<number> {
  if (!file) {
    out.error('dagwright render: which spec? Usage: dagwright render SPEC.yaml [--out DIR]');
    return 2;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    out.error(`dagwright render: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
    return 2;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    // The YAML library's message ends with the line and a caret under the error: all of it is shown.
    out.error(`dagwright render: ${file} is not valid YAML; nothing was written:`);
    for (const line of (err as Error).message.trimEnd().split('\n')) out.error(`  ${line}`);
    return 1;
  }
  if (options.airflow !== undefined && options.airflow !== '2' && options.airflow !== '3') {
    out.error('dagwright render: --airflow takes 2 or 3');
    return 2;
  }
  const outDir = path.resolve(options.out ?? '.');
  const configFile = path.join(outDir, REPO_CONFIG_PATH);
  const config = fs.existsSync(configFile) ? parseRepoConfig(fs.readFileSync(configFile, 'utf8')).config : defaultRepoConfig;

  const overrides: Record<string, unknown> = {};
  if (options.pack) overrides.pack = options.pack;
  if (options.airflow) overrides.airflow_version = Number(options.airflow);
  const checked = specFromObject(raw, config, overrides);
  if ('problems' in checked) {
    out.error(`dagwright render: ${file} is not a complete, valid spec; nothing was written:`);
    for (const problem of checked.problems) out.error(`  - ${problem}`);
    return 1;
  }

  const today = new Date().toISOString().slice(0, 10);
  let result;
  try {
    result = renderPipeline(checked.spec, config, { today, repoPacksDir: path.join(outDir, '.dagwright', 'packs') });
  } catch (err) {
    if (err instanceof RenderError) {
      out.error(`dagwright render: ${err.message}; nothing was written`);
      return 1;
    }
    throw err;
  }
  for (const rendered of result.files) {
    const target = path.join(outDir, rendered.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, rendered.content);
    out.log(rendered.path);
  }
  if (!checked.spec.start_date) {
    out.log(`start_date: ${today} (not in the spec: add \`start_date: ${today}\` to it so that renders stay identical)`);
  }
  const report = await validateFiles(result.files, { airflowVersion: result.plan.airflow, roots: [config.dags_root, 'tests'] });
  out.log(reportText(report));
  return report.findings.length ? 1 : 0;
}

function collect(target: string): string[] {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== '__pycache__')
    .flatMap((e) => collect(path.join(target, e.name)))
    .filter((f) => f.endsWith('.py') || f.endsWith('.sql'));
}

export async function validateCommand(paths: string[], options: { airflow?: string }, out: Out): Promise<number> {
  if (!paths.length) {
    out.error('dagwright validate: which files? Usage: dagwright validate PATH…');
    return 2;
  }
  const version = options.airflow === undefined ? 3 : Number(options.airflow);
  if (version !== 2 && version !== 3) {
    out.error('dagwright validate: --airflow takes 2 or 3');
    return 2;
  }
  const files: SourceFile[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      out.error(`dagwright validate: ${p} does not exist`);
      return 2;
    }
    for (const f of collect(p)) files.push({ path: path.relative(process.cwd(), f) || f, content: fs.readFileSync(f, 'utf8') });
  }
  const report = await validateFiles(files, { airflowVersion: version });
  out.log(reportText(report));
  return report.findings.length ? 1 : 0;
}
