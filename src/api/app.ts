import cors from 'cors';
import express, { Router, type Express, type RequestHandler } from 'express';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { ReadGate } from '../db/readGate.ts';
import type { Deps } from '../deps.ts';
import type { GraphQLService } from '../graphql.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { watchPool } from '../metrics.ts';
import { requireOperator } from './auth.ts';
import { errorHandler, notFound } from './errors.ts';
import { httpMetrics } from './httpMetrics.ts';
import { autoRouter } from './routes/auto.ts';
import { dashboardRouter } from './routes/dashboard.ts';
import { eventsRouter } from './routes/events.ts';
import { exportsRouter } from './routes/exports.ts';
import { healthRouter } from './routes/health.ts';
import { kpiRouter } from './routes/kpi.ts';
import { metricsRouter } from './routes/metrics.ts';
import { openapiRouter } from './routes/openapi.ts';
import { publishRouter } from './routes/publish.ts';
import { scaleRouter } from './routes/scale.ts';
import { seriesRouter } from './routes/series.ts';

export interface AppDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  /** Database reachable and migrated. */
  isReady: () => Promise<boolean>;
  /** The service's clock; tests pass a set one. */
  clock?: Clock;
  /** PostGraphile (`createGraphQL`, on the read gate's pool): served at /graphql and /graphiql when given. */
  graphql?: GraphQLService;
  /** Heavy reads' way in (their pool and turns); by default one on `pool` with the configured limits. */
  gate?: ReadGate;
}

/**
 * The HTTP application: one concern per step, in the order a request meets
 * them. Routes are thin: validate, call one function, shape the answer.
 */
export function makeApp(deps: AppDeps): Express {
  const { config, pool, logger } = deps;
  const core: Deps = { pool, logger, caps: config.caps, clock: deps.clock ?? systemClock, retentionDays: config.retentionDays };
  const gate = deps.gate ?? new ReadGate(pool, pool, { concurrent: config.reads.concurrency, queued: config.reads.queue });
  // Exports hold a read turn for as long as they stream: at most a few at once, none waiting.
  const exportTurns = new ReadGate(gate.pool, pool, { concurrent: config.exports.concurrency, queued: 0 });
  watchPool('service', pool);
  if (gate.pool !== pool) watchPool('reads', gate.pool);
  const app = express();
  app.disable('x-powered-by');

  // First, so that every answer is counted and timed (GET /metrics).
  app.use(httpMetrics);
  app.use(healthRouter(deps.isReady));
  app.use(corsPolicy(config.corsOrigins));
  app.use(refuseForeignWrites(config.corsOrigins));
  // GraphQL reads its own bodies (grafserv, 64 kB); REST routes parse theirs
  // after their auth check (src/api/validate.ts jsonBody).
  if (deps.graphql) app.use(graphqlRouter(deps.graphql, gate, logger));

  const operator = { ...core, operator: requireOperator(config.apiToken, config.corsOrigins) };
  app.use(publishRouter(operator));
  app.use(autoRouter(operator));
  app.use(scaleRouter({ pool, config }));
  app.use(eventsRouter(operator));
  app.use(kpiRouter({ ...core, gate }));
  app.use(seriesRouter({ gate }));
  app.use(exportsRouter({ gate, exportTurns, statementTimeoutMs: config.exports.statementTimeoutMs, clock: core.clock, logger }));
  app.use(metricsRouter({ gate, logger, queueCap: config.caps.maxQueueDepth }));
  app.use(openapiRouter());
  // The built-in page and its files, after the API so no file can shadow a route.
  app.use(dashboardRouter());

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

/**
 * /graphql, /graphiql and Ruru's assets. Without websockets grafserv needs no
 * HTTP server: `addTo` mounts its handler at once on this router, which sits
 * at its place in the middleware order.
 */
function graphqlRouter(graphql: GraphQLService, gate: ReadGate, logger: Logger): Router {
  const router = Router();
  // A GraphQL request is a heavy read: it waits for a turn of the read gate (or is refused 503 BUSY).
  router.use('/graphql', async (_req, res, next) => {
    try {
      const release = await gate.turn();
      res.on('close', release);
      next();
    } catch (error) {
      next(error);
    }
  });
  graphql.serv.addTo(router as unknown as Express, null, false).catch((error: unknown) => logger.error({ err: error }, 'GraphQL mount failed'));
  return router;
}

/**
 * CORS for the allow-listed origins only (the public dashboard among them):
 * other origins get no CORS headers at all, so browsers refuse them.
 */
/**
 * A browser sends `Origin` with every POST. One from a page that is neither
 * this server nor an allowed CORS origin is refused before any route runs:
 * without a token the mutating endpoints trust loopback callers, and a
 * browser on this machine is one, whatever site it is showing (a form post
 * or a body-less POST needs no preflight). Clients that are not browsers
 * send no Origin and are unaffected.
 */
function refuseForeignWrites(origins: string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, _res, next) => {
    const origin = req.get('origin');
    if (origin === undefined || req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (allowed.has(origin) || originHost(origin) === req.get('host')) return next();
    next(new AppError('FORBIDDEN', `a ${req.method} from the page of ${origin} is refused: that origin is not this server nor in AMI_CORS_ORIGINS`));
  };
}

/** The host:port of an Origin header (scheme left out: a proxy may end TLS); undefined for `null` and garbage. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function corsPolicy(origins: string[]) {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
}
