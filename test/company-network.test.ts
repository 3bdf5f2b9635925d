// GitLab inside a company network, with real parts on this machine: a forward proxy (tinyproxy) that logs what
// it carries, the GitLab stand-in over HTTPS with a certificate from a CA made here, under a relative URL root,
// and with payloads that name an external address the bot must not use. The bot runs as `dagwright serve`
// in its own process, so its proxy and trust settings are those an operator's environment gives it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGitLabStandIn, type GitLabStandIn, type GitLabStandInOptions } from '../src/gitlab-standin/index.ts';
import type { Project, User } from '../src/gitlab-standin/model.ts';
import { seedGitLabStandIn } from '../src/gitlab-standin/seed.ts';
import { startForwardProxy, hasTinyproxy, type ForwardProxy } from './support/forward-proxy.ts';
import { repoRoot, tempDir, waitFor, WEBHOOK_SECRET, hookSecretFor } from './support/harness.ts';
import { requestText } from './support/record-deliveries.ts';
import { mainScript, startServe, type Server } from './support/serve.ts';
import { makeTestCa, type TestCa } from './support/test-ca.ts';
import { startOpenAIServer } from './support/openai-server.ts';

/** An address of this machine other than loopback: what reaches GitLab through a proxy must not be loopback. */
function outwardAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

function tierMissing(): string | false {
  const missing = !hasTinyproxy()
    ? 'tinyproxy is not installed: run `npm run test:setup`'
    : spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0
      ? 'openssl is not installed: run `npm run test:setup`'
      : !outwardAddress()
        ? 'this machine has no address besides loopback, and loopback is never proxied'
        : undefined;
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires the company-network tier: ${missing}`);
  console.log(`# skipped: ${missing}`);
  return missing;
}

type Seeded = { standIn: GitLabStandIn; alice: User; bot: User; project: Project };

async function seeded(options: GitLabStandInOptions): Promise<Seeded> {
  const standIn = await startGitLabStandIn(options);
  return { standIn, ...(await seedGitLabStandIn(standIn, path.join(repoRoot, 'fixtures/gitlab-standin-repo'))) };
}

/** Opens a complete request, comments /generate, and waits for the merge request; the bot's notes on the issue. */
async function generate(site: Seeded, server: Server): Promise<{ mrUrl: string; notes: string[] }> {
  const { standIn, alice, bot, project } = site;
  standIn.addHook(project, `http://127.0.0.1:${server.port}/webhooks/gitlab`, { token: hookSecretFor(project.id) });
  const issue = standIn.openIssue(project, alice, { title: 'Load customers daily', description: requestText });
  await standIn.comment(project, { issue: issue.iid }, alice, '/generate');
  const mr = await waitFor(() => project.mergeRequests.find((m) => m.sourceBranch.endsWith('orders_customers_daily')), { what: 'the merge request', timeoutMs: 60_000 });
  await waitFor(() => project.notes.some((n) => n.noteableId === issue.id && n.authorId === bot.id && n.body.includes(`!${mr.iid}`)), { what: 'the reply naming the merge request', timeoutMs: 30_000 });
  const notes = project.notes.filter((n) => n.noteableId === issue.id && n.authorId === bot.id).map((n) => n.body);
  return { mrUrl: `${project.pathWithNamespace}!${mr.iid}`, notes };
}

function botEnv(site: Seeded, extra: Record<string, string> = {}): Record<string, string> {
  // The machine's own proxy settings, if any, are not this test's.
  const env: Record<string, string> = { GITLAB_URL: site.standIn.url, GITLAB_TOKEN: site.bot.token, WEBHOOK_SECRET, DATA_DIR: tempDir() };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'CA_BUNDLE', 'NODE_EXTRA_CA_CERTS']) env[name] = '';
  return { ...env, ...extra };
}

