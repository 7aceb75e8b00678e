import { Router } from 'express';
import type { ReadGate } from '../../db/readGate.ts';
import { kpiSeries } from '../../kpi/series.ts';
import { abandoned } from '../abandon.ts';
import { allowOnly } from '../errors.ts';
import { seriesQuerySchema } from '../../domain/kpi.ts';
import { parseQuery } from '../validate.ts';

/** GET /api/ami/kpi/series: per-interval KPIs of the last hours, for charts. Open to readers. */
export function seriesRouter(deps: { gate: ReadGate }): Router {
  const router = Router();
  router.get('/api/ami/kpi/series', async (req, res) => {
    const query = parseQuery(seriesQuerySchema, req);
    res.set('Cache-Control', 'no-store');
    res.json(await deps.gate.withClient(abandoned(res), (db) => kpiSeries(db, query.tenantId, query.hours)));
  });
  allowOnly(router, '/api/ami/kpi/series', ['GET']);
  return router;
}
