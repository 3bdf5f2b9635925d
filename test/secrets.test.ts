// Credential shapes, as secret scanners look for them: each is masked by the one redaction function, in
// the forms people paste them (env, YAML, JSON, SQL, URLs, tables); what is no credential stays as it is; and
// the scan is linear in the text, so one large issue cannot stall the bot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { redact, redactAll, redactDeep } from '../src/redact.ts';
import { findSecrets } from '../src/pipeline-spec/secrets.ts';
import { filesUnder, repoRoot } from './support/harness.ts';

// Values are built from parts so that no credential-shaped literal sits in the repository.
const repeat = (unit: string, n: number) => unit.repeat(n).slice(0, n);
const awsSecret = `wJalrXUtnFEMI/K7MDENG/${repeat('bPxRfiCY9zQk', 18)}`;
const awsKeyId = `AKIA${repeat('Q7ZX3MPL', 16)}`;
const githubToken = `ghp_${repeat('aB3dE6gH9j', 36)}`;
const gitlabToken = `glpat-${repeat('Xy7-Kp2_Qr', 20)}`;
const slackToken = `xoxb-123456789012-123456789012-${repeat('aBcD3fGh', 24)}`;
const sendgridKey = `SG.${repeat('aB3dE6gH9jK', 22)}.${repeat('Zx8Cv5Bn2Mq', 43)}`;
const openaiKey = `sk-proj-${repeat('Ab3De6Gh9J', 40)}`;
const anthropicKey = `sk-ant-api03-${repeat('Ab3De6Gh9J_-', 93)}AA`;
const npmToken = `npm_${repeat('aB3dE6gH9j', 36)}`;
const hfToken = `hf_${repeat('aBcDeFgHiJ', 34)}`;
const privateKeyBody = repeat('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 300);
const privateKey = `-----BEGIN RSA PRIVATE KEY-----\n${privateKeyBody.match(/.{1,64}/g)!.join('\n')}\n-----END RSA PRIVATE KEY-----`;

/** [text, the secret inside it that must not survive, what must stay readable (null: nothing says what it was)] */
const credentials: Array<[string, string, (string | null)?]> = [
  ['db_password=Hunter2-x', 'Hunter2-x', 'db_password='],
  ['export PGPASSWORD=Pg-S3cret', 'Pg-S3cret', 'PGPASSWORD='],
  ['MYSQL_PWD=my$ql-pw mysql -u etl', 'my$ql-pw', 'MYSQL_PWD='],
  ['client_secret=c1ient-s3cret-value', 'c1ient-s3cret-value', 'client_secret='],
  ['api_token: tok-98765-abcde', 'tok-98765-abcde', 'api_token:'],
  [`aws_secret_access_key=${awsSecret}`, awsSecret, 'aws_secret_access_key='],
  [`AWS_SECRET_ACCESS_KEY = "${awsSecret}"`, awsSecret],
  [`{"SecretAccessKey": "${awsSecret}", "AccessKeyId": "${awsKeyId}"}`, awsSecret, '"SecretAccessKey"'],
  [`the key is ${awsSecret} for the bucket`, awsSecret, null],
  [`AccessKeyId ${awsKeyId}`, awsKeyId, null],
  ['source:\n  password: "yaml pass phrase"\n  host: db', 'yaml pass phrase', 'host: db'],
  ['{"user": "etl", "password": "j50n-pw"}', 'j50n-pw', '"user": "etl"'],
  ["CREATE USER etl WITH PASSWORD 'sq1-pw';", 'sq1-pw', 'CREATE USER etl WITH PASSWORD'],
  ["CREATE USER 'etl'@'%' IDENTIFIED BY 'my5ql-pw';", 'my5ql-pw', 'IDENTIFIED BY'],
  ['| source_password | t4ble-pw |', 't4ble-pw', 'source_password'],
  ['spring.datasource.password=spr1ng-pw', 'spr1ng-pw'],
  ['postgresql://etl:p@ss@word@db.internal:5432/orders', 'p@ss@word', 'db.internal:5432/orders'],
  ['mysql://root:pa/ss@10.0.0.5/shop', 'pa/ss', '10.0.0.5/shop'],
  ['jdbc:postgresql://db:5432/orders?user=etl&password=jdbc-pw', 'jdbc-pw', 'user=etl'],
  ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc', 'eyJhbGciOiJIUzI1NiJ9'],
  ['curl -H "Authorization: Basic ZXRsOnMzY3IzdA=="', 'ZXRsOnMzY3IzdA=='],
  [`token ${githubToken}`, githubToken],
  [`GITLAB ${gitlabToken}`, gitlabToken.slice(6), 'glpat-'],
  [`slack ${slackToken}`, slackToken.slice(5)],
  [`sendgrid ${sendgridKey}`, sendgridKey.slice(3)],
  [`model ${openaiKey}`, openaiKey.slice(3)],
  [`claude ${anthropicKey}`, anthropicKey.slice(7)],
  [`//registry.npmjs.org/:_authToken=${npmToken}`, npmToken],
  [`hub ${hfToken}`, hfToken.slice(3)],
  [privateKey, privateKeyBody.slice(0, 64), '-----BEGIN RSA PRIVATE KEY-----'],
  ['passphrase: "open sesame 42"', 'open sesame 42'],
  ['"private_key": "pk-value-1234567"', 'pk-value-1234567'],
];

const harmless = [
  'Load public.orders into raw_orders.orders every day at 06:00, incremental on updated_at.',
  'load.keys: [order_id]',
  'primary_key: order_id',
  'tokens: 1200 input, 300 output',
  'LLM_TOKENS_PER_JOB=20000',
  'the password policy says rotate every 90 days',
  'password: ${DB_PASSWORD}',
  'password=<your password here>',
  '"SOURCE_PASSWORD": "{{ conn.orders_pg.password }}"',
  '.option("password", os.environ["SOURCE_PASSWORD"])',
  'https://gitlab.example.com/data/warehouse/-/merge_requests/1',
  'postgres://db.internal:5432/orders',
  "airflow connections add orders_pg --conn-uri 'postgres://<user>:<password>@<host>:<port>/<database>'",
  'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 on main',
  'Basic authentication is not used',
  'email me at alice@example.com',
  'sk-learn is a library',
];

describe('credential shapes', () => {
  for (const [text, secret, kept] of credentials) {
    test(`masks the credential in ${JSON.stringify(text.slice(0, 60))}`, () => {
      const out = redact(text);
      assert.ok(!out.includes(secret), `still there: ${out}`);
      assert.match(out, /\*\*\*\*/);
      if (kept) assert.ok(out.includes(kept), `${JSON.stringify(kept)} should stay readable: ${out}`);
      assert.equal(redact(out), out, 'redacting twice changes nothing more');
      if (kept !== null) assert.ok(findSecrets(out).length > 0, 'the masked text still tells the card that a credential was written here');
    });
  }
  for (const text of harmless) {
    test(`leaves ${JSON.stringify(text.slice(0, 60))} as it is`, () => assert.equal(redact(text), text));
  }

  test('no file Dagwright generates is changed by the redaction (it writes no credential, so nothing is masked)', () => {
    const files = filesUnder(path.join(repoRoot, 'fixtures/golden'));
    assert.ok(files.length > 50, `golden files found: ${files.length}`);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(redact(text), text, path.relative(repoRoot, file));
    }
  });

  test('many strings are redacted as one scan, each on its own: no mask reaches into the next string', () => {
    const strings = ['password=one-pw', 'plain text', `x ${githubToken}`, '', 'postgres://u:two-pw@h/db', 'tail'];
    assert.deepEqual(redactAll(strings), ['password=****', 'plain text', 'x ghp_****', '', 'postgres://u:****@h/db', 'tail']);
    assert.deepEqual(redactDeep({ a: [{ b: 'pwd=x1' }, 2, null], c: 'ok' }), { a: [{ b: 'pwd=****' }, 2, null], c: 'ok' });
  });

  test('a value nested deeper than the limit is cut, not walked into a stack overflow', () => {
    let deep: unknown = 'password=bottom-pw';
    for (let i = 0; i < 5_000; i++) deep = { x: deep };
    const out = JSON.stringify(redactDeep(deep));
    assert.ok(!out.includes('bottom-pw'));
    assert.match(out, /nested too deep/);
  });
});

