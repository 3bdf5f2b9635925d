// An issue or a merge request of a project, and the key the bot keeps its work and state under.
export type ResourceRef = { type: 'issue' | 'merge_request'; iid: number };

/** `<project>#<iid>` for an issue, `<project>!<iid>` for a merge request (as GitLab writes references). */
export function resourceKeyOf(projectId: number, resource: ResourceRef | undefined, fallback?: string): string {
  if (resource) return `${projectId}${resource.type === 'issue' ? '#' : '!'}${resource.iid}`;
  return fallback ? `${projectId}@${fallback}` : `${projectId}`;
}

/** The project an event comes from, as the bot uses it. */
export type ProjectRef = {
  id: number;
  pathWithNamespace: string;
  webUrl: string | undefined;
  /** Where git fetches and pushes (the event's `git_http_url`). */
  gitHttpUrl: string | undefined;
  /** The default branch; `main` when GitLab does not say (an empty project). */
  defaultBranch: string;
};

/** Where git reaches the project; an event without it cannot be worked on in git. */
export function gitUrlOf(project: ProjectRef): string {
  if (!project.gitHttpUrl) throw new Error(`GitLab did not send the git URL of ${project.pathWithNamespace}`);
  return project.gitHttpUrl;
}
