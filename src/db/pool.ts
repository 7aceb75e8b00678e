import pg from 'pg';
import type { Logger } from '../logger.ts';

// timestamptz columns come back as Date (the default); bigint counts as numbers
// (they never exceed 2^53 here), numeric as strings are avoided by the schema.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * A pool whose idle and active clients never crash the process when the
 * server drops them (a restart, a network blip): the error is logged and the
 * next query gets a fresh connection.
 */
export function createPool(connectionString: string, logger: Logger, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'ami-data-plane',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database client failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error }, 'database client failed'));
  });
  return pool;
}

/** Runs `fn` inside a transaction on one client, rolling back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    // A client that cannot even roll back is dropped, not returned to the pool.
    await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
