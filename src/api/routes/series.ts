import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool.ts';
import { kpiSeries, MAX_SERIES_HOURS } from '../../kpi/series.ts';
import { allowOnly } from '../errors.ts';
import { tenantIdSchema } from '../schemas.ts';
import { parseQuery } from '../validate.ts';

const seriesQuery = z.strictObject({
  tenantId: tenantIdSchema,
  hours: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'must be a whole number of hours')
    .transform(Number)
    .pipe(z.int().min(1, 'must be at least 1').max(MAX_SERIES_HOURS, `must be at most ${MAX_SERIES_HOURS}`))
    .default(24),
});

/** GET /api/ami/kpi/series: per-interval KPIs of the last hours, for charts. Open to readers. */
export function seriesRouter(deps: { pool: Pool }): Router {
  const router = Router();
  router.get('/api/ami/kpi/series', async (req, res) => {
    const query = parseQuery(seriesQuery, req);
    res.set('Cache-Control', 'no-store');
    res.json(await kpiSeries(deps, query.tenantId, query.hours));
  });
  allowOnly(router, '/api/ami/kpi/series', ['GET']);
  return router;
}
