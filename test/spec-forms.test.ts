// The request forms, and finding and masking credentials.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyCommand, newConversation, readComment, readIssue } from '../src/conversation/state.ts';
import { firstParagraph, parseDdlColumns, parseQualityList, parseRequestText } from '../src/pipeline-spec/forms.ts';
import { checkPatch } from '../src/pipeline-spec/patch.ts';
import { findSecrets, proposeSource } from '../src/pipeline-spec/secrets.ts';
import { redact } from '../src/redact.ts';

describe('request forms', () => {
  test('a yaml block: nested fields become dotted paths', () => {
    const parsed = parseRequestText('Here it is:\n\n```yaml\ndag_id: orders_daily\nsource:\n  type: postgres\n  table: public.orders\nload: {strategy: incremental, watermark: updated_at}\n```');
    assert.equal(parsed.structured, true);
    assert.deepEqual(parsed.set, { dag_id: 'orders_daily', 'source.type': 'postgres', 'source.table': 'public.orders', 'load.strategy': 'incremental', 'load.watermark': 'updated_at' });
  });

  test('a yml block that does not parse is one problem with its line', () => {
    const parsed = parseRequestText('```yml\ndag_id: a\n  bad: [\n```');
    assert.equal(parsed.problems[0]!.key, '@yaml');
    assert.ok(Number(parsed.problems[0]!.params!.line) >= 1);
    assert.deepEqual(parsed.set, {});
  });

  test('a block in another language is not read as a request', () => {
    assert.equal(parseRequestText('```python\ndag_id = "x"\n```').structured, false);
  });

  test('key: value lines with dotted paths; values typed as YAML reads them', () => {
    const parsed = parseRequestText('schedule: 0 * * * *\nsource.table: public.orders\nretries: 3\ncatchup: false\ntags: [orders, pii]\nschedule_note: ignored\nNote: this is prose');
    assert.deepEqual(parsed.set, { schedule: '0 * * * *', 'source.table': 'public.orders', retries: 3, catchup: false, tags: ['orders', 'pii'] });
  });

  test('field lines in code blocks and quotes are not read', () => {
    assert.deepEqual(parseRequestText('```\nschedule: 0 1 * * *\n```\n> schedule: 0 2 * * *').set, {});
  });

  test('the parameter table, with its field mapping and the old strategy names', () => {
    const table = [
      'Load the customers into the lake every morning.',
      '',
      '| Parameter | Value |',
      '|-----------|-------|',
      '| DAG ID | orders_customers_daily |',
      '| source_database | orders_pg |',
      '| source_table | public.customers |',
      '| source_table_ddl | CREATE TABLE public.customers (customer_id uuid NOT NULL, email varchar(100), updated_at timestamp, PRIMARY KEY (customer_id)) |',
      '| interval | daily |',
      '| required_transformations | SELECT customer_id, lower(email) AS email, updated_at FROM source |',
      '| target_table | raw_orders.customers |',
      '| target_storing_type | partition |',
      '| capture_changes_column | updated_at |',
      '| data_quality | not_null(customer_id), unique(customer_id), row_count >= 1 |',
    ].join('\n');
    const parsed = checkPatch(parseRequestText(table, { description: true }));
    assert.deepEqual(parsed.set, {
      dag_id: 'orders_customers_daily',
      'source.conn_id': 'orders_pg',
      'source.table': 'public.customers',
      'source.columns': [
        { name: 'customer_id', type: 'uuid', nullable: false, key: true },
        { name: 'email', type: 'varchar(100)' },
        { name: 'updated_at', type: 'timestamp' },
      ],
      schedule: '@daily',
      'transform.sql': 'SELECT customer_id, lower(email) AS email, updated_at FROM source',
      'target.table': 'raw_orders.customers',
      'load.strategy': 'incremental',
      'load.watermark': 'updated_at',
      quality: [
        { check: 'not_null', columns: ['customer_id'] },
        { check: 'unique', columns: ['customer_id'] },
        { check: 'row_count', min: 1 },
      ],
      description: 'Load the customers into the lake every morning.',
    });
    assert.deepEqual(parsed.notes.map((n) => [n.key, n.params]), [['@alias', { from: 'partition', to: 'incremental' }]]);
  });

  test('the parameter table with a connection URL carrying a password: the password is kept nowhere', () => {
    const text = '| Parameter | Value |\n|---|---|\n| source_database | postgresql://etl:Sup3r-Secret@db.internal:5432/orders?sslmode=require |\n| source_table | public.customers |\n| target_storing_type | full |';
    // As the bot sees it: deliveries are redacted at intake.
    const seen = redact(text);
    assert.doesNotMatch(seen, /Sup3r-Secret/);
    const state = readIssue(newConversation(), 'Customers', seen).state;
    assert.deepEqual(state.fields['source.type'], { value: 'postgres', provenance: { kind: 'secret', user: undefined } });
    assert.deepEqual(state.fields['source.conn_id']?.value, 'orders_pg');
    assert.deepEqual(state.fields['source.system']?.value, 'orders');
    assert.deepEqual(state.fields['load.strategy']?.value, 'snapshot');
    assert.deepEqual(state.secrets.map((s) => s.masked), ['postgresql://etl:****@db.internal:5432/orders?sslmode=require']);
    assert.doesNotMatch(JSON.stringify(state), /Sup3r|postgresql:\/\/etl:[^*]/);
    // Even unredacted text gives no password to the spec.
    const raw = readIssue(newConversation(), 'Customers', text).state;
    assert.doesNotMatch(JSON.stringify(raw.fields), /Sup3r/);
  });

  test('/set and /unset', () => {
    let state = newConversation();
    state = applyCommand(state, { set: ['schedule=0 6 * * *', 'retries=4', 'tags=[a, b]', 'description="two words"'] }, 'alice').state;
    assert.deepEqual(
      Object.fromEntries(Object.entries(state.fields).map(([k, f]) => [k, f.value])),
      { schedule: '0 6 * * *', retries: 4, tags: ['a', 'b'], description: 'two words' },
    );
    assert.deepEqual(state.fields.retries!.provenance, { kind: 'command', user: 'alice' });
    const turn = applyCommand(state, { unset: ['retries', 'bogus'], set: ['nokey'] }, 'alice');
    assert.equal('retries' in turn.state.fields, false);
    assert.deepEqual(turn.problems.map((p) => p.key).sort(), ['@set_syntax', '@unknown_field']);
  });

  test('provenance: issue, comment by @user; an issue edit replaces the issue\'s fields but not later comments\'', () => {
    let state = readIssue(newConversation(), 'T', 'dag_id: one_two\nschedule: "@daily"\nretries: 1').state;
    state = readComment(state, 'schedule: "@hourly"', 'bob', { addressedToBot: false }).state;
    assert.deepEqual(state.fields.schedule, { value: '@hourly', provenance: { kind: 'comment', user: 'bob' } });
    state = readIssue(state, 'T', 'dag_id: one_three\nschedule: "@weekly"').state;
    assert.deepEqual(state.fields.dag_id, { value: 'one_three', provenance: { kind: 'issue' } });
    assert.deepEqual(state.fields.schedule!.value, '@hourly', 'the later comment stays');
    assert.equal('retries' in state.fields, false, 'a field removed from the issue goes');
  });

  test('DDL columns, quality lists and the description paragraph', () => {
    assert.deepEqual(parseDdlColumns('id bigint primary key\nname text not null\ncreated_at timestamptz default now()'), [
      { name: 'id', type: 'bigint', key: true, nullable: false },
      { name: 'name', type: 'text', nullable: false },
      { name: 'created_at', type: 'timestamptz' },
    ]);
    assert.deepEqual(parseQualityList('accepted_values(country: US|DE), freshness(updated_at, 1d)'), [
      { check: 'accepted_values', column: 'country', values: ['US', 'DE'] },
      { check: 'freshness', column: 'updated_at', max_age: '1d' },
    ]);
    assert.equal(parseQualityList('make sure the emails look right'), undefined);
    assert.equal(firstParagraph('# Title\n\nLoads the orders\nevery night.\n\ndag_id: x_y_z'), 'Loads the orders every night.');
  });

  test('a text over the size limit is not read', () => {
    const parsed = parseRequestText(`dag_id: abc_def\n${'x'.repeat(70_000)}`);
    assert.deepEqual(parsed.set, {});
    assert.equal(parsed.problems[0]!.key, '@too_long');
  });
});

