// The repository's configuration, `.gitlab/dagwright.yml` on the default branch: its schema, and the parse
// that lets every bad field fall back to its default and names it in the problems. Read from GitLab by
// src/gitlab/repo-config-file.ts.
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { AccessLevel, type AccessLevelName } from './roles.ts';
import { TARGET_TYPES } from './schema.ts';

export const REPO_CONFIG_PATH = '.gitlab/dagwright.yml';

const pathSegment = /^[A-Za-z0-9_.-]+$/;
const duration = /^\d+[smhd]$/;

const accessLevelNames = Object.keys(AccessLevel).filter((n) => n !== 'none') as Exclude<AccessLevelName, 'none'>[];

export const repoConfigSchema = z.strictObject({
  pack: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a pack name such as airflow-sql').default('airflow-sql'),
  airflow_version: z.union([z.literal(2), z.literal(3)], { error: 'must be 2 or 3' }).default(3),
  dags_root: z
    .string()
    .refine((p) => p.split('/').every((s) => pathSegment.test(s) && !s.startsWith('.')), {
      message: 'must be a relative folder inside the repository, e.g. dags',
    })
    .default('dags'),
  layout: z
    .string()
    // No segment starts with a dot: `..` leaves dags_root, `.git` is git's own.
    .refine((l) => l.split('/').every((s) => /^(\{(layer|system|dag_id)\}|[A-Za-z0-9_][A-Za-z0-9_.-]*)$/.test(s)), {
      message: 'must be folders made of {layer}, {system}, {dag_id} and plain names (none starting with a dot), e.g. "{layer}/{system}"',
    })
    .default('{layer}/{system}'),
  branch_prefix: z
    .string()
    .regex(/^[A-Za-z0-9._/-]*$/, 'may hold only letters, digits, ".", "_", "-" and "/"')
    .refine((p) => !p.includes('..') && !p.startsWith('/'), 'must not contain ".." or start with "/"')
    .default('dagwright/'),
  labels: z.array(z.string().min(1)).default([]),
  trigger_label: z.string().min(1).default('dagwright'),
  language: z.enum(['auto', 'en', 'ru'], { error: 'must be auto, en or ru' }).default('auto'),
  min_access_level: z
    .enum(accessLevelNames as [string, ...string[]], { error: `must be one of ${accessLevelNames.join(', ')}` })
    .default('developer'),
  defaults: z
    .strictObject({
      owner: z.string().min(1).default('airflow'),
      retries: z.number().int().min(0).max(100).default(2),
      retry_delay: z.string().regex(duration, 'must be a duration such as 30s, 5m, 2h or 1d').default('5m'),
      timezone: z.string().min(1).default('UTC'),
      target_type: z.enum(TARGET_TYPES, { error: `must be one of ${TARGET_TYPES.join(', ')}` }).default('postgres'),
    })
    .prefault({}),
  review: z.strictObject({ resolve_threads: z.boolean().default(false) }).prefault({}),
});

export type RepoConfig = z.infer<typeof repoConfigSchema> & {
  /** The fields the file sets (`pack`, `defaults.retries` …), even to a default's value: the card says "repo config" for them. */
  setInFile?: readonly string[];
};

export const defaultRepoConfig: RepoConfig = repoConfigSchema.parse({});

export type LoadedRepoConfig = {
  config: RepoConfig;
  /** One line per bad field: `field: what is allowed`. Empty when the file is valid or absent. */
  problems: string[];
  /** The file's text, when there is one (to tell whether its problems were reported already). */
  source: string | undefined;
};

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const prefix = field ? `${field}.` : '';
    return issue.keys.map((key) => `${prefix}${key}: unknown field`).join('\n');
  }
  return `${field || '(file)'}: ${issue.message}`;
}

/** Validates parsed YAML; a field that is wrong is dropped (its default applies) and reported. */
export function validateRepoConfig(raw: unknown): { config: RepoConfig; problems: string[] } {
  if (raw === null || raw === undefined) return { config: defaultRepoConfig, problems: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { config: defaultRepoConfig, problems: ['(file): must be a mapping of fields such as `pack: airflow-sql`'] };
  }
  const candidate = structuredClone(raw) as Record<string, unknown>;
  const problems: string[] = [];
  for (let round = 0; round < 50; round++) {
    const parsed = repoConfigSchema.safeParse(candidate);
    if (parsed.success) return { config: { ...parsed.data, setInFile: fieldsSetIn(candidate) }, problems };
    for (const issue of parsed.error.issues) {
      problems.push(...formatIssue(issue).split('\n'));
      dropField(candidate, issue);
    }
  }
  return { config: defaultRepoConfig, problems };
}

function fieldsSetIn(file: Record<string, unknown>): string[] {
  return Object.entries(file).flatMap(([key, value]) =>
    key === 'defaults' && value && typeof value === 'object' ? Object.keys(value).map((inner) => `defaults.${inner}`) : [key],
  );
}

function dropField(target: Record<string, unknown>, issue: z.core.$ZodIssue): void {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const parent = path.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], target);
    for (const key of issue.keys) delete (parent as Record<string, unknown>)[key];
    return;
  }
  // Drop the whole field (the first two levels, e.g. `defaults.retries`, or `labels` for a bad label).
  const depth = path[0] === 'defaults' || path[0] === 'review' ? 2 : 1;
  const keys = path.slice(0, depth);
  if (keys.length === 0) return;
  const parent = keys
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], target) as Record<string, unknown>;
  if (parent && typeof parent === 'object') delete parent[keys[keys.length - 1]!];
}

export function parseRepoConfig(source: string): { config: RepoConfig; problems: string[] } {
  let raw: unknown;
  try {
    raw = parseYaml(source);
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? 'not valid YAML';
    return { config: defaultRepoConfig, problems: [`(file): not valid YAML: ${message}`] };
  }
  return validateRepoConfig(raw);
}

export function minAccessLevelOf(config: RepoConfig): number {
  return AccessLevel[config.min_access_level as AccessLevelName];
}
