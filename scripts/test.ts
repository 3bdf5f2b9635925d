// npm test: the whole suite with the store in SQLite, then the suites that run the bot again with the store in
// PostgreSQL (DAGWRIGHT_TEST_STORE=postgres): the store's interface is the same, and so must be what users see.
// One test file on the other engine: DAGWRIGHT_TEST_STORE=postgres node --test test/<file>.test.ts
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'test');
const files = (fs.readdirSync(testDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.test.ts')).sort();

/**
 * The suites that start the bot (in-process or as `dagwright serve`), and the Airflow 3 deploy tier (the bot's
 * deploy watches; the Airflow 2 one repeats that store work against the other Airflow). The `-postgres` suites
 * are on PostgreSQL in either pass.
 */
const runsTheBot = (file: string) =>
  !file.endsWith('-postgres.test.ts') && (file === 'airflow-deploy-af3.test.ts' || /\b(startStack|startBot|startServe)\(/.test(fs.readFileSync(path.join(testDir, file), 'utf8')));

function run(label: string, list: string[], env: NodeJS.ProcessEnv): number {
  console.log(`# ${label}: ${list.length} files`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...list.map((f) => path.join('test', f))], { cwd: root, env, stdio: 'inherit' });
  console.log(`# ${label}: ${result.status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`);
  return result.status ?? 1;
}

const sqlite = run('the store in SQLite', files, { ...process.env, DAGWRIGHT_TEST_STORE: 'sqlite' });
const postgres = run('the store in PostgreSQL', files.filter(runsTheBot), { ...process.env, DAGWRIGHT_TEST_STORE: 'postgres' });
process.exit(sqlite || postgres);
