// A stand-in for ClickHouse's HTTP interface, for the ClickHouse inspector's tests (no ClickHouse server is
// on the machines). It answers the statements the inspector sends the way ClickHouse does — query
// parameters substituted by type ({x:String}, {x:Identifier}, {x:UInt32}), FORMAT JSON bodies, errors as
// "Code: N. DB::Exception: …" with status 500 (404 for an unknown table) — and refuses writes when readonly
// is set, as ClickHouse does. Every request is recorded so the tests can check the settings sent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Table = { engine: string; comment: string; sortingKey: string; primaryKey: string; columns: Array<{ name: string; type: string; comment: string }>; rows: Array<Record<string, unknown>> };

export type ClickhouseStandIn = { url: string; port: number; requests: Array<{ query: string; params: URLSearchParams; user?: string; key?: string }>; close(): Promise<void> };

export async function startClickhouseStandIn(tables: Record<string, Table>, database = 'analytics'): Promise<ClickhouseStandIn> {
  const requests: ClickhouseStandIn['requests'] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ query: body, params: url.searchParams, user: req.headers['x-clickhouse-user'] as string | undefined, key: req.headers['x-clickhouse-key'] as string | undefined });
    const fail = (status: number, code: number, message: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'x-clickhouse-exception-code': String(code) });
      res.end(`Code: ${code}. DB::Exception: ${message}. (version 24.8.1.1)\n`);
    };
    const param = (name: string) => url.searchParams.get(`param_${name}`);
    // Parameters are substituted by type; an Identifier is quoted, never spliced raw.
    const query = body.replace(/\{(\w+):(\w+)\}/g, (_, name: string, type: string) => {
      const value = param(name) ?? '';
      return type === 'Identifier' ? `\`${value.replace(/`/g, '\\`')}\`` : type === 'String' ? `'${value.replace(/'/g, "\\'")}'` : String(Number(value));
    });
    if (url.searchParams.get('readonly') !== '0' && url.searchParams.get('readonly') && !/^\s*(SELECT|SHOW|DESCRIBE|EXISTS)\b/i.test(query)) {
      return fail(500, 164, `${url.searchParams.get('user') ?? 'default'}: Cannot execute query in readonly mode`);
    }
    const json = (meta: Array<{ name: string; type: string }>, data: Array<Record<string, unknown>>) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ meta, data, rows: data.length, statistics: { elapsed: 0.001, rows_read: data.length, bytes_read: 0 } }));
    };
    const table = (db: string | null, name: string | null) => (db === database && name ? tables[name] : undefined);
    if (/^SELECT version\(\)/.test(query)) return json([{ name: 'v', type: 'String' }], [{ v: '24.8.1.1' }]);
    if (/FROM system\.tables WHERE database = '[^']*' ORDER BY name/.test(query)) {
      return json([{ name: 'database', type: 'String' }, { name: 'name', type: 'String' }, { name: 'engine', type: 'String' }], param('db') === database ? Object.entries(tables).map(([name, t]) => ({ database, name, engine: t.engine })) : []);
    }
    if (/^SELECT engine, comment, sorting_key, primary_key FROM system\.tables/.test(query)) {
      const t = table(param('db'), param('t'));
      return json([{ name: 'engine', type: 'String' }, { name: 'comment', type: 'String' }, { name: 'sorting_key', type: 'String' }, { name: 'primary_key', type: 'String' }], t ? [{ engine: t.engine, comment: t.comment, sorting_key: t.sortingKey, primary_key: t.primaryKey }] : []);
    }
    if (/FROM system\.columns/.test(query)) {
      const t = table(param('db'), param('t'));
      return json([{ name: 'name', type: 'String' }, { name: 'type', type: 'String' }, { name: 'comment', type: 'String' }], (t?.columns ?? []).map((c) => ({ name: c.name, type: c.type, comment: c.comment })));
    }
    if (/^SELECT total_rows FROM system\.tables/.test(query)) {
      const t = table(param('db'), param('t'));
      return json([{ name: 'total_rows', type: 'Nullable(UInt64)' }], t ? [{ total_rows: t.engine.includes('View') ? null : String(t.rows.length) }] : []);
    }
    const sample = query.match(/^SELECT \* FROM `([^`]*)`\.`((?:[^`\\]|\\.)*)` LIMIT (\d+)$/);
    if (sample) {
      const t = table(sample[1]!, sample[2]!.replace(/\\`/g, '`'));
      if (!t) return fail(404, 60, `Table ${sample[1]}.${sample[2]} does not exist`);
      return json(t.columns.map((c) => ({ name: c.name, type: c.type })), t.rows.slice(0, Number(sample[3])));
    }
    const range = query.match(/^SELECT toString\(min\(`(\w+)`\)\) AS min, toString\(max\(`\w+`\)\) AS max FROM `([^`]*)`\.`([^`]*)`$/);
    if (range) {
      const t = table(range[2]!, range[3]!);
      if (!t) return fail(404, 60, `Table ${range[2]}.${range[3]} does not exist`);
      const values = t.rows.map((r) => String(r[range[1]!])).sort();
      return json([{ name: 'min', type: 'String' }, { name: 'max', type: 'String' }], [{ min: values[0] ?? null, max: values.at(-1) ?? null }]);
    }
    fail(500, 62, `Syntax error or statement the stand-in does not know: ${query.slice(0, 80)}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