describe('the scan is linear in the text', () => {
  // Texts that made the first version's patterns retry a long run at every position.
  const hostile: Record<string, (n: number) => string> = {
    'a.a.a.…key': (n) => `${repeat('a.', n)}key`,
    'a run of name characters': (n) => repeat('password_', n),
    'many "://"': (n) => repeat('a://b:', n),
    'user info without a host': (n) => `x://${repeat('u:p', n)}`,
    'many private key headers': (n) => repeat('-----BEGIN PRIVATE KEY-----\n', n),
    'many assignments': (n) => repeat('pwd=x ', n),
    'Slack-like runs': (n) => `xoxb-${repeat('a-', n)}`,
    'base64 runs': (n) => repeat('Ab3De6Gh9J+/', n),
  };
  const time = (text: string) => {
    const t0 = performance.now();
    redact(text);
    return performance.now() - t0;
  };
  for (const [name, make] of Object.entries(hostile)) {
    test(`${name}: 1 MB in well under a second, and ten times the text takes about ten times as long`, () => {
      const small = make(100_000);
      const large = make(1_000_000);
      time(small);
      const tSmall = Math.min(time(small), time(small));
      const tLarge = Math.min(time(large), time(large));
      assert.ok(tLarge < 1_500, `1 MB took ${tLarge.toFixed(0)} ms`);
      // Quadratic would be about 100 times (the first version: seconds); allow for a loaded machine.
      assert.ok(tLarge < Math.max(150, tSmall * 40), `100 kB: ${tSmall.toFixed(1)} ms, 1 MB: ${tLarge.toFixed(1)} ms`);
    });
  }
});
