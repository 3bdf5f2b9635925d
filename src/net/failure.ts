// Why a request never got an answer, in words a person can act on: fetch only says "fetch failed", and the
// reason (a certificate, a refused connection, a proxy) is in its cause chain.

type Coded = { code?: string; message?: string; name?: string; cause?: unknown };

/** The error and its causes, outermost first (a refused dual-stack connect is an AggregateError of two). */
function causes(err: unknown): Coded[] {
  const chain: Coded[] = [];
  const queue: unknown[] = [err];
  for (let e = queue.shift(); e !== undefined && chain.length < 16; e = queue.shift()) {
    if (!e || typeof e !== 'object') continue;
    chain.push(e as Coded);
    queue.push(...[(e as Coded).cause, ...(e instanceof AggregateError ? e.errors : [])].filter((next) => next !== undefined));
  }
  return chain;
}

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED']);

/** What went wrong reaching `url`, in one sentence; the error's own words when nothing better is known. */
export function explainNetworkFailure(err: unknown, url: string | URL): string {
  const target = new URL(url);
  const where = target.host;
  for (const cause of causes(err)) {
    const code = cause.code ?? '';
    const message = cause.message ?? '';
    if (UNTRUSTED.has(code)) {
      return `the certificate of ${where} is signed by an authority this machine does not trust (${code}): set CA_BUNDLE to the PEM file of your company's certificate authority (verification is never turned off)`;
    }
    if (code === 'CERT_HAS_EXPIRED') return `the certificate of ${where} has expired (${code})`;
    if (code === 'CERT_NOT_YET_VALID') return `the certificate of ${where} is not valid yet: check this machine's clock (${code})`;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the certificate ${where} shows is for another name (${message.replace(/^Hostname\/IP does not match certificate's altnames: /, '')})`;
    if (code.startsWith('CERT_')) return `the certificate of ${where} was refused (${code})`;
    if (code === 'ECONNREFUSED') return `nothing accepts connections at ${where} (connection refused)`;
    if (cause.name === 'TimeoutError') return `${where} gave no answer in time`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the name ${target.hostname} does not resolve from this machine (${code})`;
    if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `${where} did not answer in time (${code}): a firewall, or a proxy this machine needs (HTTPS_PROXY)?`;
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `${where} closed the connection (${code || 'socket closed'})`;
    if (message === 'bad port') return `fetch refuses to connect to port ${target.port} (one of the ports browsers block): is that the port it answers at?`;
    if (/wrong version number|packet length too long/i.test(message)) return `${where} does not speak TLS on that port: is the URL http:// rather than https://?`;
    const proxyRefusal = message.match(/Proxy response \((\d+)\)/);
    if (proxyRefusal) return `the proxy refused to carry the request to ${where} (it answered ${proxyRefusal[1]}): check HTTPS_PROXY/HTTP_PROXY and the proxy's rules, or NO_PROXY`;
  }
  const last = causes(err).at(-1);
  return last?.message || String(err);
}
