import express, { type Express } from 'express';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { errorHandler, notFound } from './errors.ts';
import { healthRouter } from './routes/health.ts';

export interface AppDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  /** Database reachable and migrated. */
  isReady: () => Promise<boolean>;
}

/**
 * The HTTP application: one concern per step, in the order a request meets
 * them. Routes are thin: validate, call one function, shape the answer.
 */
export function makeApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(healthRouter(deps.isReady));
  app.use(express.json({ limit: '16kb' }));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
