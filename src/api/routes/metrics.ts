import { Router } from 'express';
import { databaseFigures } from '../../db/metrics.ts';
import type { ReadGate } from '../../db/readGate.ts';
import { noQuerySchema } from '../../domain/values.ts';
import type { Logger } from '../../logger.ts';
import { type DatabaseFigures, registry, setDatabaseFigures } from '../../metrics.ts';
import { abandoned } from '../abandon.ts';
import { allowOnly } from '../errors.ts';
import { parseQuery } from '../validate.ts';

/**
 * GET /metrics: the Prometheus text exposition of this process's registry
 * (src/metrics.ts), open like the other reads. The figures read from the
 * database take a turn of the read gate; when the gate is full or the
 * database is down the scrape still answers, with the process's own series
 * and `ami_metrics_database_up 0`, since a scrape that fails exactly when the
 * service is loaded would blind the alerts meant for that moment.
 */
export function metricsRouter(deps: { gate: ReadGate; logger: Logger; queueCap: number }): Router {
  const router = Router();
  // One scrape at a time: the database gauges are reset and set per scrape.
  let previous: Promise<unknown> = Promise.resolve();
  router.get('/metrics', async (req, res) => {
    parseQuery(noQuerySchema, req);
    const signal = abandoned(res);
    const scrape = previous.then(async () => {
      let figures: DatabaseFigures | undefined;
      try {
        figures = await deps.gate.withClient(signal, (db) => databaseFigures(db));
      } catch (error) {
        deps.logger.warn({ err: error }, 'metrics scrape: database figures unavailable');
      }
      setDatabaseFigures(figures, deps.queueCap);
      return registry.metrics();
    });
    previous = scrape.catch(() => undefined);
    const text = await scrape;
    res.set({ 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
    res.send(text);
  });
  allowOnly(router, '/metrics', ['GET']);
  return router;
}
