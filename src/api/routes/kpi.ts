import { Router } from 'express';
import { z } from 'zod';
import { quickcheck, type QuickcheckDeps } from '../../kpi/quickcheck.ts';
import { instantSchema, tenantIdSchema } from '../schemas.ts';
import { allowOnly } from '../errors.ts';
import { parseQuery } from '../validate.ts';

const quickcheckQuery = z.strictObject({
  tenantId: tenantIdSchema,
  readAt: instantSchema.optional(),
});

/** GET /api/ami/kpi/quickcheck: open to readers (the dashboard), no token. */
export function kpiRouter(deps: QuickcheckDeps): Router {
  const router = Router();
  router.get('/api/ami/kpi/quickcheck', async (req, res) => {
    const query = parseQuery(quickcheckQuery, req);
    res.set('Cache-Control', 'no-store');
    res.json(await quickcheck(deps, query.tenantId, query.readAt));
  });
  allowOnly(router, '/api/ami/kpi/quickcheck', ['GET']);
  return router;
}
