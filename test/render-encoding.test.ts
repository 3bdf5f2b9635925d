// Values from a request reach generated code only as literals. Every pack renders one spec twice: with plain
// values, and with hostile ones in every field a person may write (quotes, backslashes, line breaks,
// statements, invisible characters, dashes and dots in connection ids) that the spec accepts. The Python files'
// syntax trees and the SQL files' tokens must be the same but for the literals' content, and the Jinja that
// Airflow will render must be the bot's own. Templates in values are refused by the spec itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { evaluateSpec } from '../src/pipeline-spec/evaluate.ts';
import { patchFromObject } from '../src/pipeline-spec/patch.ts';
import { defaultRepoConfig } from '../src/pipeline-spec/repo-config.ts';
import type { PipelineSpec } from '../src/pipeline-spec/schema.ts';
import { renderPipeline, type RenderedFile } from '../src/render/render.ts';

const HOSTILE_TEXT = `Loads x"""; import os; os.system("id"); y = """\n\\N' ''' -- ; DROP TABLE t; /* \u202e gnp.exe \u2028 */ "+str(1)+" \\`;

type Values = {
  text: string;
  owner: string;
  sourceConn: string;
  targetConn: string;
  path: string;
  comment: string;
  accepted: string[];
  delimiter: string;
  quote: string;
  location: string;
  email: string;
  alertConn: string;
};

const BENIGN: Values = {
  text: 'Customers, loaded daily',
  owner: 'data-team',
  sourceConn: 'orders_pg',
  targetConn: 'lake',
  path: 'exports/customers/{{ data_interval_start | ds }}.csv',
  comment: 'the customer',
  accepted: ['DE', 'FR', 'US', 'GB'],
  delimiter: ';',
  quote: "'",
  location: 's3a://lake/raw/orders/customers',
  email: 'data-team@example.com',
  alertConn: 'slack_alerts',
};

const HOSTILE: Values = {
  text: HOSTILE_TEXT,
  owner: `o"); import os #\\`,
  sourceConn: 'orders-pg.v2',
  targetConn: 'lake.prod-1',
  path: `exports/x"+str(open('/etc/passwd').read())+"'\n#\\/{{ data_interval_start | ds }}.csv`,
  comment: HOSTILE_TEXT,
  accepted: ['a\\', "') OR SLEEP(2)=0 #", "x'; DROP TABLE t; --", '"""\n'],
  delimiter: '"',
  quote: '\\',
  location: 's3a://lake/x=1:2@3%27%22+str%281%29+-~',
  email: 'first.last+tag@mail.example.co.uk',
  alertConn: 'slack-alerts.main',
};

type Case = { pack: string; source: 'postgres' | 'mysql' | 's3'; strategy: string; airflow: 2 | 3 };

const CASES: Case[] = [];
for (const pack of ['airflow-sql', 'spark-docker']) {
  for (const source of ['postgres', 'mysql', 's3'] as const) {
    for (const strategy of source === 's3' ? ['snapshot', 'append'] : ['overwrite', 'append', 'incremental', 'snapshot', 'scd2']) {
      for (const airflow of [2, 3] as const) CASES.push({ pack, source, strategy, airflow });
    }
  }
}

function specOf(c: Case, v: Values): PipelineSpec {
  const columns = [
    { name: 'customer_id', type: 'integer', key: true, nullable: false, comment: v.comment },
    { name: 'email', type: 'varchar(100)', comment: v.comment },
    { name: 'country', type: 'char(2)' },
    { name: 'updated_at', type: 'timestamp' },
  ];
  const sources = {
    postgres: { type: 'postgres', conn_id: v.sourceConn, system: 'orders', table: 'public.customers', columns },
    mysql: { type: 'mysql', conn_id: v.sourceConn, system: 'orders', table: 'shop.customers', columns },
    s3: { type: 's3', conn_id: v.sourceConn, system: 'landing', bucket: 'landing', path: v.path, format: 'csv', delimiter: v.delimiter, quote: v.quote, columns },
  };
  const object = {
    dag_id: `${c.source}_customers_${c.strategy}`,
    description: v.text,
    owner: v.owner,
    schedule: '0 6 * * *',
    timezone: 'Europe/Berlin',
    start_date: '2026-01-01',
    airflow_version: c.airflow,
    pack: c.pack,
    source: sources[c.source],
    target: { conn_id: v.targetConn, table: 'raw_orders.customers', ...(c.pack === 'spark-docker' ? { location: v.location, format: 'parquet' } : {}) },
    load: {
      strategy: c.strategy,
      ...(c.strategy === 'incremental' || c.strategy === 'append' ? { watermark: 'updated_at' } : {}),
      ...(c.strategy === 'scd2' || c.strategy === 'incremental' ? { keys: ['customer_id'] } : {}),
    },
    quality: [
      { check: 'row_count', min: 1 },
      { check: 'accepted_values', column: 'country', values: v.accepted },
      { check: 'sql', name: 'no_future_rows', sql: 'SELECT count(*) FROM {{ target }} WHERE updated_at > now()' },
    ],
    notify: { on_failure: [`email:${v.email}`, `conn:${v.alertConn}`] },
  };
  const fields = Object.fromEntries(Object.entries(patchFromObject(object).set).map(([k, value]) => [k, { value, provenance: { kind: 'issue' as const } }]));
  const evaluation = evaluateSpec(fields, defaultRepoConfig);
  assert.deepEqual(evaluation.errors, [], `the spec accepts the values of ${c.pack} ${c.source} ${c.strategy}`);
  return { ...(evaluation.spec as unknown as PipelineSpec), start_date: '2026-01-01' };
}

