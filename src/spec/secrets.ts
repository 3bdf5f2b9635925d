// Credentials in request text: connection URIs with a password, password=/pwd= pairs, GitLab and model
// tokens. The text reaching here was already redacted at intake (the password shows as ****); a masked
// credential is still a finding, because it was written into the issue and must be rotated.
import { MASK, redact } from '../redact.ts';

export type SecretFinding = {
  kind: 'uri' | 'password' | 'token';
  /** The credential as it may be shown: password or token masked. */
  masked: string;
  scheme?: string;
  host?: string;
  database?: string;
};

const uriWithPassword = /\b([a-z][a-z0-9+.-]*):\/\/([^\s:/@'"`]*):([^\s@/'"`]+)@([^\s/?#'"`,;|]+)([/?][^\s'"`,;|]*)?/gi;
const passwordPair = /\b(password|passwd|pwd)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"`]+)/gi;
const token = /\b(gl(?:pat|dt|rt|ptt|ft|imt|oas|soat|cbt|ffct|agent)-|sk-)(?:proj-)?(?:[A-Za-z0-9_-]{16,}|\*{4})/g;

export function findSecrets(text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const m of text.matchAll(uriWithPassword)) {
    const [whole, scheme, , , hostPort, path] = m as unknown as [string, string, string, string, string, string | undefined];
    findings.push({
      kind: 'uri',
      masked: redact(whole),
      scheme: scheme.toLowerCase(),
      host: hostPort.replace(/:\d+$/, ''),
      database: path?.split('?')[0]!.split('/').filter(Boolean)[0],
    });
  }
  for (const m of text.matchAll(passwordPair)) {
    const value = m[3]!.replace(/^["']|["']$/g, '');
    // Placeholders are not credentials; the mask is one (it stands for a password that was written here).
    if (value === '' || /^(<|\$\{|\{\{)|^(null|none|\*{1,3})$/i.test(value)) continue;
    findings.push({ kind: 'password', masked: `${m[1]}${m[2]}${MASK}` });
  }
  for (const m of text.matchAll(token)) findings.push({ kind: 'token', masked: `${m[1]}${MASK}` });
  return findings;
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
