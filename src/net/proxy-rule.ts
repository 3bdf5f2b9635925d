// Which proxy, if any, carries a request: one rule for every outbound client (GitLab's API, git, the model,
// Airflow, MCP servers over HTTP), read from HTTP_PROXY, HTTPS_PROXY and NO_PROXY as curl reads them.
import net from 'node:net';
import { MASK } from '../secret-scan.ts';

export type ProxySettings = {
  /** The proxy for http:// URLs (HTTP_PROXY). */
  http?: string;
  /** The proxy for https:// URLs (HTTPS_PROXY). */
  https?: string;
  /** NO_PROXY's entries, as written. */
  noProxy: string[];
  /** Whether loopback addresses go through the proxy too (PROXY_LOOPBACK); they never do by default. */
  proxyLoopback: boolean;
};

export const NO_PROXY_SETTINGS: ProxySettings = { noProxy: [], proxyLoopback: false };

/** The lower-case variable wins over the upper-case one, as in curl and most tools; an empty one is unset. */
function either(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name.toLowerCase()]?.trim() || env[name.toUpperCase()]?.trim() || undefined;
}

/** A proxy URL without a scheme (`proxy:3128`) is an http:// one, as curl takes it. */
function withScheme(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

/** The proxy settings of an environment, and the problems of the values that cannot be used. */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): { settings: ProxySettings; problems: string[] } {
  const problems: string[] = [];
  const proxyOf = (name: string): string | undefined => {
    const value = either(env, name);
    if (!value) return undefined;
    const url = withScheme(value);
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol) || !new URL(url).hostname) {
      problems.push(`${name} must be the URL of an HTTP proxy, e.g. http://proxy.example.com:3128, got "${maskProxyCredentials(value)}"`);
      return undefined;
    }
    return url;
  };
  const settings: ProxySettings = {
    http: proxyOf('HTTP_PROXY'),
    https: proxyOf('HTTPS_PROXY'),
    noProxy: (either(env, 'NO_PROXY') ?? '')
      .split(/[,\s]+/)
      .map((entry) => entry.trim())
      .filter(Boolean),
    proxyLoopback: /^(1|true|yes)$/i.test(env.PROXY_LOOPBACK?.trim() ?? ''),
  };
  return { settings, problems };
}

/** A hostname without IPv6 brackets, lower case, without a trailing dot. */
function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

export function isLoopback(hostname: string): boolean {
  const host = bareHost(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

const subnets = new Map<string, net.BlockList | undefined>();

/** A CIDR range as a BlockList, made once (every request is checked against NO_PROXY); undefined when invalid. */
function subnetOf(address: string, prefix: number): net.BlockList | undefined {
  const key = `${address}/${prefix}`;
  if (!subnets.has(key)) {
    const list = new net.BlockList();
    try {
      list.addSubnet(address, prefix, net.isIPv6(address) ? 'ipv6' : 'ipv4');
      subnets.set(key, list);
    } catch {
      subnets.set(key, undefined);
    }
  }
  return subnets.get(key);
}

/** Whether one NO_PROXY entry covers the host (and port) of a URL. */
function covers(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  let pattern = entry.toLowerCase();
  // host:port (and [v6]:port) limits the entry to one port.
  const withPort = pattern.match(/^(\[[^\]]+\]|[^:]+):(\d+)$/);
  if (withPort) {
    if (withPort[2] !== port) return false;
    pattern = withPort[1]!;
  }
  pattern = bareHost(pattern);
  const cidr = pattern.match(/^(.+)\/(\d{1,3})$/);
  if (cidr && net.isIP(cidr[1]!) && net.isIP(host)) {
    const family = net.isIPv6(host) ? 'ipv6' : 'ipv4';
    if (family !== (net.isIPv6(cidr[1]!) ? 'ipv6' : 'ipv4')) return false;
    return subnetOf(cidr[1]!, Number(cidr[2]))?.check(host, family) ?? false;
  }
  if (net.isIP(pattern)) return pattern === host;
  // `example.com`, `.example.com` and `*.example.com` all cover example.com's subdomains; the first two the
  // domain itself too.
  const domain = pattern.replace(/^\*?\./, '');
  return host === domain ? !pattern.startsWith('*.') : host.endsWith(`.${domain}`);
}

/** The proxy to send a request for `url` through, or undefined to go direct. */
export function proxyFor(url: string | URL, settings: ProxySettings): string | undefined {
  const target = typeof url === 'string' ? new URL(url) : url;
  const proxy = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : undefined;
  if (!proxy) return undefined;
  const host = bareHost(target.hostname);
  if (!settings.proxyLoopback && isLoopback(host)) return undefined;
  const port = target.port || defaultPort(target.protocol);
  return settings.noProxy.some((entry) => covers(entry, host, port)) ? undefined : proxy;
}

/** A proxy URL as it may be shown: its password replaced. */
export function maskProxyCredentials(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?([^/@:]+):[^/@]*@/i, (_all, scheme: string | undefined, user: string) => `${scheme ?? ''}${user}:${MASK}@`);
}

/** How a URL is reached, in words: through which proxy, or directly and why. */
export function describeRoute(url: string, settings: ProxySettings): string {
  const proxy = proxyFor(url, settings);
  if (proxy) return `through the proxy ${maskProxyCredentials(proxy)}`;
  const target = new URL(url);
  const configured = target.protocol === 'https:' ? settings.https : settings.http;
  if (!configured) return 'directly (no proxy is set)';
  if (!settings.proxyLoopback && isLoopback(target.hostname)) return 'directly (loopback is never proxied; PROXY_LOOPBACK=true would send it through the proxy)';
  return 'directly (NO_PROXY covers it)';
}
