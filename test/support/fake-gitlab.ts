// A small GitLab API double for the framework's tests: the few endpoints the framework calls, in GitLab's
// shapes (auth by PRIVATE-TOKEN, `{"message": …}` errors, pagination headers), plus fault injection.
// The full GitLab sandbox (src/sandbox) replaces it where a test needs more of GitLab.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeNote = {
  id: number;
  body: string;
  author: { id: number; username: string; name: string; state: string };
  system: boolean;
  noteable_type: 'Issue' | 'MergeRequest';
  noteable_iid: number;
  project_id: number;
  created_at: string;
  updated_at: string;
};

export type Fault = {
  method: string;
  path: RegExp;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer (the request hangs until the client gives up or the process dies). */
  hang?: boolean;
  delayMs?: number;
  /** Answer normally, but only after this many ms. */
  slowMs?: number;
};

export type RecordedRequest = { method: string; path: string; body: unknown; at: number };

export class FakeGitLab {
  readonly token: string;
  readonly botUser = { id: 99, username: 'dagwright', name: 'Dagwright', state: 'active' };
  readonly users = new Map<number, { id: number; username: string; name: string; state: string }>([
    [99, this.botUser],
  ]);
  /** project id → user id → access level */
  readonly members = new Map<number, Map<number, number>>();
  /** `${projectId}:${path}` → file text (default branch only) */
  readonly files = new Map<string, string>();
  readonly notes: FakeNote[] = [];
  readonly awards: Array<{ projectId: number; noteId?: number; iid: number; name: string; userId: number }> = [];
  readonly requests: RecordedRequest[] = [];
  private faults: Fault[] = [];
  private nextId = 1000;
  private server: http.Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  url = '';

  constructor(token = 'glpat-test-token-0123456789abcdef') {
    this.token = token;
  }

  addUser(id: number, username: string): void {
    this.users.set(id, { id, username, name: username, state: 'active' });
  }

  setAccess(projectId: number, userId: number, level: number): void {
    if (!this.members.has(projectId)) this.members.set(projectId, new Map());
    this.members.get(projectId)!.set(userId, level);
  }

  /** Queues a fault: the next matching request gets it instead of the normal answer. */
  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Records a note written by a person, as GitLab would have stored it before sending its hook. */
  addNote(note: { projectId: number; type: 'Issue' | 'MergeRequest'; iid: number; id: number; body: string; author: { id: number; username: string } }): void {
    const now = new Date().toISOString();
    this.notes.push({
      id: note.id,
      body: note.body,
      author: { ...note.author, name: note.author.username, state: 'active' },
      system: false,
      noteable_type: note.type,
      noteable_iid: note.iid,
      project_id: note.projectId,
      created_at: now,
      updated_at: now,
    });
  }

