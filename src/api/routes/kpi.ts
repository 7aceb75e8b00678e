import { Router } from 'express';
import { z } from 'zod';
import { outsideRetention } from '../../db/retention.ts';
import { coalescing } from '../../kpi/coalesce.ts';
import { quickcheck, type QuickcheckDeps } from '../../kpi/quickcheck.ts';
import { instantSchema, tenantIdSchema } from '../schemas.ts';
import { allowOnly } from '../errors.ts';
import { parseQuery } from '../validate.ts';

/** GET /api/ami/kpi/quickcheck: open to readers (the dashboard), no token. */
export function kpiRouter(deps: QuickcheckDeps & { retentionDays: number }): Router {
  const quickcheckQuery = z
    .strictObject({ tenantId: tenantIdSchema, readAt: instantSchema.optional() })
    .superRefine((value, ctx) => {
      // Its reads are gone: answering would show every meter missing.
      const outside = value.readAt && outsideRetention(value.readAt, deps.now(), deps.retentionDays);
      if (outside) ctx.addIssue({ code: 'custom', path: ['readAt'], message: outside });
    });
  const router = Router();
  const shared = coalescing<Awaited<ReturnType<typeof quickcheck>>>();
  router.get('/api/ami/kpi/quickcheck', async (req, res) => {
    const query = parseQuery(quickcheckQuery, req);
    const key = `${query.tenantId}|${query.readAt?.toISOString() ?? 'latest'}`;
    res.set('Cache-Control', 'no-store');
    res.json(await shared(key, () => quickcheck(deps, query.tenantId, query.readAt)));
  });
  allowOnly(router, '/api/ami/kpi/quickcheck', ['GET']);
  return router;
}
