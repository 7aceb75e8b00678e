import pg from 'pg';
import type { Logger } from '../logger.ts';

// timestamptz columns come back as Date (the default); bigint counts as numbers
// (they never exceed 2^53 here), numeric as strings are avoided by the schema.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** A pool or one of its connections: what a read needs. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * No JIT: the data plane's statements are keyed ranges, where compiling costs more than it saves (the series of a
 * 25,000-meter day: 369 ms median with JIT, 6-10 ms without, npm run bench).
 */
const NO_JIT = '-c jit=off';

/**
 * `connectionString` with `serverOptions` ahead of the `options=` it may carry (a `-c` it sets itself comes later,
 * so it wins). node-postgres lets a connection string's `options` replace the pool's own, so they are merged here.
 * A string that is not a URL is returned as it is (the pool's own `options` then apply).
 */
export function withServerOptions(connectionString: string, serverOptions: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString;
  }
  const own = url.searchParams.get('options');
  url.searchParams.set('options', own ? `${serverOptions} ${own}` : serverOptions);
  return url.toString();
}

/**
 * A pool whose idle and active clients never crash the process when the
 * server drops them (a restart, a network blip): the error is logged and the
 * next query gets a fresh connection.
 */
export function createPool(
  connectionString: string,
  logger: Logger,
  options: { max?: number; applicationName?: string; statementTimeoutMs?: number } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withServerOptions(connectionString, NO_JIT),
    options: NO_JIT,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'ami-data-plane',
    // Every statement of the pool's connections is cancelled past this (the read pool's bound).
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
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
