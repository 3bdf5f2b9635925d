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
  /** The project's page as people open it (GitLab's external URL): links in comments start here. */
  webUrl: string | undefined;
};