describe('credentials in request text', () => {
  const found: Array<[string, string, string]> = [
    ['postgres://etl:hunter2@db:5432/orders', 'uri', 'postgres://etl:****@db:5432/orders'],
    ['postgresql://u:p@10.0.0.1/warehouse', 'uri', 'postgresql://u:****@10.0.0.1/warehouse'],
    ['mysql://root:toor@mysql.internal/shop', 'uri', 'mysql://root:****@mysql.internal/shop'],
    ['mariadb://app:pa$$w0rd@maria:3306/app', 'uri', 'mariadb://app:****@maria:3306/app'],
    ['mssql://sa:Passw0rd!@sql01/erp', 'uri', 'mssql://sa:****@sql01/erp'],
    ['oracle://scott:tiger@ora:1521/ORCL', 'uri', 'oracle://scott:****@ora:1521/ORCL'],
    ['clickhouse://default:secret@ch:8123/events', 'uri', 'clickhouse://default:****@ch:8123/events'],
    ['sftp://ftpuser:ftppass@files.example.com/in', 'uri', 'sftp://ftpuser:****@files.example.com/in'],
    ['https://bot:tok@gitlab.example.com/x.git', 'uri', 'https://bot:****@gitlab.example.com/x.git'],
    ['jdbc via postgresql+psycopg2://a:b@h/d', 'uri', 'postgresql+psycopg2://a:****@h/d'],
    ['already masked: postgres://etl:****@db/orders', 'uri', 'postgres://etl:****@db/orders'],
    ['password=hunter2', 'password', 'password=****'],
    ['PASSWORD = "correct horse"', 'password', 'PASSWORD = ****'],
    ["pwd='x1y2z3'", 'password', 'pwd=****'],
    ['passwd: letmein', 'password', 'passwd: ****'],
    ['host=db user=etl password=s3cr3t dbname=orders', 'password', 'password=****'],
    ['"password": "abc123"', 'password', 'password": ****'],
    ['Server=sql;Pwd=Tr0ub4dor&3;', 'password', 'Pwd=****'],
    ['token glpat-AbCdEfGhIjKlMnOpQrSt', 'token', 'glpat-****'],
    ['deploy gldt-0123456789abcdefghij', 'token', 'gldt-****'],
    ['runner glrt-0123456789abcdefghijkl', 'token', 'glrt-****'],
    ['key sk-abcdefghijklmnopqrstuvwxyz012345', 'token', 'sk-****'],
    ['key sk-proj-abcdefghijklmnopqrstuvwx', 'token', 'sk-****'],
    ['masked glpat-****', 'token', 'glpat-****'],
  ];
  const notFound = [
    'postgres://db.internal:5432/orders',
    'https://gitlab.example.com/group/project',
    'password= ',
    'password=<your password here>',
    'password: ${DB_PASSWORD}',
    'the password policy says rotate every 90 days',
    'tokens: 1200',
    'sk-learn is a library',
    'email me at alice@example.com',
    'conn_id: orders_pg',
  ];

  test(`the corpus has at least 30 strings (${found.length + notFound.length})`, () => assert.ok(found.length + notFound.length >= 30));
  for (const [text, kind, masked] of found) {
    test(`finds ${kind} in ${JSON.stringify(text)}`, () => {
      const findings = findSecrets(text);
      assert.ok(findings.some((f) => f.kind === kind && f.masked.includes(masked)), JSON.stringify(findings));
      for (const f of findings) assert.match(f.masked, /\*\*\*\*/);
      assert.match(redact(text), /\*\*\*\*/, 'the redaction masks it too');
    });
  }
  for (const text of notFound) {
    test(`finds nothing in ${JSON.stringify(text)}`, () => assert.deepEqual(findSecrets(text), []));
  }

  test('a URL proposes the source type, a conn_id and the system', () => {
    const [finding] = findSecrets('postgresql://etl:x@db.internal:5432/orders');
    assert.deepEqual(proposeSource(finding!), { type: 'postgres', conn_id: 'orders_pg', system: 'orders' });
    const [mysql] = findSecrets('mysql://u:p@shop-db.example.com');
    assert.deepEqual(proposeSource(mysql!), { type: 'mysql', conn_id: 'shop_db_mysql', system: 'shop_db' });
  });
});