  notesOn(projectId: number, type: 'Issue' | 'MergeRequest', iid: number): FakeNote[] {
    return this.notes.filter((n) => n.project_id === projectId && n.noteable_type === type && n.noteable_iid === iid);
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = Object.fromEntries(new URLSearchParams(text));
      }
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, body, at: Date.now() });

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const isText = typeof payload === 'string';
      res.writeHead(status, { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
      res.end(isText ? payload : JSON.stringify(payload));
    };

    const faultIndex = this.faults.findIndex((f) => f.method === method && f.path.test(url.pathname));
    if (faultIndex >= 0) {
      const [fault] = this.faults.splice(faultIndex, 1);
      if (fault!.hang) return;
      if (fault!.delayMs) await new Promise((r) => setTimeout(r, fault!.delayMs));
      if (fault!.slowMs) await new Promise((r) => setTimeout(r, fault!.slowMs));
      else if (fault!.status) return send(fault!.status, fault!.body ?? { message: `${fault!.status} error` }, fault!.headers);
    }

    const auth = req.headers['private-token'] ?? req.headers.authorization?.replace(/^Bearer /, '');
    if (auth !== this.token) return send(401, { message: '401 Unauthorized' });

    const p = url.pathname.replace(/^\/api\/v4/, '');
    let m: RegExpMatchArray | null;
    if (method === 'GET' && p === '/user') return send(200, { ...this.botUser, bot: true });

    if (method === 'GET' && (m = p.match(/^\/projects\/(\d+)\/members\/all\/(\d+)$/))) {
      const level = this.members.get(Number(m[1]))?.get(Number(m[2]));
      const user = this.users.get(Number(m[2]));
      if (level === undefined || !user) return send(404, { message: '404 Not found' });
      return send(200, { ...user, access_level: level, expires_at: null });
    }

    if (method === 'GET' && (m = p.match(/^\/projects\/(\d+)\/repository\/files\/([^/]+)\/raw$/))) {
      const file = this.files.get(`${m[1]}:${decodeURIComponent(m[2]!)}`);
      if (file === undefined) return send(404, { message: '404 File Not Found' });
      return send(200, file);
    }

    if ((m = p.match(/^\/projects\/(\d+)\/(issues|merge_requests)\/(\d+)\/notes(?:\/(\d+))?(\/award_emoji)?$/))) {
      const projectId = Number(m[1]);
      const type = m[2] === 'issues' ? 'Issue' : 'MergeRequest';
      const iid = Number(m[3]);
      const noteId = m[4] ? Number(m[4]) : undefined;
      const notes = this.notesOn(projectId, type, iid);
      if (m[5] && method === 'POST') {
        if (!notes.some((n) => n.id === noteId)) return send(404, { message: '404 Not found' });
        const name = (body as { name?: string })?.name ?? url.searchParams.get('name') ?? '';
        if (this.awards.some((a) => a.noteId === noteId && a.name === name && a.userId === this.botUser.id)) {
          return send(404, { message: '404 Award Emoji Name has already been taken Not Found' });
        }
        this.awards.push({ projectId, noteId, iid, name, userId: this.botUser.id });
        return send(201, { id: this.nextId++, name, user: this.botUser, awardable_id: noteId, awardable_type: 'Note' });
      }
      if (method === 'GET' && noteId === undefined) {
        const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 20));
        const page = Number(url.searchParams.get('page') ?? 1);
        const sorted = [...notes].sort((a, b) => (url.searchParams.get('sort') === 'asc' ? a.id - b.id : b.id - a.id));
        const slice = sorted.slice((page - 1) * perPage, page * perPage);
        const totalPages = Math.max(1, Math.ceil(sorted.length / perPage));
        return send(200, slice, {
          'x-page': String(page),
          'x-per-page': String(perPage),
          'x-total': String(sorted.length),
          'x-total-pages': String(totalPages),
          'x-next-page': page < totalPages ? String(page + 1) : '',
          'x-prev-page': page > 1 ? String(page - 1) : '',
        });
      }
      if (method === 'POST' && noteId === undefined) {
        const noteBody = (body as { body?: string })?.body;
        if (!noteBody) return send(400, { message: '400 Bad request - body is missing' });
        const now = new Date().toISOString();
        const note: FakeNote = {
          id: this.nextId++,
          body: noteBody,
          author: this.botUser,
          system: false,
          noteable_type: type,
          noteable_iid: iid,
          project_id: projectId,
          created_at: now,
          updated_at: now,
        };
        this.notes.push(note);
        return send(201, note);
      }
      if (method === 'PUT' && noteId !== undefined) {
        const note = notes.find((n) => n.id === noteId);
        if (!note) return send(404, { message: '404 Note Not Found' });
        if (note.author.id !== this.botUser.id) return send(403, { message: '403 Forbidden' });
        note.body = (body as { body?: string })?.body ?? note.body;
        note.updated_at = new Date().toISOString();
        return send(200, note);
      }
    }
    return send(404, { message: '404 Not Found' });
  }
}
