// The certificate authorities every outbound client trusts: Node's own list (with NODE_EXTRA_CA_CERTS, which
// Node reads at start) and the company CA of CA_BUNDLE. Git is given the same list as one file, so the API
// client and git never disagree about a certificate. Verification itself is never turned off here.
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM file; an error naming the file and what is wrong with it otherwise. */
export function readCertificates(file: string, variable: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${variable}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message})`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (!blocks.length) throw new Error(`${variable}: ${file} holds no PEM certificate (a block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----)`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Error(`${variable}: certificate ${i + 1} of ${file} cannot be read: ${(err as Error).message}`);
    }
  });
  return blocks;
}

/** A certificate's subject, in one line (for doctor). */
export function subjectOf(pem: string): string {
  const cert = new X509Certificate(pem);
  return cert.subject.split('\n').join(', ');
}

export type Trust = {
  /** The certificates CA_BUNDLE added (none without it). */
  added: string[];
  /** The one file git reads the trusted authorities from, when they differ from the system's. */
  gitCaFile: string | undefined;
};

export const DEFAULT_TRUST: Trust = { added: [], gitCaFile: undefined };

/**
 * Makes every TLS client of this process trust CA_BUNDLE's certificates besides Node's own, and writes the
 * whole list for git under `dataDir` when anything was added (by CA_BUNDLE or NODE_EXTRA_CA_CERTS).
 */
export function installTrust(caBundle: string | undefined, dataDir: string): Trust {
  const added = caBundle ? readCertificates(caBundle, 'CA_BUNDLE') : [];
  const base = tls.getCACertificates('default');
  if (added.length) tls.setDefaultCACertificates([...base, ...added]);
  if (!added.length && !process.env.NODE_EXTRA_CA_CERTS) return { added, gitCaFile: undefined };
  const all = [...base, ...added].join('\n');
  const dir = path.join(dataDir, 'tls');
  const file = path.join(dir, `ca-${createHash('sha256').update(all).digest('hex').slice(0, 16)}.pem`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, `${all}\n`);
    fs.renameSync(partial, file);
  }
  return { added, gitCaFile: file };
}

/** Whether this process was told not to verify certificates (Node prints its own warning too). */
export function verificationIsOff(): boolean {
  return process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0';
}
