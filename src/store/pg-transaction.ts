// Transactions on the PostgreSQL pool: one client from BEGIN to COMMIT, rolled back on any error, and run
// again when PostgreSQL chose it as a deadlock's victim or could not serialize it (the retry is safe: nothing
// of the failed try was committed).
import type pg from 'pg';

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const RETRYABLE = new Set(['40P01', '40001']);

/**
 * A connection of the pool, for the caller alone. A connection that breaks while checked out (the server
 * restarted, an administrator ended it) fails its query; without this listener it would also end the process.
 */
export async function checkout(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  const release = client.release.bind(client);
  client.release = (err?: Error | boolean) => {
    client.off('error', ignore);
    release(err);
  };
  return client;
}

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await checkout(pool);
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
      if (!rolledBack) broken = true;
      if (attempt >= attempts || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    } finally {
      client.release(broken);
    }
  }
}

export async function pgQuery<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}
