// Records the deliveries in fixtures/deliveries/ from the stand-in, set up as `dagwright gitlab-standin` sets itself
// up (users root, alice, dagwright; project data/warehouse), so that they replay against such a stand-in.
//
//   node test/support/record-deliveries.ts
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startGitLabStandIn } from '../../src/gitlab-standin/index.ts';
import { seedGitLabStandIn } from '../../src/gitlab-standin/seed.ts';
import { repoRoot } from './harness.ts';

export const requestText = [
  'Daily copy of customers from the orders database to the lake.',
  '',
  '```yaml',
  'dag_id: orders_customers_daily',
  'schedule: "0 6 * * *"',
  'source: {type: postgres, conn_id: orders_pg, table: public.customers}',
  'target: {conn_id: lake, table: raw_orders.customers}',
  'load: {strategy: snapshot}',
  '```',
].join('\n');

/** The seeded stand-in of `dagwright gitlab-standin` (same users, ids and project). */
export async function seededStandIn() {
  const standIn = await startGitLabStandIn();
  return { standIn, ...(await seedGitLabStandIn(standIn, path.join(repoRoot, 'fixtures/gitlab-standin-repo'))) };
}

async function record(): Promise<void> {
  const received: Array<{ headers: Record<string, string>; body: unknown }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-gitlab') || k === 'idempotency-key' || k === 'user-agent' || k === 'content-type')) as Record<string, string>;
      delete headers['x-gitlab-token'];
      received.push({ headers, body: JSON.parse(body) });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { standIn, alice, project } = await seededStandIn();
  standIn.addHook(project, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const issue = standIn.openIssue(project, alice, { title: 'Load customers daily', description: requestText });
  await standIn.comment(project, { issue: issue.iid }, alice, 'What can you do?\n/help');
  await standIn.settled();
  const out = path.join(repoRoot, 'fixtures/deliveries');
  fs.writeFileSync(path.join(out, 'issue-open-pipeline-request.json'), `${JSON.stringify(received[0], null, 2)}\n`);
  fs.writeFileSync(path.join(out, 'note-help-on-issue.json'), `${JSON.stringify(received[1], null, 2)}\n`);
  await standIn.close();
  server.close();
  console.log(`recorded ${received.length} deliveries into ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await record();
