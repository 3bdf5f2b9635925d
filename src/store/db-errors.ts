// Database failures that pass: a job that met one is retried like one that met GitLab's 503.
const TRANSIENT_SQLSTATE = /^(08|40|53|57P0[123])/;
const TRANSIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|has encountered a connection error and is not queryable|Client was closed and is not queryable|database is locked/i;

export function isTransientDatabaseError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE.test(code)) return true;
  if (code === 'SQLITE_BUSY') return true;
  return TRANSIENT_MESSAGES.test(err.message);
}
