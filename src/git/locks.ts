// Who holds a mirror: marks that a process runs git in it, so that the locks a crashed process left can be
// told from those of one still at work, and removed.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../process-alive.ts';

/** A holder of another host cannot be asked whether it runs; its mark counts for this long. */
const FOREIGN_HOLDER_MS = 120_000;
const HOLDERS_DIR = 'dagwright-holders';
/** Tells this process's holder marks from those a crashed process with the same pid left (a restarted container). */
const INSTANCE = randomUUID().slice(0, 8);

/** Where a process marks that it runs git in a mirror (the mark's name says who: host, pid, instance). */
export function holderMark(mirror: string, holder: { host: string; pid: number; instance: string }, seq: number): string {
  return path.join(mirror, HOLDERS_DIR, `${holder.host}~${holder.pid}~${holder.instance}~${seq}`);
}

let nextHold = 0;
const ownHolds = new Set<string>();

/**
 * Runs git work that may take a mirror's locks (a fetch, a push, a ref update) with a mark in the mirror that
 * this process holds it, so that after a crash the locks of a process that is gone can be told from those of
 * one still at work.
 */
export async function holding<T>(mirror: string, work: () => Promise<T>): Promise<T> {
  const mark = holderMark(mirror, { host: os.hostname(), pid: process.pid, instance: INSTANCE }, ++nextHold);
  fs.mkdirSync(path.dirname(mark), { recursive: true });
  fs.writeFileSync(mark, '');
  ownHolds.add(path.basename(mark));
  try {
    return await work();
  } finally {
    ownHolds.delete(path.basename(mark));
    fs.rmSync(mark, { force: true });
  }
}

function holderIsLive(name: string, markFile: string): boolean {
  const [host, pidText, instance] = name.split('~');
  const pid = Number(pidText);
  if (host !== os.hostname()) {
    try {
      return Date.now() - fs.statSync(markFile).mtimeMs < FOREIGN_HOLDER_MS;
    } catch {
      return false;
    }
  }
  if (pid === process.pid) return instance === INSTANCE && ownHolds.has(name);
  return Number.isInteger(pid) && isProcessAlive(pid);
}

/**
 * After a crash, git's lock files (shallow.lock, a ref's .lock …) would refuse every later fetch. They are
 * removed when no live process holds the mirror (the marks of processes that are gone are removed too);
 * while one does, they are its own and stay. Returns whether anything was removed.
 */
export function removeOrphanedLocks(mirror: string, except?: string): boolean {
  const holdersDir = path.join(mirror, HOLDERS_DIR);
  let live = false;
  for (const name of fs.existsSync(holdersDir) ? fs.readdirSync(holdersDir) : []) {
    if (name === except) continue;
    const mark = path.join(holdersDir, name);
    if (holderIsLive(name, mark)) live = true;
    else fs.rmSync(mark, { force: true });
  }
  if (live) return false;
  // Git's locks sit beside what they guard: at the top (shallow, packed-refs, config, HEAD) or under refs/.
  const refs = path.join(mirror, 'refs');
  const entries = [
    ...fs.readdirSync(mirror, { withFileTypes: true }),
    ...(fs.existsSync(refs) ? (fs.readdirSync(refs, { recursive: true, withFileTypes: true }) as fs.Dirent[]) : []),
  ];
  let removed = false;
  for (const lock of entries.filter((e) => e.isFile() && e.name.endsWith('.lock'))) {
    fs.rmSync(path.join(lock.parentPath, lock.name), { force: true });
    removed = true;
  }
  return removed;
}

export const isLockRefusal = (err: unknown) => /\.lock'?: File exists|cannot lock ref|Unable to create '.*\.lock'/i.test((err as Error).message ?? '');