const render = (c: Case, v: Values): RenderedFile[] => renderPipeline(specOf(c, v), defaultRepoConfig, { today: '2026-12-01' }).files;

/** Python's own syntax tree of each source, every string constant emptied (a syntax error is its own shape). */
function pythonShapes(sources: string[]): string[] {
  const script = [
    'import ast, json, sys',
    'class Blank(ast.NodeTransformer):',
    '    def visit_Constant(self, node):',
    '        return ast.Constant(value="") if isinstance(node.value, str) else node',
    'shapes = []',
    'for source in json.load(sys.stdin):',
    '    try:',
    '        shapes.append(ast.dump(Blank().visit(ast.parse(source))))',
    '    except SyntaxError as error:',
    '        shapes.append("SyntaxError: " + str(error))',
    'print(json.dumps(shapes))',
  ].join('\n');
  const result = spawnSync('python3', ['-I', '-c', script], { input: JSON.stringify(sources), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as string[];
}

type SqlReading = 'postgres' | 'mysql' | 'spark';

/** The tokens of SQL as its engine reads them, each literal as `?` and comments dropped. */
function sqlTokens(sql: string, reading: SqlReading): string[] {
  const tokens: string[] = [];
  const backslash = reading !== 'postgres';
  let i = 0;
  const literal = (close: string, escapes: boolean) => {
    i++;
    while (i < sql.length) {
      if (escapes && sql[i] === '\\') i += 2;
      else if (sql[i] === close && sql[i + 1] === close) i += 2;
      else if (sql[i] === close) return void i++;
      else i++;
    }
    tokens.push('UNTERMINATED');
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (sql.startsWith('--', i) || (reading === 'mysql' && c === '#')) while (i < sql.length && sql[i] !== '\n') i++;
    else if (sql.startsWith('/*', i)) i = sql.indexOf('*/', i + 2) < 0 ? sql.length : sql.indexOf('*/', i + 2) + 2;
    else if (c === "'") (literal("'", backslash), tokens.push('?'));
    else if ((c === 'E' || c === 'e') && sql[i + 1] === "'" && reading === 'postgres') (i++, literal("'", true), tokens.push('?'));
    else if (c === '"' || c === '`') {
      const start = i;
      literal(c, false);
      tokens.push(sql.slice(start, i));
    } else {
      const word = sql.slice(i).match(/^[A-Za-z0-9_$.]+/)?.[0] ?? c;
      tokens.push(word.toUpperCase());
      i += word.length;
    }
  }
  return tokens;
}

function readingOf(file: string, c: Case): SqlReading {
  if (c.pack === 'spark-docker') return 'spark';
  if (file.endsWith('/extract.sql')) return c.source === 'mysql' ? 'mysql' : 'postgres';
  return 'postgres';
}

/** Airflow's templates in a file, the connection ids in them named by position. */
function templates(content: string, v: Values): string[] {
  const named = content.replaceAll(v.sourceConn, 'SOURCE').replaceAll(v.targetConn, 'TARGET').replaceAll(v.alertConn, 'ALERT');
  return [...named.matchAll(/\{\{.*?\}\}|\{%.*?%\}/g)].map((m) => m[0]);
}

describe('values from a request reach generated code only as literals', () => {
  for (const c of CASES) {
    test(`${c.pack}: ${c.source} ${c.strategy}, Airflow ${c.airflow}`, () => {
      const benign = render(c, BENIGN);
      const hostile = render(c, HOSTILE);
      assert.deepEqual(hostile.map((f) => f.path), benign.map((f) => f.path));
      const python = benign.map((f, i) => [f, hostile[i]!] as const).filter(([f]) => f.path.endsWith('.py'));
      const shapes = pythonShapes(python.flatMap(([a, b]) => [a.content, b.content]));
      python.forEach(([file], k) => {
        assert.doesNotMatch(shapes[2 * k]!, /^SyntaxError/, `${file.path} (plain values) parses`);
        assert.equal(shapes[2 * k + 1], shapes[2 * k], `${file.path}: the hostile values changed the code, not only its literals`);
      });
      for (const [i, file] of benign.entries()) {
        const other = hostile[i]!;
        if (file.path.endsWith('.sql')) {
          const reading = c.pack === 'airflow-sql' && !file.path.endsWith('/extract.sql') && c.source === 'mysql' ? 'mysql' : readingOf(file.path, c);
          assert.deepEqual(sqlTokens(other.content, reading), sqlTokens(file.content, reading), `${file.path}: the hostile values changed the SQL, not only its literals`);
        }
        if (!file.path.endsWith('.md')) assert.deepEqual(templates(other.content, HOSTILE), templates(file.content, BENIGN), `${file.path}: the templates Airflow renders are the bot's own`);
        // A connection id is a Jinja string (`conn.get('orders-pg.v2')`), never an attribute path that `-` or `.` would break.
        assert.doesNotMatch(other.content, /\{\{[^}]*\bconn\.(?!get\()/, `${file.path} reads a connection by attribute`);
        // Nothing a reader cannot see reaches code: invisible and direction-changing characters are escaped.
        if (!file.path.endsWith('.md')) assert.doesNotMatch(other.content, /[\u202e\u2028]/, `${file.path} holds an invisible character`);
      }
    });
  }
});

describe('templates in a request are refused by the spec, naming the field', () => {
  const base = () => ({
    dag_id: 'orders_customers_daily',
    description: 'Customers',
    schedule: '0 6 * * *',
    source: { type: 's3', conn_id: 'landing', bucket: 'landing', path: 'x/{{ ds }}.csv', format: 'csv', columns: [{ name: 'id', type: 'integer', comment: 'id' }] },
    target: { conn_id: 'lake', table: 'raw.customers' },
    load: { strategy: 'snapshot' },
    quality: [{ check: 'accepted_values', column: 'id', values: ['a'] }, { check: 'sql', name: 'none_bad', sql: 'SELECT count(*) FROM {{ target }} WHERE id < 0' }],
    transform: { sql: 'SELECT * FROM source' },
    owner: 'data',
  });
  const errorsOf = (object: Record<string, unknown>) => {
    const fields = Object.fromEntries(Object.entries(patchFromObject(object).set).map(([k, value]) => [k, { value, provenance: { kind: 'issue' as const } }]));
    return evaluateSpec(fields, defaultRepoConfig).errors.map((e) => `${e.path}: ${e.key}`);
  };

  test('the plain spec is accepted: file dates in source.path and {{ target }} in a sql check', () => {
    assert.deepEqual(errorsOf(base()), []);
  });

  const secret = '{{ conn.prod_admin.password }}';
  const cases: Array<[string, (o: ReturnType<typeof base>) => void]> = [
    ['description', (o) => void (o.description = `Customers ${secret}`)],
    ['owner', (o) => void (o.owner = `{% for x in y %}`)],
    ['source.path', (o) => void (o.source.path = `x/${secret}.csv`)],
    ['source.columns', (o) => void (o.source.columns[0]!.comment = `{# hidden #}`)],
    ['quality', (o) => void (o.quality[0] = { check: 'accepted_values', column: 'id', values: [secret] })],
    ['quality', (o) => void (o.quality[1] = { check: 'sql', name: 'none_bad', sql: `SELECT count(*) FROM {{ target }} WHERE id = '${secret}'` })],
    ['transform.sql', (o) => void (o.transform.sql = `SELECT '${secret}' AS leak FROM source`)],
  ];
  for (const [field, change] of cases) {
    test(`a template in ${field} is refused`, () => {
      const object = base();
      change(object);
      const errors = errorsOf(object);
      assert.ok(errors.some((e) => e.startsWith(field) && /: @jinja(_path)?$/.test(e)), errors.join('\n'));
    });
  }

  test('a notify address is an address: a template or anything else is refused', () => {
    for (const address of [`email:${secret}@evil.example`, 'email:"a b"@example.com', 'email:a@b', 'email:x@example.com,y@example.com']) {
      const errors = errorsOf({ ...base(), notify: { on_failure: [address] } });
      assert.ok(errors.some((e) => e.startsWith('notify.on_failure')), `${address}: ${errors.join('\n')}`);
    }
  });
});
