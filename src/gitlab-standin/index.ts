// The GitLab stand-in: a stand-in for GitLab (REST subset, git over smart HTTP, webhooks, quick actions,
// faults) for the tests, the benchmarks and `dagwright demo`. startGitLabStandIn() gives one on a free port.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createApi } from './api.ts';
import { Faults, type FaultRule } from './faults.ts';
import * as git from './git.ts';
import { StandInGitLab, type NoteTarget } from './gitlab.ts';
import { AccessLevels, type Hook, type Issue, type Note, type Project, type User } from './model.ts';

export { AccessLevels } from './model.ts';
export type { FaultRule } from './faults.ts';
export type { DeliveryRecord } from './webhooks.ts';

export type GitLabStandInOptions = {
  port?: number;
  host?: string;
  /** Where repositories live; a temporary directory (removed on close) by default. */
  dataDir?: string;
  /** Served over HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** GitLab under a relative URL root, e.g. `/gitlab`: the API at /gitlab/api/v4, repositories below it. */
  relativeUrlRoot?: string;
  /**
   * The address GitLab believes it is at (its external_url), when it is not the one it is reached at: the
   * payloads' and the API's URLs name it, as a GitLab behind a load balancer or inside a cluster does.
   */
  externalUrl?: string;
};

function basicAuthToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = header.match(/^Bearer\s+(.+)$/i)?.[1];
  if (bearer) return bearer;
  const basic = header.match(/^Basic\s+(.+)$/i)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

export type RecordedRequest = { method: string; path: string; status: number; at: number };

export class GitLabStandIn {
  readonly gitlab: StandInGitLab;
  readonly faults = new Faults();
  /** Every API and git request, with the status it was answered (0: dropped), in the order they ended. */
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly tls: boolean;
  private readonly root: string;
  private readonly externalUrl: string | undefined;
  private listenUrl = '';
  private readonly ownsDataDir: boolean;
  private readonly dataDir: string;
  /** Requests received and not yet answered. */
  readonly activeRequests = new Set<{ method: string; path: string }>();
  private lastRequestAt = 0;

  private get requestsInFlight(): number {
    return this.activeRequests.size;
  }

  constructor(options: GitLabStandInOptions = {}) {
    this.ownsDataDir = !options.dataDir;
    this.dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dagwright-gitlab-standin-'));
    this.gitlab = new StandInGitLab(path.join(this.dataDir, 'repositories'));
    const api = getRequestListener(createApi(this.gitlab).fetch);
    this.tls = !!options.tls;
    this.root = (options.relativeUrlRoot ?? '').replace(/\/+$/, '');
    if (this.root && !/^\/[\w.-]+(\/[\w.-]+)*$/.test(this.root)) throw new Error(`relativeUrlRoot must look like /gitlab, got ${options.relativeUrlRoot}`);
    this.externalUrl = options.externalUrl?.replace(/\/+$/, '');
    const listener: http.RequestListener = (req, res) => {
      const active = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?', 1)[0]! };
      this.activeRequests.add(active);
      this.lastRequestAt = Date.now();
      res.on('close', () => {
        this.activeRequests.delete(active);
        this.lastRequestAt = Date.now();
        this.requests.push({ ...active, status: res.headersSent ? res.statusCode : 0, at: this.lastRequestAt });
      });
      void this.handle(req, res, api);
    };
    this.server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
  }

  /** Where the stand-in is reached (GITLAB_URL), its relative root included; the external URL may differ. */
  get url(): string {
    return this.listenUrl;
  }

