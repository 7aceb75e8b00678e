import type { Server } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeApp } from './api/app.ts';
import type { Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { isMigrated, latestMigrationHash, migrateDatabase } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createGraphQL } from './graphql.ts';
import type { Logger } from './logger.ts';
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
    }

    const pool = createPool(connectionString, logger, {
      max: (roles.includes('worker') ? config.workerConcurrency + 4 : 0) + (roles.includes('api') ? 10 : 0),
      applicationName: `ami-${roles.join('+')}`,
    });
    shutdown.push(() => pool.end());

    await migrateDatabase({ pool, connectionString, logger });
    const expectedHash = await latestMigrationHash();

    if (roles.includes('worker')) {
      const runner = await startWorker({ pool, config, logger });
      shutdown.push(() => runner.stop());
    }

    let url: string | undefined;
    if (roles.includes('api')) {
      if (!config.apiToken) {
        logger.warn('AMI_API_TOKEN is not set: mutating endpoints accept loopback callers only');
      }
      const graphql = createGraphQL({ pool, logger });
      shutdown.push(() => graphql.release());
      const app = makeApp({ config, pool, logger, graphql, isReady: () => isMigrated(pool, expectedHash) });
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

function listen(app: import('express').Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    // Idle keep-alive sockets would otherwise hold `close()` open.
    server.keepAliveTimeout = 5_000;
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
