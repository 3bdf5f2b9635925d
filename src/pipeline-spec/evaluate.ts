// Where a spec stands: the given fields with the defaults applied (in this one place), what is still
// missing, and what breaks a rule.
import { createHash } from 'node:crypto';
import { defaultRepoConfig, type RepoConfig } from './repo-config.ts';
import { patchFromObject, toObject, valuesOf, allowedValues, type Problem, type Provenance, type SpecFields } from './patch.ts';
import { REQUIRED, specSchema, type PipelineSpec } from './schema.ts';

export type SpecEvaluation = {
  /** The given fields and the defaults that fill the gaps. */
  fields: SpecFields;
  spec: Record<string, unknown>;
  /** Required fields not given yet (dotted paths). */
  missing: string[];
  errors: Problem[];
  complete: boolean;
  /** The spec, typed, when it is complete (the schema accepted it). */
  pipeline: PipelineSpec | undefined;
};

/** `orders_pg` → `orders`: the source system, derived from the connection id. */
export function systemFromConnId(connId: string): string | undefined {
  const base = connId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/_(pg|postgres|postgresql|mysql|mariadb|mssql|ora|oracle|ch|clickhouse|sqlite|db|conn|src|source|s3|sftp|http|api|kafka)$/, '')
    .replace(/^_+|_+$/g, '');
  return /^[a-z0-9_]{1,64}$/.test(base) ? base : undefined;
}

function defaults(values: Record<string, unknown>, config: RepoConfig): Array<[string, unknown, Provenance]> {
  const inFile = (name: string) => config.setInFile?.includes(name) ?? false;
  const from = (key: keyof RepoConfig['defaults']): Provenance => ({
    kind: 'default',
    from: inFile(`defaults.${key}`) || config.defaults[key] !== defaultRepoConfig.defaults[key] ? 'repo-config' : 'dagwright',
  });
  const top = (key: 'pack' | 'airflow_version'): Provenance => ({ kind: 'default', from: inFile(key) || config[key] !== defaultRepoConfig[key] ? 'repo-config' : 'dagwright' });
  const builtIn: Provenance = { kind: 'default', from: 'dagwright' };
  const out: Array<[string, unknown, Provenance]> = [
    ['version', 1, builtIn],
    ['owner', config.defaults.owner, from('owner')],
    ['layer', 'raw', builtIn],
    ['timezone', config.defaults.timezone, from('timezone')],
    ['catchup', false, builtIn],
    ['retries', config.defaults.retries, from('retries')],
    ['retry_delay', config.defaults.retry_delay, from('retry_delay')],
    ['pack', config.pack, top('pack')],
    ['airflow_version', config.airflow_version, top('airflow_version')],
    ['target.type', config.defaults.target_type, from('target_type')],
  ];
  const connId = values['source.conn_id'];
  const system = typeof connId === 'string' ? systemFromConnId(connId) : undefined;
  if (system) out.push(['source.system', system, { kind: 'default', from: 'derived' }]);
  const keys = values['load.keys'];
  // A load that reads the whole source each run has rows every run; a windowed one may have a quiet
  // interval, which is normal data: its default asks only that the target is not empty.
  const strategy = values['load.strategy'];
  const windowed = strategy === 'append' || strategy === 'incremental';
  const quality: unknown[] = [windowed ? { check: 'row_count', min: 1, scope: 'table' } : { check: 'row_count', min: 1 }];
  if (Array.isArray(keys) && keys.length) quality.push({ check: 'not_null', columns: keys });
  out.push(['quality', quality, builtIn]);
  return out;
}

export function evaluateSpec(given: SpecFields, config: RepoConfig = defaultRepoConfig): SpecEvaluation {
  const fields: SpecFields = { ...given };
  const givenValues = valuesOf(given);
  for (const [path, value, provenance] of defaults(givenValues, config)) {
    if (!(path in fields)) fields[path] = { value, provenance };
  }
  const spec = toObject(valuesOf(fields));
  const missing: string[] = REQUIRED.filter((path) => !(path in fields));
  const errors: Problem[] = [];
  const parsed = specSchema.safeParse(spec, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.');
      if (issue.message === '@missing') {
        if (!missing.includes(path)) missing.push(path);
        continue;
      }
      errors.push({
        key: issue.message.startsWith('@') ? issue.message : '@invalid',
        path: path || undefined,
        params: { ...(issue as { params?: Record<string, unknown> }).params, ...allowedValues(issue as never) },
      });
    }
  }
  const complete = missing.length === 0 && errors.length === 0;
  return { fields, spec, missing, errors, complete, pipeline: complete ? (spec as unknown as PipelineSpec) : undefined };
}

/** A digest of a spec that does not depend on the order of its keys: equal specs, equal digests. */
export function specDigestOf(spec: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(spec))).digest('hex').slice(0, 16);
}

/** The spec fields whose values differ between two specs. */
export function changedFields(before: unknown, after: unknown): string[] {
  const a = patchFromObject(before).set;
  const b = patchFromObject(after).set;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((path) => JSON.stringify(a[path]) !== JSON.stringify(b[path])).sort();
}