/** `dagwright doctor` in its own process: exit code and output. */
function doctor(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mainScript, 'doctor'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const skip = tierMissing();

describe('GitLab in a company network', { skip }, () => {
  let proxy: ForwardProxy;
  let ca: TestCa;
  const outward = outwardAddress()!;
  const servers: Server[] = [];
  const sites: Seeded[] = [];
  before(async () => {
    proxy = await startForwardProxy();
    ca = makeTestCa(['127.0.0.1', outward]);
  });
  after(async () => {
    for (const server of servers) await server.killHard();
    for (const site of sites) await site.standIn.close();
    await proxy?.close();
  });
  const serve = async (env: Record<string, string>) => {
    const server = await startServe(env);
    servers.push(server);
    return server;
  };
  const site = async (options: GitLabStandInOptions) => {
    const made = await seeded(options);
    sites.push(made);
    return made;
  };

  test("a payload naming another host: git and the API go to GITLAB_URL's address, the token nowhere else", async () => {
    // GitLab's external URL is a server that records whatever reaches it.
    const elsewhere: Array<{ url?: string; authorization?: string }> = [];
    const decoy = http.createServer((req, res) => {
      elsewhere.push({ url: req.url, authorization: req.headers.authorization ?? (req.headers['private-token'] as string | undefined) });
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    try {
      const externalUrl = `http://127.0.0.1:${(decoy.address() as AddressInfo).port}`;
      const gitlab = await site({ externalUrl });
      const server = await serve(botEnv(gitlab));
      const { notes } = await generate(gitlab, server);
      assert.deepEqual(elsewhere, [], 'nothing reached the address the payloads name');
      // Links in comments are GitLab's external ones: that is where people open it.
      assert.ok(notes.some((n) => n.includes(`${externalUrl}/data/warehouse/-/merge_requests/`)), notes.join('\n---\n'));
      const gitRequests = gitlab.standIn.requests.filter((r) => r.path.startsWith('/data/warehouse.git/'));
      assert.ok(gitRequests.some((r) => r.path.endsWith('/git-receive-pack') && r.status === 200), 'the branch was pushed to GITLAB_URL');
    } finally {
      decoy.close();
    }
  });

  test('GitLab under a relative URL root (/gitlab): the API, git and the links in comments work', async () => {
    const gitlab = await site({ relativeUrlRoot: '/gitlab' });
    assert.match(gitlab.standIn.url, /\/gitlab$/);
    const server = await serve(botEnv(gitlab));
    const { notes } = await generate(gitlab, server);
    const paths = gitlab.standIn.requests.map((r) => r.path);
    assert.ok(paths.some((p) => p.startsWith('/gitlab/api/v4/')), 'the API under /gitlab');
    assert.ok(paths.some((p) => p === '/gitlab/data/warehouse.git/git-receive-pack'), 'git under /gitlab');
    assert.equal(paths.filter((p) => !p.startsWith('/gitlab/')).length, 0, `requests outside /gitlab: ${paths.filter((p) => !p.startsWith('/gitlab/')).join(', ')}`);
    assert.ok(notes.some((n) => n.includes(`${gitlab.standIn.url}/data/warehouse/-/merge_requests/`)), notes.join('\n---\n'));
  });

  test("GitLab with a certificate from the company's CA: refused without CA_BUNDLE, and doctor says why; trusted with it", async () => {
    const gitlab = await site({ tls: { key: ca.key, cert: ca.cert } });
    assert.match(gitlab.standIn.url, /^https:/);
    const untrusted = await doctor({ ...botEnv(gitlab), ALLOWED_PROJECTS: 'data/warehouse' });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.out, /✘ GitLab: GitLab could not be reached: GET https:\/\/127\.0\.0\.1:\d+\/api\/v4\/user failed: the certificate of 127\.0\.0\.1:\d+ is signed by an authority this machine does not trust \(\w+\): set CA_BUNDLE/);
    assert.match(untrusted.out, /– certificates: Node's own authorities; set CA_BUNDLE/);

    const trusted = await doctor({ ...botEnv(gitlab, { CA_BUNDLE: ca.caFile }), ALLOWED_PROJECTS: 'data/warehouse' });
    assert.match(trusted.out, /✔ certificates: CA_BUNDLE=\S+ca\.pem adds 1 authority to Node's own, for every client and git \(O=Dagwright tests, CN=Company Test CA\)/);
    assert.match(trusted.out, /✔ GitLab at https:\/\/127\.0\.0\.1:\d+ knows the token/);
    assert.match(trusted.out, /✔ data\/warehouse: git reaches https:\/\/127\.0\.0\.1:\d+\/data\/warehouse\.git \(1 branches\)/);

    const server = await serve(botEnv(gitlab, { CA_BUNDLE: ca.caFile }));
    await generate(gitlab, server);
    assert.ok(gitlab.standIn.requests.some((r) => r.path === '/data/warehouse.git/git-receive-pack' && r.status === 200), 'git pushed over HTTPS');
  });

  test('through a forward proxy: the API and git go through it, loopback does not', async () => {
    const gitlab = await site({ host: outward });
    const before = proxy.carried().length;
    const server = await serve(botEnv(gitlab, { HTTP_PROXY: proxy.url, http_proxy: proxy.url }));
    await generate(gitlab, server);
    const carried = proxy.carried().slice(before);
    const origin = gitlab.standIn.url;
    assert.ok(carried.some((line) => line.startsWith(`GET ${origin}/api/v4/user `)), carried.join('\n'));
    assert.ok(carried.some((line) => line.startsWith(`POST ${origin}/api/v4/projects/`)), 'API writes go through the proxy');
    assert.ok(carried.some((line) => line.startsWith(`GET ${origin}/data/warehouse.git/info/refs?service=git-upload-pack `)), 'git fetch goes through the proxy');
    assert.ok(carried.some((line) => line.startsWith(`POST ${origin}/data/warehouse.git/git-receive-pack `)), 'git push goes through the proxy');

    // The model and Airflow go through the same proxy (doctor calls both).
    const model = await startOpenAIServer({ host: outward, respond: () => ({ content: 'ready' }) });
    const airflowAsked: string[] = [];
    const airflow = http.createServer((req, res) => {
      airflowAsked.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => airflow.listen(0, outward, resolve));
    const airflowUrl = `http://${outward}:${(airflow.address() as AddressInfo).port}`;
    try {
      const mark = proxy.carried().length;
      const doctorSays = await doctor({
        ...botEnv(gitlab, { HTTP_PROXY: proxy.url, NO_PROXY: 'internal.example' }),
        ALLOWED_PROJECTS: 'data/warehouse',
        LLM_BASE_URL: model.url,
        LLM_MODEL: 'local',
        AIRFLOW_URL: airflowUrl,
        AIRFLOW_TOKEN: 'airflow-token-for-the-proxy-test',
      });
      assert.match(doctorSays.out, new RegExp(`✔ proxy: GitLab at ${origin.replace(/[.]/g, '\\.')} is reached through the proxy ${proxy.url.replace(/[.]/g, '\\.')}`));
      assert.match(doctorSays.out, /✔ model local at \S+ answers/);
      const viaProxy = proxy.carried().slice(mark);
      assert.ok(viaProxy.some((l) => l.startsWith(`POST ${model.url}/chat/completions `)), viaProxy.join('\n'));
      assert.ok(airflowAsked.length > 0 && viaProxy.some((l) => l.startsWith(`GET ${airflowUrl}/`)), viaProxy.join('\n'));
      assert.ok(viaProxy.some((l) => l.startsWith(`GET ${origin}/data/warehouse.git/info/refs`)), "doctor's git check goes through the proxy too");
    } finally {
      await model.close();
      airflow.close();
    }

    // The same bot against a GitLab on loopback: direct, the proxy carries nothing.
    const local = await site({});
    const mark = proxy.carried().length;
    const direct = await serve(botEnv(local, { HTTP_PROXY: proxy.url, http_proxy: proxy.url }));
    await generate(local, direct);
    assert.deepEqual(proxy.carried().slice(mark), []);
  });

  test('HTTPS through the proxy: tunnelled with CONNECT, the company CA trusted', async () => {
    const gitlab = await site({ host: outward, tls: { key: ca.key, cert: ca.cert } });
    const before = proxy.carried().length;
    const server = await serve(botEnv(gitlab, { HTTPS_PROXY: proxy.url, CA_BUNDLE: ca.caFile }));
    await generate(gitlab, server);
    const host = new URL(gitlab.standIn.url).host;
    const tunnels = proxy.carried().slice(before).filter((line) => line.startsWith(`CONNECT ${host} `));
    // One tunnel at least for the API (fetch keeps it open) and one per git command.
    assert.ok(tunnels.length >= 3, proxy.carried().slice(before).join('\n'));
    assert.ok(gitlab.standIn.requests.some((r) => r.path === '/data/warehouse.git/git-receive-pack' && r.status === 200));
  });
});
