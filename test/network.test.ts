// The network rules on their own: which proxy carries a URL, where git's remote is and what git is told,
// the network settings' errors, and failures said in plain words.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig, ConfigError } from '../src/config.ts';
import { asGitError } from '../src/git/failures.ts';
import { gitlabBaseUrl, isSshRemote, remoteUrlOf } from '../src/git/remote.ts';
import { Mirrors } from '../src/git/repository.ts';
import { remoteEnv } from '../src/git/run.ts';
import { explainNetworkFailure } from '../src/net/failure.ts';
import { describeRoute, maskProxyCredentials, proxyFor, proxySettingsFromEnv } from '../src/net/proxy-rule.ts';
import { tempDir } from './support/harness.ts';

const settings = (env: Record<string, string>) => proxySettingsFromEnv(env).settings;

describe('which proxy carries a request', () => {
  const env = { HTTP_PROXY: 'http://proxy.corp:3128', HTTPS_PROXY: 'proxy.corp:3129', NO_PROXY: 'internal.corp, .svc.cluster.local,10.0.0.0/8,gitlab.corp:8443,[fd00::1]' };

  test('http and https URLs take their own proxy; a proxy without a scheme is an http:// one', () => {
    assert.equal(proxyFor('http://gitlab.example.com/api/v4/user', settings(env)), 'http://proxy.corp:3128');
    assert.equal(proxyFor('https://gitlab.example.com/api/v4/user', settings(env)), 'http://proxy.corp:3129');
    assert.equal(proxyFor('https://gitlab.example.com/', settings({ HTTP_PROXY: 'http://proxy.corp:3128' })), undefined);
  });

  test('NO_PROXY: names and their subdomains, leading dots, CIDR ranges, host:port, IPv6', () => {
    const s = settings(env);
    assert.equal(proxyFor('https://internal.corp/', s), undefined);
    assert.equal(proxyFor('https://git.internal.corp/', s), undefined);
    assert.equal(proxyFor('https://notinternal.corp/', s), 'http://proxy.corp:3129');
    assert.equal(proxyFor('http://gitlab-webservice.gitlab.svc.cluster.local:8181/', s), undefined);
    assert.equal(proxyFor('https://10.20.30.40/', s), undefined);
    assert.equal(proxyFor('https://11.0.0.1/', s), 'http://proxy.corp:3129');
    assert.equal(proxyFor('https://gitlab.corp:8443/', s), undefined);
    assert.equal(proxyFor('https://gitlab.corp/', s), 'http://proxy.corp:3129');
    assert.equal(proxyFor('https://[fd00::1]:8080/', s), undefined);
    assert.equal(proxyFor('https://anything/', settings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' })), undefined);
  });

  test('loopback is never proxied unless PROXY_LOOPBACK asks for it', () => {
    for (const url of ['http://127.0.0.1:8080/', 'http://127.1.2.3/', 'http://localhost:3000/', 'http://api.localhost/', 'http://[::1]:9000/']) {
      assert.equal(proxyFor(url, settings(env)), undefined, url);
      assert.equal(proxyFor(url, settings({ ...env, NO_PROXY: '', PROXY_LOOPBACK: 'true' })), 'http://proxy.corp:3128', url);
    }
  });

  test('lower-case variables win; an empty one counts as unset', () => {
    assert.equal(proxyFor('http://x.example/', settings({ http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:2' })), 'http://lower:1');
    assert.equal(proxyFor('http://x.example/', settings({ http_proxy: '', HTTP_PROXY: 'http://upper:2' })), 'http://upper:2');
    assert.equal(proxyFor('http://internal.example/', settings({ HTTP_PROXY: 'http://p:1', no_proxy: 'internal.example' })), undefined);
  });

  test("a proxy's password is never shown; a proxy URL that is not one is refused by name", () => {
    assert.equal(maskProxyCredentials('http://bot:s3cr3t-Pw@proxy.corp:3128'), 'http://bot:****@proxy.corp:3128');
    assert.match(describeRoute('https://gitlab.example.com', settings({ HTTPS_PROXY: 'http://bot:s3cr3t-Pw@proxy.corp:3128' })), /^through the proxy http:\/\/bot:\*\*\*\*@proxy\.corp:3128$/);
    assert.equal(describeRoute('http://127.0.0.1:1', settings(env)), 'directly (loopback is never proxied; PROXY_LOOPBACK=true would send it through the proxy)');
    const { problems } = proxySettingsFromEnv({ HTTPS_PROXY: 'socks5://bot:s3cr3t-Pw@proxy.corp:1080' });
    assert.deepEqual(problems, ['HTTPS_PROXY must be the URL of an HTTP proxy, e.g. http://proxy.example.com:3128, got "socks5://bot:****@proxy.corp:1080"']);
  });
});

describe("git's remote and what git is told", () => {
  test('the remote is built from GITLAB_URL (relative root kept, /api/v4 dropped) or GIT_URL, never from a payload', () => {
    assert.equal(gitlabBaseUrl('https://host.corp/gitlab/api/v4/'), 'https://host.corp/gitlab');
    assert.equal(remoteUrlOf('https://host.corp/gitlab', 'data/warehouse'), 'https://host.corp/gitlab/data/warehouse.git');
    assert.equal(remoteUrlOf('ssh://git@host.corp:2222', 'data/warehouse'), 'ssh://git@host.corp:2222/data/warehouse.git');
    assert.equal(remoteUrlOf('git@host.corp:', 'data/warehouse'), 'git@host.corp:data/warehouse.git');
    assert.equal(isSshRemote('git@host.corp:data/warehouse.git'), true);
    assert.equal(isSshRemote('https://host.corp/data/warehouse.git'), false);
  });

  test("the token header is scoped to the token's address; the proxy and CA are git's own settings", () => {
    const env = remoteEnv({ token: 'glpat-abc', tokenScope: 'https://host.corp/gitlab', proxyFor: () => 'http://proxy.corp:3128', caFile: '/data/tls/ca.pem' }, 'https://host.corp/gitlab/data/warehouse.git');
    const config = Object.fromEntries(Array.from({ length: Number(env.GIT_CONFIG_COUNT) }, (_, i) => [env[`GIT_CONFIG_KEY_${i}`], env[`GIT_CONFIG_VALUE_${i}`]]));
    assert.deepEqual(Object.keys(config), ['http.https://host.corp/gitlab/.extraHeader', 'http.proxy', 'http.sslCAInfo']);
    assert.equal(config['http.proxy'], 'http://proxy.corp:3128');
    assert.equal(config['http.sslCAInfo'], '/data/tls/ca.pem');
    // Direct: an empty http.proxy, so a proxy in git's own configuration is not used either.
    assert.equal(remoteEnv({ token: 't', tokenScope: 'https://host.corp' }, 'https://host.corp/a/b.git').GIT_CONFIG_VALUE_1, '');
  });

  test('over SSH: the deploy key and known hosts, and no token', () => {
    const env = remoteEnv({ token: 'glpat-abc', tokenScope: 'https://host.corp', ssh: { keyFile: "/keys/deploy key's", knownHostsFile: '/keys/known_hosts', strictHostKeyChecking: 'yes' } }, 'git@host.corp:data/warehouse.git');
    assert.equal(env.GIT_SSH_COMMAND, `ssh -i '/keys/deploy key'\\''s' -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile='/keys/known_hosts' -o StrictHostKeyChecking=yes`);
    assert.equal(JSON.stringify(env).includes('glpat-abc'), false);
  });

  test('a remote on another host gets no token from git, even when it asks for one', async () => {
    const seen: Array<string | undefined> = [];
    const other = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const mirrors = new Mirrors(tempDir(), { token: 'glpat-never-elsewhere', tokenScope: 'http://127.0.0.1:1/gitlab' });
      await assert.rejects(mirrors.fetch(1, `http://127.0.0.1:${(other.address() as AddressInfo).port}/data/warehouse.git`));
      assert.ok(seen.length >= 1);
      assert.deepEqual(seen.filter(Boolean), []);
    } finally {
      other.close();
    }
  });
});

describe('the network settings', () => {
  const base = { GITLAB_URL: 'https://gitlab.corp/gitlab/api/v4', GITLAB_TOKEN: 't', WEBHOOK_SECRET: 's', DATA_DIR: tempDir() };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  test('GITLAB_URL may name the API; git and the API use the base', () => {
    const config = loadConfig(base);
    assert.equal(config.gitlabUrl, 'https://gitlab.corp/gitlab');
    assert.equal(config.git.base, 'https://gitlab.corp/gitlab');
    assert.equal(config.git.tokenScope, 'https://gitlab.corp/gitlab');
  });

  test('each problem names its variable and what to set', () => {
    assert.deepEqual(problemsOf({ CA_BUNDLE: '/nowhere/ca.pem' }), ['CA_BUNDLE: cannot read /nowhere/ca.pem (no such file)']);
    const notPem = path.join(tempDir(), 'ca.pem');
    fs.writeFileSync(notPem, 'not a certificate\n');
    assert.match(problemsOf({ CA_BUNDLE: notPem })[0]!, /^CA_BUNDLE: \S+ca\.pem holds no PEM certificate/);
    assert.deepEqual(problemsOf({ GIT_URL: 'ftp://git.corp' }), ['GIT_URL must be an https://, http:// or ssh:// URL (or git@host: for SSH), got "ftp://git.corp"']);
    assert.deepEqual(problemsOf({ GIT_URL: 'ssh://git@gitlab.corp' }), ['GIT_SSH_KEY is missing: GIT_URL is an SSH address, so git needs the private key of a deploy key with write access']);
    assert.match(problemsOf({ GIT_SSH_KEY: '/keys/deploy' })[0]!, /^GIT_SSH_KEY is set, but git reaches GitLab over HTTP: set GIT_URL/);
  });

  test('GIT_URL over SSH: without known hosts, the first key seen is kept under DATA_DIR', () => {
    const key = path.join(tempDir(), 'deploy');
    fs.writeFileSync(key, 'key');
    const config = loadConfig({ ...base, GIT_URL: 'git@gitlab.corp:', GIT_SSH_KEY: key });
    assert.equal(config.git.base, 'git@gitlab.corp:');
    assert.deepEqual(config.git.ssh, { keyFile: key, knownHostsFile: path.join(base.DATA_DIR, 'git', 'known_hosts'), strictHostKeyChecking: 'accept-new' });
  });
});

describe('failures in plain words', () => {
  test("fetch's causes: a certificate, a refused connection, a name, a proxy", () => {
    const failed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });
    assert.match(explainNetworkFailure(failed({ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }), 'https://gitlab.corp/api/v4/user'), /^the certificate of gitlab\.corp is signed by an authority this machine does not trust \(SELF_SIGNED_CERT_IN_CHAIN\): set CA_BUNDLE/);
    assert.match(explainNetworkFailure(failed(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' })])), 'https://gitlab.corp'), /^nothing accepts connections at gitlab\.corp/);
    assert.match(explainNetworkFailure(failed({ code: 'ENOTFOUND' }), 'https://gitlab.corp'), /^the name gitlab\.corp does not resolve/);
    assert.match(explainNetworkFailure(failed(new Error('Proxy response (403) !== 200 when HTTP Tunneling')), 'https://gitlab.corp'), /^the proxy refused to carry the request to gitlab\.corp \(it answered 403\)/);
    assert.match(explainNetworkFailure(failed({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames: Host: gitlab.corp. is not in the cert's altnames: DNS:other.corp" }), 'https://gitlab.corp'), /^the certificate gitlab\.corp shows is for another name/);
  });

  test("git's certificate and proxy failures say what to set", () => {
    const certificate = asGitError(new Error("git fetch exited with 128: fatal: unable to access 'https://gitlab.corp/data/warehouse.git/': server certificate verification failed. CAfile: none CRLfile: none"), 'fetching the repository');
    assert.match(certificate.message, /^fetching the repository failed: git does not trust the certificate of GitLab's address \(unable to access .*server certificate verification failed.*\): set CA_BUNDLE/);
    assert.equal(certificate.name, 'Error');
    const proxy = asGitError(new Error("git fetch exited with 128: fatal: unable to access 'https://gitlab.corp/x.git/': Received HTTP code 403 from proxy after CONNECT"), 'fetching the repository');
    assert.match(proxy.message, /the proxy refused to carry git's request \(Received HTTP code 403 from proxy after CONNECT\)/);
  });
});
