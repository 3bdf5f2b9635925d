// The team's Airflow over its stable REST API: which API the server speaks (Airflow 3's /api/v2 or Airflow 2's
// /api/v1, found by asking), signing in (a JWT from /auth/token on Airflow 3, refreshed before it expires or
// when refused; basic auth on Airflow 2; or a token given), and the few reads the bot needs, in one shape for
// both lines.
import type { AirflowSettings } from '../config.ts';
import { isNetworkError } from '../errors.ts';
import { explainNetworkFailure } from '../net/failure.ts';

export type AirflowApi = { api: 'v2' | 'v1'; version: string };

export type AirflowDag = {
  dagId: string;
  isPaused: boolean;
  /** Whether its file is still in the DAGs folder (Airflow 3: not stale; Airflow 2: active). */
  isActive: boolean;
  lastParsedTime: string | null;
  hasImportErrors: boolean;
  fileloc: string;
  /** A token the API takes to name the file (re-parse, source). */
  fileToken: string | undefined;
  /** When the next run will be made (ISO 8601), if it is scheduled. */
  nextRunAfter: string | null;
  /** The DAG bundle's version (a commit for git bundles) where Airflow reports one. */
  bundleVersion: string | null;
};

export type AirflowImportError = { filename: string; stackTrace: string; timestamp: string };

export type AirflowDagRun = { runId: string; state: string; startDate: string | null; endDate: string | null; runAfter: string | null };

/**
 * What went wrong talking to Airflow. `auth`: the credentials were refused; `forbidden`: the user may not read
 * this; `unreachable` and `answer` (5xx, 429) may pass with time; `not_airflow`: no Airflow API at the URL.
 */
export class AirflowError extends Error {
  readonly kind: 'auth' | 'forbidden' | 'unreachable' | 'answer' | 'not_airflow';
  readonly status: number | undefined;
  constructor(kind: AirflowError['kind'], message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AirflowError';
    this.kind = kind;
    this.status = status;
  }

