// GitLab's roles: the access levels its members API reports, and the names GitLab shows for them.
export const AccessLevel = {
  none: 0,
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;
export type AccessLevelName = keyof typeof AccessLevel;

/** GitLab's own role names (GitLab shows them untranslated in its API and settings). */
const roleNames: Record<number, string> = { 10: 'Guest', 20: 'Reporter', 30: 'Developer', 40: 'Maintainer', 50: 'Owner' };

export function roleName(level: number): string | undefined {
  return roleNames[level];
}
