// The repository configuration as GitLab holds it: the file on the default branch, parsed (absent: defaults).
import { defaultRepoConfig, parseRepoConfig, REPO_CONFIG_PATH, type LoadedRepoConfig } from '../pipeline-spec/repo-config.ts';
import { isGitLabError, type GitLabClient } from './client.ts';

/** Reads the configuration from the default branch; a missing file means the defaults. */
export async function loadRepoConfig(gitlab: GitLabClient, projectId: number, ref: string): Promise<LoadedRepoConfig> {
  let source: string;
  try {
    const raw = (await gitlab.RepositoryFiles.showRaw(projectId, REPO_CONFIG_PATH, ref)) as unknown;
    source = typeof raw === 'string' ? raw : raw instanceof Blob ? await raw.text() : String(raw);
  } catch (err) {
    if (isGitLabError(err, 404)) return { config: defaultRepoConfig, problems: [], source: undefined };
    throw err;
  }
  return { ...parseRepoConfig(source), source };
}
