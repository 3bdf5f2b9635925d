// Whether a merged DAG is live in Airflow, judged from what Airflow says (pure: no I/O). "Live" means this
// version: Airflow holds the merged file's source for the DAG (or, where it shows no source, parsed it after the
// merge), and reports no import error for the file since the merge.
import type { AirflowDag, AirflowImportError } from './client.ts';

export type DeployTarget = {
  dagId: string;
  /** The DAG file's path below the DAGs folder, as the repository lays it out (`raw/shop/orders.py`). */
  relativeFile: string;
  /** The merged file's text, when it could be read. */
  source: string | undefined;
  /** When the merge happened (ms). */
  mergedAt: number;
};

export type DeployObservation = {
  dag: AirflowDag | undefined;
  /** The source Airflow holds for the DAG; undefined when it shows none. */
  dagSource: string | undefined;
  importErrors: AirflowImportError[];
};

export type DeployVerdict =
  | { state: 'live'; dag: AirflowDag }
  | { state: 'import_error'; error: AirflowImportError }
  | { state: 'waiting'; reason: 'not_seen' | 'old_version' | 'not_active' };

/** Whether Airflow's file name (relative to its bundle on Airflow 3, absolute on Airflow 2) is the DAG's file. */
export function isSameFile(filename: string, relativeFile: string, fileloc?: string): boolean {
  const name = filename.replace(/\\/g, '/');
  const relative = relativeFile.replace(/^\/+/, '');
  return name === relative || name.endsWith(`/${relative}`) || (!!fileloc && name === fileloc);
}

const sameText = (a: string, b: string) => a.replace(/\r\n/g, '\n').trimEnd() === b.replace(/\r\n/g, '\n').trimEnd();

export function judgeDeploy(target: DeployTarget, seen: DeployObservation): DeployVerdict {
  const error = seen.importErrors.find((e) => isSameFile(e.filename, target.relativeFile, seen.dag?.fileloc) && Date.parse(e.timestamp) >= target.mergedAt);
  if (error) return { state: 'import_error', error };
  const dag = seen.dag;
  if (!dag) return { state: 'waiting', reason: 'not_seen' };
  if (!dag.isActive) return { state: 'waiting', reason: 'not_active' };
  // Airflow parses every file again and again, so a parse after the merge may still be of the old file: the
  // source it holds says which version it has.
  const current =
    target.source !== undefined && seen.dagSource !== undefined
      ? sameText(seen.dagSource, target.source)
      : dag.lastParsedTime !== null && Date.parse(dag.lastParsedTime) >= target.mergedAt;
  return current ? { state: 'live', dag } : { state: 'waiting', reason: 'old_version' };
}

/** How long to wait before looking again: a few seconds at first, then up to a minute, never past the deadline. */
export function nextCheckIn(checks: number, remainingMs: number, options: { firstMs?: number; maxMs?: number } = {}): number {
  const first = options.firstMs ?? 5_000;
  const max = options.maxMs ?? 60_000;
  const wait = Math.min(max, first * 1.5 ** Math.max(0, checks));
  return Math.max(0, Math.min(wait, remainingMs));
}
