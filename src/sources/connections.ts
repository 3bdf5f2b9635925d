// Source connections as Airflow defines them: AIRFLOW_CONN_<CONN_ID> environment variables holding a URI
// (scheme, login, password, host, port, database and extras, percent-encoded) or JSON
// (`{"conn_type": "postgres", "host": …}`). The bot inspects only the sources it is given this way; their
// passwords are registered as secrets at once.
import { registerSecret } from '../redact.ts';

export type SourceKind = 'postgres' | 'mysql' | 'sqlite' | 'clickhouse';

export type SourceConnection = {
  connId: string;
  kind: SourceKind;
  host?: string;
  port?: number;
  login?: string;
  password?: string;
  /** The database (Airflow's `schema` field). */
  database?: string;
  /** SQLite: the database file. */
  path?: string;
  extra: Record<string, unknown>;
};

const KINDS: Record<string, SourceKind> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  sqlite: 'sqlite',
  clickhouse: 'clickhouse',
};

export class ConnectionError extends Error {}

/** The environment variable Airflow reads for a connection id. */
export function connectionVariable(connId: string): string {
  return `AIRFLOW_CONN_${connId.toUpperCase()}`;
}

/** A connection's type as Airflow names it: the URI's scheme or the JSON's conn_type, `-` read as `_`. */
function typeName(raw: unknown): string {
  return String(raw ?? '').toLowerCase().replace(/:$/, '').replace(/-/g, '_');
}

function parseUri(connId: string, value: string): SourceConnection {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConnectionError(`${connectionVariable(connId)} is neither an Airflow connection URI nor JSON`);
  }
  const scheme = typeName(url.protocol);
  const kind = KINDS[scheme];
  if (!kind) throw new ConnectionError(`${connectionVariable(connId)}: connections of type "${scheme}" cannot be inspected (postgres, mysql, mariadb, sqlite and clickhouse can)`);
  const decode = (s: string) => (s ? decodeURIComponent(s) : undefined);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) extra[k] = v;
  const path = decode(url.pathname.replace(/^\//, ''));
  if (kind === 'sqlite') {
    // sqlite:////abs/file.db → /abs/file.db; sqlite:///relative.db → relative.db
    return { connId, kind, path: decodeURIComponent(url.pathname.replace(/^\/(?=\/)/, '')) || undefined, extra };
  }
  return { connId, kind, host: decode(url.hostname), port: url.port ? Number(url.port) : undefined, login: decode(url.username), password: decode(url.password), database: path, extra };
}

function parseJson(connId: string, value: string): SourceConnection {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new ConnectionError(`${connectionVariable(connId)} starts like JSON but is not valid JSON`);
  }
  const type = typeName(json.conn_type);
  const kind = KINDS[type];
  if (!kind) throw new ConnectionError(`${connectionVariable(connId)}: connections of type "${type}" cannot be inspected (postgres, mysql, mariadb, sqlite and clickhouse can)`);
  const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
  const extra = typeof json.extra === 'string' ? (JSON.parse(json.extra) as Record<string, unknown>) : ((json.extra as Record<string, unknown> | undefined) ?? {});
  if (kind === 'sqlite') return { connId, kind, path: str(json.host) ?? str(json.schema), extra };
  return { connId, kind, host: str(json.host), port: json.port ? Number(json.port) : undefined, login: str(json.login), password: str(json.password), database: str(json.schema), extra };
}

/**
 * The connection of `connId` from the environment, or undefined when the bot was not given it. A value
 * that cannot be read is an error naming the variable (never its content).
 */
export function connectionFor(connId: string, env: NodeJS.ProcessEnv = process.env): SourceConnection | undefined {
  const value = env[connectionVariable(connId)]?.trim();
  if (!value) return undefined;
  const connection = value.startsWith('{') ? parseJson(connId, value) : parseUri(connId, value);
  registerSecret(connection.password);
  return connection;
}

/** The ids of the connections the environment defines (AIRFLOW_CONN_<ID>), lower case. */
export function connectionIds(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('AIRFLOW_CONN_'))
    .map((name) => name.slice('AIRFLOW_CONN_'.length).toLowerCase());
}

/** Registers the passwords of every connection in the environment as secrets (at start, before any log line). */
export function registerConnectionSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const ids: string[] = [];
  for (const connId of connectionIds(env)) {
    try {
      connectionFor(connId, env);
      ids.push(connId);
    } catch {
      // Reported when the connection is used.
    }
  }
  return ids;
}

const TARGET_ENGINES: Record<string, 'postgres' | 'mysql' | 'mariadb'> = { postgres: 'postgres', postgresql: 'postgres', mysql: 'mysql', mariadb: 'mariadb' };

/**
 * The engine of a connection the bot was given, as a target type (postgres, mysql, mariadb), read from its
 * URI scheme or conn_type; undefined when it was not given, cannot be read, or is another engine.
 */
export function targetEngineOf(connId: string, env: NodeJS.ProcessEnv = process.env): 'postgres' | 'mysql' | 'mariadb' | undefined {
  const value = env[connectionVariable(connId)]?.trim();
  if (!value) return undefined;
  try {
    return TARGET_ENGINES[typeName(value.startsWith('{') ? (JSON.parse(value) as Record<string, unknown>).conn_type : new URL(value).protocol)];
  } catch {
    return undefined;
  }
}
