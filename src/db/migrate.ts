import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger as MigrateLogger, migrate } from 'graphile-migrate';
import { runMigrations } from 'graphile-worker';
// graphile-migrate keeps its pool open 200 ms after use, and that pool exits
// the process on any connection error (a database restart). Close it now.
import { clearAllPools } from 'graphile-migrate/dist/pgReal.js';
import type { Pool } from './pool.ts';
import { graphileLogFactory, graphileWorkerLogger, type Logger } from '../logger.ts';

/** Any fixed number: the session lock that serialises start-up migrations. */
const MIGRATION_LOCK = 742_615_001;

export const MIGRATIONS_FOLDER = path.resolve(import.meta.dirname, '..', '..', 'migrations');

/**
 * Applies the committed migrations (graphile-migrate) and Graphile Worker's
 * own schema. Several processes may start at once against one database: an
 * advisory lock lets one migrate while the others wait, then find nothing to do.
 */
export async function migrateDatabase(options: { pool: Pool; connectionString: string; logger: Logger }): Promise<void> {
  const { pool, connectionString, logger } = options;
  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate({
        connectionString,
        migrationsFolder: MIGRATIONS_FOLDER,
        manageGraphileMigrateSchema: true,
        logger: new MigrateLogger(graphileLogFactory(logger, 'graphile-migrate')),
      });
    } finally {
      clearAllPools();
    }
    await runMigrations({ pgPool: pool, logger: graphileWorkerLogger(logger) });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'database migrated');
}

/** The hash of the newest committed migration: a migrated database has it. */
export async function latestMigrationHash(folder = MIGRATIONS_FOLDER): Promise<string> {
  const files = (await readdir(path.join(folder, 'committed'))).filter((name) => name.endsWith('.sql')).sort();
  const last = files.at(-1);
  if (!last) throw new Error(`no committed migrations in ${folder}`);
  const text = await readFile(path.join(folder, 'committed', last), 'utf8');
  const hash = /^--! Hash: (\S+)$/m.exec(text)?.[1];
  if (!hash) throw new Error(`${last} has no --! Hash header`);
  return hash;
}

/** True when the database answers and carries the newest migration. */
export async function isMigrated(pool: Pool, expectedHash: string): Promise<boolean> {
  const { rows } = await pool.query<{ hash: string }>(`select hash from graphile_migrate.migrations order by filename desc limit 1`);
  return rows[0]?.hash === expectedHash;
}