  get transient(): boolean {
    return this.kind === 'unreachable' || this.kind === 'answer';
  }
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The seconds-since-epoch `exp` of a JWT, if it has one (the token is only read, never trusted). */
function expiryOf(jwt: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class AirflowClient {
  readonly settings: AirflowSettings;
  private readonly timeoutMs: number;
  private detected: AirflowApi | undefined;
  private jwt: { token: string; expiresAt: number | undefined; marginMs: number } | undefined;

  constructor(settings: AirflowSettings, options: { timeoutMs?: number } = {}) {
    this.settings = settings;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The API the server speaks, asked once (the version endpoints need no sign-in). */
  async api(): Promise<AirflowApi> {
    if (this.detected) return this.detected;
    for (const api of ['v2', 'v1'] as const) {
      const response = await this.send('GET', `/api/${api}/version`, { auth: false });
      if (response.status === 404) continue;
      if (!response.ok) throw await this.answerError(response, 'GET', `/api/${api}/version`);
      const body = (await response.json().catch(() => ({}))) as Json;
      const version = str(body.version) ?? '?';
      this.detected = { api, version };
      return this.detected;
    }
    throw new AirflowError('not_airflow', `no Airflow API answers at ${this.settings.url} (/api/v2/version and /api/v1/version are not found)`);
  }

  /** The DAG as Airflow has parsed it, or undefined when Airflow does not know it. */
  async dag(dagId: string): Promise<AirflowDag | undefined> {
    const { api } = await this.api();
    const body = await this.getJson(`/dags/${encodeURIComponent(dagId)}`, { notFound: true });
    if (!body) return undefined;
    return {
      dagId: String(body.dag_id),
      isPaused: body.is_paused === true,
      isActive: api === 'v2' ? body.is_stale !== true : body.is_active !== false,
      lastParsedTime: str(body.last_parsed_time),
      hasImportErrors: body.has_import_errors === true,
      fileloc: String(body.fileloc ?? ''),
      fileToken: str(body.file_token) ?? undefined,
      nextRunAfter: api === 'v2' ? str(body.next_dagrun_run_after) : str(body.next_dagrun_create_after),
      bundleVersion: str(body.bundle_version),
    };
  }

  /** The source Airflow holds for the DAG's file (what it parsed), or undefined when it has none. */
  async dagSource(dag: AirflowDag): Promise<string | undefined> {
    const { api } = await this.api();
    const path = api === 'v2' ? `/dagSources/${encodeURIComponent(dag.dagId)}` : dag.fileToken ? `/dagSources/${dag.fileToken}` : undefined;
    if (!path) return undefined;
    const response = await this.request('GET', path, { accept: 'application/json' });
    if (response.status === 404) return undefined;
    if (!response.ok) throw await this.answerError(response, 'GET', path);
    const text = await response.text();
    try {
      const body = JSON.parse(text) as Json;
      return str(body.content) ?? undefined;
    } catch {
      return text;
    }
  }

  /** Import errors, newest first (at most `limit`). */
  async importErrors(limit = 500): Promise<AirflowImportError[]> {
    const out: AirflowImportError[] = [];
    for (let offset = 0; out.length < limit; ) {
      const body = (await this.getJson(`/importErrors?limit=100&offset=${offset}&order_by=-timestamp`))!;
      const page = Array.isArray(body.import_errors) ? (body.import_errors as Json[]) : [];
      for (const e of page) out.push({ filename: String(e.filename ?? ''), stackTrace: String(e.stack_trace ?? ''), timestamp: String(e.timestamp ?? '') });
      offset += page.length;
      if (!page.length || offset >= Number(body.total_entries ?? 0)) break;
    }
    return out.slice(0, limit);
  }

  /** The DAG's latest runs, newest first. */
  async dagRuns(dagId: string, limit = 5): Promise<AirflowDagRun[]> {
    const { api } = await this.api();
    const order = api === 'v2' ? '-run_after' : '-execution_date';
    const body = (await this.getJson(`/dags/${encodeURIComponent(dagId)}/dagRuns?limit=${limit}&order_by=${order}`))!;
    const runs = Array.isArray(body.dag_runs) ? (body.dag_runs as Json[]) : [];
    return runs.map((r) => ({
      runId: String(r.dag_run_id ?? ''),
      state: String(r.state ?? ''),
      startDate: str(r.start_date),
      endDate: str(r.end_date),
      runAfter: str(r.run_after) ?? str(r.logical_date) ?? str(r.execution_date),
    }));
  }

  /** Asks Airflow to parse the DAG's file again now; false where this Airflow cannot be asked. */
  async requestReparse(dag: AirflowDag): Promise<boolean> {
    if (!dag.fileToken) return false;
    const path = `/parseDagFile/${dag.fileToken}`;
    const response = await this.request('PUT', path);
    if ([404, 405].includes(response.status)) return false;
    if (!response.ok) throw await this.answerError(response, 'PUT', path);
    return true;
  }

  /** Signs in as configured (a token from /auth/token on Airflow 3); says how, for `doctor`. */
  async signIn(): Promise<string> {
    const { api } = await this.api();
    const auth = this.settings.auth;
    if (auth.kind === 'token') return 'AIRFLOW_TOKEN as a bearer token';
    if (api === 'v1') return `basic auth as ${this.who()}`;
    await this.authorization();
    return `${this.who()} signs in (a JWT from /auth/token)`;
  }

  /** Whether the user may read the DAGs and the import errors (what the post-merge check reads). */
  async readsDagsAndImportErrors(): Promise<void> {
    await this.getJson('/dags?limit=1');
    await this.getJson('/importErrors?limit=1');
  }

  /** A link to the DAG in Airflow's UI. */
  dagUrl(dagId: string): string {
    return `${this.settings.uiUrl}/dags/${encodeURIComponent(dagId)}`;
  }

  private async getJson(path: string, options: { notFound?: boolean } = {}): Promise<Json | undefined> {
    const response = await this.request('GET', path);
    if (options.notFound && response.status === 404) return undefined;
    if (!response.ok) throw await this.answerError(response, 'GET', path);
    return (await response.json()) as Json;
  }

  /** A request to the API, signed in; refused once, it signs in afresh (an expired or revoked JWT) and tries again. */
  private async request(method: string, path: string, options: { accept?: string } = {}): Promise<Response> {
    const { api } = await this.api();
    const full = `/api/${api}${path}`;
    let response = await this.send(method, full, { auth: true, accept: options.accept });
    if ((response.status === 401 || response.status === 403) && this.canSignInAgain()) {
      this.jwt = undefined;
      response = await this.send(method, full, { auth: true, accept: options.accept });
    }
    if (response.status === 401) throw new AirflowError('auth', this.refusedMessage(), 401);
    if (response.status === 403) {
      // Airflow 2 answers a wrong password with 403 too (its session backend then finds no user).
      if (api === 'v1' && this.settings.auth.kind === 'password') {
        throw new AirflowError('auth', `Airflow refused ${this.who()} (403): the password is wrong or the user may not read DAGs and import errors; check AIRFLOW_USERNAME, AIRFLOW_PASSWORD and the user's role`, 403);
      }
      throw new AirflowError('forbidden', `Airflow's user ${this.who()} may not ${method} ${full} (403): give it a role that reads DAGs and import errors`, 403);
    }
    return response;
  }

  private canSignInAgain(): boolean {
    return this.detected?.api === 'v2' && this.settings.auth.kind === 'password' && this.jwt !== undefined;
  }

  private who(): string {
    return this.settings.auth.kind === 'password' ? `\`${this.settings.auth.username}\`` : '(AIRFLOW_TOKEN)';
  }

  private refusedMessage(): string {
    return this.settings.auth.kind === 'password'
      ? `Airflow refused the sign-in of ${this.who()}: check AIRFLOW_USERNAME and AIRFLOW_PASSWORD`
      : 'Airflow refused AIRFLOW_TOKEN: it is wrong or has expired';
  }

  private async authorization(): Promise<string> {
    const auth = this.settings.auth;
    if (auth.kind === 'token') return `Bearer ${auth.token}`;
    if (this.detected?.api === 'v1') return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    // Airflow 3: a JWT, taken again a little before it expires (a third of its life, at most 30 s, before).
    if (!this.jwt || (this.jwt.expiresAt !== undefined && this.jwt.expiresAt - Date.now() < this.jwt.marginMs)) {
      const response = await this.send('POST', '/auth/token', { auth: false, body: { username: auth.username, password: auth.password } });
      if (response.status === 401 || response.status === 403 || response.status === 400) throw new AirflowError('auth', this.refusedMessage(), response.status);
      if (!response.ok) throw await this.answerError(response, 'POST', '/auth/token');
      const token = str(((await response.json()) as Json).access_token);
      if (!token) throw new AirflowError('answer', 'Airflow answered POST /auth/token without an access_token');
      const expiresAt = expiryOf(token);
      this.jwt = { token, expiresAt, marginMs: expiresAt === undefined ? 0 : Math.min(30_000, (expiresAt - Date.now()) / 3) };
    }
    return `Bearer ${this.jwt.token}`;
  }

  private async send(method: string, path: string, options: { auth: boolean; body?: unknown; accept?: string }): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.auth) headers.authorization = await this.authorization();
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.settings.url}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      if (isNetworkError(err)) throw new AirflowError('unreachable', `Airflow at ${this.settings.url} cannot be reached: ${explainNetworkFailure(err, this.settings.url)}`, undefined, { cause: err });
      throw err;
    }
  }

  private async answerError(response: Response, method: string, path: string): Promise<AirflowError> {
    const text = (await response.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
    const kind = response.status >= 500 || response.status === 429 ? 'answer' : 'not_airflow';
    return new AirflowError(kind, `Airflow answered ${response.status} to ${method} ${path}${text ? `: ${text}` : ''}`, response.status);
  }
}