  get deliveries() {
    return this.gitlab.webhooks.deliveries;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.listenUrl = `${this.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}${this.root}`;
    this.gitlab.setBaseUrl(this.externalUrl ?? this.listenUrl);
    return this.url;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, api: http.RequestListener): Promise<void> {
    try {
      if (await this.faults.apply(req, res)) return;
      if (this.root) {
        // Under a relative root, as GitLab's own routes are: nothing answers outside it.
        const inside = req.url === this.root || req.url?.startsWith(`${this.root}/`) || req.url?.startsWith(`${this.root}?`);
        if (!inside) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('Not Found\n');
          return;
        }
        req.url = req.url!.slice(this.root.length) || '/';
      }
      const url = new URL(req.url ?? '/', 'http://gitlab-standin');
      const gitPath = url.pathname.match(/^\/([\w.-]+)\/([\w.-]+)\.git(\/.*)$/);
      if (gitPath) return await this.serveGit(req, res, `${gitPath[1]}/${gitPath[2]}`, gitPath[3]!, url);
      api(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: '500 Internal Server Error' }));
    }
  }

  /** Git over smart HTTP, with GitLab's token auth and access levels (Reporter reads, Developer pushes). */
  private async serveGit(req: http.IncomingMessage, res: http.ServerResponse, projectPath: string, rest: string, url: URL): Promise<void> {
    const text = (status: number, body: string, headers: Record<string, string> = {}) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };
    const user = this.gitlab.model.userByToken(basicAuthToken(req.headers.authorization));
    if (!user) return text(401, 'HTTP Basic: Access denied.\n', { 'www-authenticate': 'Basic realm="GitLab"' });
    const project = this.gitlab.model.project(projectPath);
    const level = project ? this.gitlab.model.accessLevel(project, user) : 0;
    if (!project || level === 0) {
      return text(404, 'The project you were looking for could not be found or you don\'t have permission to view it.\n');
    }
    const service = rest === '/info/refs' ? url.searchParams.get('service') : rest.slice(1);
    const pushing = service === 'git-receive-pack';
    if (level < (pushing ? AccessLevels.developer : AccessLevels.reporter)) {
      return text(403, pushing ? 'You are not allowed to push code to this project.\n' : 'You are not allowed to download code from this project.\n');
    }
    const deniedRefs = [...project.protectedBranches]
      .filter(([, rule]) => level < rule.push)
      .map(([branch]) => `refs/heads/${branch}`);
    const before = pushing && req.method === 'POST' ? await git.branchHeads(project.repoDir) : undefined;
    await git.serveGitRequest(req, res, {
      projectRoot: this.gitlab.reposRoot,
      pathInfo: `/${project.pathWithNamespace}.git${rest}`,
      query: url.search.slice(1),
      username: user.username,
      deniedRefs,
    });
    if (before) {
      const after = await git.branchHeads(project.repoDir);
      const updates = [...new Set([...before.keys(), ...after.keys()])]
        .filter((branch) => before.get(branch) !== after.get(branch))
        .map((branch) => ({ branch, before: before.get(branch), after: after.get(branch) }));
      if (updates.length) await this.gitlab.onPush(project, user, updates);
    }
  }

  // ---- the scripting interface

  createUser(username: string, options?: { name?: string; admin?: boolean; bot?: boolean; tokenScopes?: string[] }): User {
    return this.gitlab.createUser(username, options);
  }

  /** A project at `group/name`, its repository seeded from `seedDir` (or a README). */
  createProject(pathWithNamespace: string, options: { owner: User; seedDir?: string; defaultBranch?: string; members?: Array<[User, number]> }): Promise<Project> {
    return this.gitlab.createProject(pathWithNamespace, options).then((project) => {
      for (const [user, level] of options.members ?? []) this.gitlab.addMember(project, user, level);
      return project;
    });
  }

  addMember(project: Project, user: User, level: number): void {
    this.gitlab.addMember(project, user, level);
  }

  addHook(project: Project, url: string, options: { token?: string; events?: Partial<Hook['events']> } = {}): Hook {
    return this.gitlab.addHook(project, {
      url,
      token: options.token,
      events: {
        issues_events: true,
        confidential_issues_events: true,
        note_events: true,
        confidential_note_events: true,
        merge_requests_events: true,
        pipeline_events: true,
        emoji_events: true,
        ...options.events,
      },
    });
  }

  openIssue(project: Project, author: User, input: { title: string; description?: string; labels?: string[]; confidential?: boolean; assignees?: User[] }): Issue {
    return this.gitlab.openIssue(project, author, { ...input, assigneeIds: input.assignees?.map((u) => u.id) });
  }

  editIssue(project: Project, iid: number, actor: User, input: Parameters<StandInGitLab['editIssue']>[3]): Issue {
    return this.gitlab.editIssue(project, this.gitlab.issue(project, iid), actor, input);
  }

  /** A comment on an issue or merge request; undefined when it held only quick actions (not stored). */
  async comment(project: Project, target: NoteTarget, author: User, body: string): Promise<Note | undefined> {
    return (await this.gitlab.createNote(project, target, author, body)).note;
  }

  editComment(project: Project, note: Note, author: User, body: string): Promise<Note> {
    return this.gitlab.editNote(project, note, author, body);
  }

  /** A line comment (DiffNote) on the merge request's current diff: `line` in the new version of `path`. */
  async commentOnLine(project: Project, mergeRequestIid: number, author: User, input: { path: string; line: number; body: string }): Promise<Note | undefined> {
    const mr = this.gitlab.mergeRequest(project, mergeRequestIid);
    const refs = await this.gitlab.diffRefs(project, mr);
    if (!refs) throw new Error(`merge request !${mergeRequestIid} has no diff`);
    const position = { ...refs, old_path: input.path, new_path: input.path, position_type: 'text' as const, old_line: null, new_line: input.line, line_range: null };
    return (await this.gitlab.startDiscussion(project, { mergeRequest: mergeRequestIid }, author, input.body, position)).note;
  }

  /** A commit as a person pushes it (files given are written, null deletes); open MRs from the branch update. */
  pushCommit(project: Project, author: User, input: { branch: string; files: Record<string, string | null>; message: string; startBranch?: string }): Promise<string> {
    return this.gitlab.pushCommit(project, author, input);
  }

  mergeMergeRequest(project: Project, iid: number, actor: User) {
    return this.gitlab.mergeMergeRequest(project, this.gitlab.mergeRequest(project, iid), actor);
  }

  runPipeline(project: Project, input: { ref: string; status: string; user: User; mergeRequestIid?: number }): Promise<number> {
    return this.gitlab.runPipeline(project, input);
  }

  injectFault(rule: FaultRule): number {
    return this.faults.add(rule);
  }

  /**
   * Waits until nothing is going on: no webhook delivery in flight, no API or git request for `quietMs`, and
   * (when `botUrl` is given) the bot's queue empty according to its /metrics.
   */
  async settled(options: { botUrl?: string; quietMs?: number; timeoutMs?: number } = {}): Promise<void> {
    const quietMs = options.quietMs ?? 150;
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      const quiet = this.gitlab.webhooks.pending === 0 && this.requestsInFlight === 0 && Date.now() - this.lastRequestAt >= quietMs;
      if (quiet && (!options.botUrl || (await botQueueDepth(options.botUrl)) === 0)) {
        // Look once more: the bot may have started a request while its queue was read.
        if (this.requestsInFlight === 0 && this.gitlab.webhooks.pending === 0 && Date.now() - this.lastRequestAt >= quietMs) return;
      }
      if (Date.now() > deadline) {
        throw new Error(`the GitLab stand-in did not settle: ${this.gitlab.webhooks.pending} deliveries and ${this.requestsInFlight} requests in flight`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function botQueueDepth(botUrl: string): Promise<number> {
  try {
    const text = await (await fetch(`${botUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('dagwright_queue_depth '));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch {
    return 0;
  }
}

export async function startGitLabStandIn(options: GitLabStandInOptions = {}): Promise<GitLabStandIn> {
  const standIn = new GitLabStandIn(options);
  await standIn.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return standIn;
}
