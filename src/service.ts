import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeApp } from './api/app.ts';
import { close, listen } from './api/server.ts';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { isMigrated, latestMigrationHash, migrateDatabase } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import { ReadGate } from './db/readGate.ts';
import { createGraphQL } from './graphql.ts';
import type { Logger } from './logger.ts';
import { watchPool } from './metrics.ts';
import { startWorker } from './worker/runner.ts';

export type Role = 'api' | 'worker';

export interface Service {
  /** Base URL of the API, when this process serves it. */
  url: string | undefined;
  pool: Pool;
  connectionString: string;
  /** Graceful stop: stop taking work, finish what is running, close. */
  stop(): Promise<void>;
}

export const PROJECT_DIR = path.resolve(import.meta.dirname, '..');

/**
 * Starts the roles this process plays against one database: the API, the
 * worker, or both. Start-up order: database, migrations, then the roles;
 * shutdown runs the same steps backwards.
 */
export async function startService(options: { config: Config; logger: Logger; roles: Role[] }): Promise<Service> {
  const { config, logger, roles } = options;
  const shutdown: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const action of shutdown.reverse().splice(0)) {
      await action().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
    }
  };

  try {
    let connectionString = config.databaseUrl;
    if (!connectionString) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres({
        projectDir: PROJECT_DIR,
        dataDir: config.embeddedPg.dataDir,
        port: config.embeddedPg.port,
        logger,
      });
      shutdown.push(() => embedded.stop());
      connectionString = embedded.connectionString;
      logger.info({ databaseUrl: connectionString }, `embedded PostgreSQL ready: psql "${connectionString}" (DATABASE_URL for sql/ and a DBA)`);
    }

    // One pool per concern, so heavy reads can never take the connections the
    // worker and the scheduler need: the service's own (migrations, API writes,
    // health), the worker's, and the read gate's (statement timeout on each).
    const pool = createPool(connectionString, logger, { max: 10, applicationName: `ami-${roles.join('+')}` });
    shutdown.push(() => pool.end());

    await migrateDatabase({ pool, connectionString, logger });
    const expectedHash = await latestMigrationHash();

    if (roles.includes('worker')) {
      const workerPool = createPool(connectionString, logger, { max: config.workerConcurrency + 4, applicationName: 'ami-worker' });
      shutdown.push(() => workerPool.end());
      watchPool('worker', workerPool);
      const runner = await startWorker({ pool: workerPool, config, logger, connectionString });
      shutdown.push(() => runner.stop());
    }

    let url: string | undefined;
    if (roles.includes('api')) {
      if (!config.apiToken) {
        logger.warn('AMI_API_TOKEN is not set: mutating endpoints accept loopback callers only');
      }
      const readPool = createPool(connectionString, logger, {
        max: config.reads.concurrency,
        applicationName: 'ami-reads',
        statementTimeoutMs: config.reads.statementTimeoutMs,
      });
      shutdown.push(() => readPool.end());
      const gate = new ReadGate(readPool, pool, { concurrent: config.reads.concurrency, queued: config.reads.queue });
      const graphql = createGraphQL({
        pool: readPool,
        logger,
        clock: systemClock,
        retentionDays: config.retentionDays,
        statementTimeoutMs: config.reads.statementTimeoutMs,
      });
      shutdown.push(() => graphql.release());
      const app = makeApp({ config, pool, logger, graphql, gate, isReady: () => isMigrated(pool, expectedHash) });
      const server = await listen(app, config.port, config.host);
      const { port } = server.address() as AddressInfo;
      url = `http://127.0.0.1:${port}`;
      shutdown.push(() => close(server));
      logger.info({ port, host: config.host }, 'API listening');
    }

    return { url, pool, connectionString, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
