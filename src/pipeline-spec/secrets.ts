// Credentials in request text, as the card warns of them. The text reaching here was already redacted at
// intake (the password shows as ****); a masked credential is still a finding, because it was written into
// the issue and must be rotated. What counts as a credential is src/secret-scan.ts's.
import { MASK, scanSecrets } from '../secret-scan.ts';
import { redact } from '../redact.ts';

export type SecretFinding = {
  kind: 'uri' | 'password' | 'token';
  /** The credential as it may be shown: password or token masked. */
  masked: string;
  scheme?: string;
  host?: string;
  database?: string;
};

export function findSecrets(text: string): SecretFinding[] {
  return scanSecrets(text).map((hit): SecretFinding => {
    if (hit.kind === 'uri' && hit.uri) {
      const { scheme, host, database, whole } = hit.uri;
      return { kind: 'uri', masked: redact(text.slice(whole[0], whole[1])), scheme, host, database };
    }
    return { kind: hit.kind, masked: `${hit.label ?? ''}${MASK}` };
  });
}

const sourceTypes: Record<string, { type: string; short: string }> = {
  postgres: { type: 'postgres', short: 'pg' },
  postgresql: { type: 'postgres', short: 'pg' },
  psql: { type: 'postgres', short: 'pg' },
  mysql: { type: 'mysql', short: 'mysql' },
  mariadb: { type: 'mariadb', short: 'mariadb' },
  mssql: { type: 'mssql', short: 'mssql' },
  sqlserver: { type: 'mssql', short: 'mssql' },
  oracle: { type: 'oracle', short: 'ora' },
  clickhouse: { type: 'clickhouse', short: 'ch' },
  sftp: { type: 'sftp', short: 'sftp' },
  kafka: { type: 'kafka', short: 'kafka' },
};

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);

/** What a connection URI suggests for the spec: the source type, an Airflow conn_id and the system name. */
export function proposeSource(finding: SecretFinding): { type?: string; conn_id?: string; system?: string } {
  if (finding.kind !== 'uri' || !finding.scheme) return {};
  const known = sourceTypes[finding.scheme.replace(/\+.*$/, '')];
  const name = slug(finding.database ?? finding.host?.split('.')[0] ?? '');
  if (!known || !name) return known ? { type: known.type } : {};
  return { type: known.type, conn_id: `${name}_${known.short}`, system: /^[a-z]/.test(name) ? name : `s_${name}` };
}
