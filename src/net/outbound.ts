// Every outbound HTTP client of the process (GitLab's API, the model, Airflow, MCP servers over HTTP) goes
// through Node's fetch; this routes fetch by the bot's one proxy rule and makes it trust CA_BUNDLE. Git gets
// the same decisions through its environment (git/run.ts).
import { Agent, Dispatcher, ProxyAgent, setGlobalDispatcher } from 'undici';
import { proxyFor, type ProxySettings } from './proxy-rule.ts';
import { DEFAULT_TRUST, installTrust, type Trust } from './trust.ts';

export type NetworkSettings = {
  proxy: ProxySettings;
  /** A PEM file of certificate authorities to trust besides Node's own (CA_BUNDLE). */
  caBundle?: string;
};

export type Outbound = {
  proxy: ProxySettings;
  trust: Trust;
  /** The proxy for a URL, or undefined to go direct. */
  proxyFor(url: string): string | undefined;
};

/** Sends each request direct or through the proxy the rule picks for its origin. */
class ProxyRouter extends Dispatcher {
  private readonly settings: ProxySettings;
  private readonly direct = new Agent();
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(settings: ProxySettings) {
    super();
    this.settings = settings;
  }

  private dispatcherFor(origin: string): Dispatcher {
    const proxy = proxyFor(origin, this.settings);
    if (!proxy) return this.direct;
    let agent = this.proxies.get(proxy);
    if (!agent) {
      // Plain http:// requests go to the proxy as absolute URLs (as curl sends them); https:// ones tunnel.
      agent = new ProxyAgent({ uri: proxy, proxyTunnel: false });
      this.proxies.set(proxy, agent);
    }
    return agent;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.dispatcherFor(String(options.origin)).dispatch(options, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.proxies.values()].map((p) => p.close())]);
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.direct.destroy(), ...[...this.proxies.values()].map((p) => p.destroy())]);
  }
}

let installed: { key: string; outbound: Outbound } | undefined;

/**
 * Applies the network settings to this process (once: a second call with other settings is refused, since
 * fetch has one dispatcher per process). With no proxy and no CA nothing changes.
 */
export function installOutbound(settings: NetworkSettings, dataDir: string): Outbound {
  const key = JSON.stringify(settings);
  if (installed) {
    if (installed.key !== key) throw new Error('the network settings of this process were set already, with other values');
    return installed.outbound;
  }
  const trust = settings.caBundle || process.env.NODE_EXTRA_CA_CERTS ? installTrust(settings.caBundle, dataDir) : DEFAULT_TRUST;
  if (settings.proxy.http || settings.proxy.https) setGlobalDispatcher(new ProxyRouter(settings.proxy));
  const outbound: Outbound = { proxy: settings.proxy, trust, proxyFor: (url) => proxyFor(url, settings.proxy) };
  installed = { key, outbound };
  return outbound;
}
