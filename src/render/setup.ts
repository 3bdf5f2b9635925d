// /init: the files that set a repository up for Dagwright — the repo config, an issue template for pipeline
// requests, the DAG-integrity test and a CI job that runs it — each only when the repository lacks it. A
// repository with its own .gitlab-ci.yml gets the job as a file to include: the bot does not edit CI.
import { stringify as toYaml } from 'yaml';
import type { RepoConfig } from '../pipeline-spec/repo-config.ts';
import { INTEGRITY_TEST_PATH, renderIntegrityTest, type RenderedFile } from './render.ts';

export const SETUP_PATHS = {
  config: '.gitlab/dagwright.yml',
  template: '.gitlab/issue_templates/Pipeline request.md',
  ci: '.gitlab-ci.yml',
  ciInclude: '.gitlab/ci/dagwright.yml',
  test: INTEGRITY_TEST_PATH,
} as const;

/** The Airflow image the integrity job runs in, by major version. */
const AIRFLOW_IMAGES: Record<2 | 3, string> = { 2: 'apache/airflow:2.10.5-python3.12', 3: 'apache/airflow:3.0.6-python3.12' };

function configFile(config: RepoConfig): string {
  const { pack, airflow_version, dags_root, layout, branch_prefix, labels, trigger_label, language, min_access_level, defaults, review } = config;
  return [
    '# Dagwright: how the bot writes pipelines in this repository (read from the default branch).',
    '# Every field is optional; these are the values in use now.',
    toYaml({ pack, airflow_version, dags_root, layout, branch_prefix, labels, trigger_label, language, min_access_level, defaults, review }, { lineWidth: 0 }).trimEnd(),
    '',
  ].join('\n');
}

function issueTemplate(config: RepoConfig): string {
  return [
    '<!-- Describe the pipeline; Dagwright fills in what it can and asks for the rest in the comments. -->',
    '',
    'What should be loaded, and why:',
    '',
    '```yaml',
    'dag_id:            # e.g. orders_customers_daily',
    'schedule:          # e.g. "0 6 * * *" or @hourly',
    'source:',
    '  type:            # postgres, mysql, s3, …',
    '  conn_id:         # an Airflow connection id (never a password)',
    '  table:           # schema.table',
    'target:',
    '  conn_id:',
    '  table:           # schema.table',
    'load:',
    '  strategy:        # overwrite | append | incremental | snapshot | scd2',
    '```',
    '',
    `/label ~"${config.trigger_label}"`,
    '',
  ].join('\n');
}

function ciJob(config: RepoConfig): string {
  const image = AIRFLOW_IMAGES[config.airflow_version === 2 ? 2 : 3];
  return [
    '# The DAG-integrity test: every DAG imports, has a unique id, an owner and tags.',
    toYaml(
      {
        'dag-integrity': {
          stage: 'test',
          image,
          script: ['pip install --quiet pytest', `python -m pytest -q ${INTEGRITY_TEST_PATH}`],
          rules: [{ changes: [`${config.dags_root}/**/*`, 'tests/dags/**/*'] }],
        },
      },
      { lineWidth: 0 },
    ).trimEnd(),
    '',
  ].join('\n');
}

/**
 * What /init adds, given the repository's content of the paths (undefined: absent): nothing it already has.
 * With a CI file of its own that has no such job, the job comes as a file to include (`needsInclude`).
 */
export function setupFiles(config: RepoConfig, read: (path: string) => string | undefined): { files: RenderedFile[]; needsInclude: boolean } {
  const has = (path: string) => read(path) !== undefined;
  const files: RenderedFile[] = [];
  if (!has(SETUP_PATHS.config)) files.push({ path: SETUP_PATHS.config, content: configFile(config) });
  if (!has(SETUP_PATHS.template)) files.push({ path: SETUP_PATHS.template, content: issueTemplate(config) });
  if (!has(SETUP_PATHS.test)) files.push(renderIntegrityTest(config.dags_root));
  let needsInclude = false;
  if (!has(SETUP_PATHS.ci)) files.push({ path: SETUP_PATHS.ci, content: `stages: [test]\n\n${ciJob(config)}` });
  else if (!has(SETUP_PATHS.ciInclude) && !/^dag-integrity:/m.test(read(SETUP_PATHS.ci)!)) {
    files.push({ path: SETUP_PATHS.ciInclude, content: ciJob(config) });
    needsInclude = true;
  }
  return { files, needsInclude };
}
