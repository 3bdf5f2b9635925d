// Where a pipeline's files go in the repository: the repo config's dags_root and layout, filled from the spec.
import type { RepoConfig } from './repo-config.ts';

/** Where a pipeline's files go: `dags_root/<layout>/` with {layer}, {system} and {dag_id} filled in. */
export function pipelineFolder(spec: Record<string, any>, config: RepoConfig): string {
  const folder = config.layout
    .replace('{layer}', String(spec.layer ?? 'raw'))
    .replace('{system}', String(spec.source?.system ?? '{system}'))
    .replace('{dag_id}', String(spec.dag_id ?? '{dag_id}'));
  return `${config.dags_root}/${folder}`;
}
