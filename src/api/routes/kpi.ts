import { Router } from 'express';
import type { ReadGate } from '../../db/readGate.ts';
import type { Deps } from '../../deps.ts';
import { quickcheckQuerySchema } from '../../domain/kpi.ts';
import { coalescing } from '../../kpi/coalesce.ts';
import { quickcheck } from '../../kpi/quickcheck.ts';
import { abandoned } from '../abandon.ts';
import { allowOnly } from '../errors.ts';
import { parseQuery } from '../validate.ts';

/** GET /api/ami/kpi/quickcheck: open to readers (the dashboard), no token; a heavy read (the read gate). */
export function kpiRouter(deps: { gate: ReadGate } & Pick<Deps, 'clock' | 'retentionDays'>): Router {
  const router = Router();
  const shared = coalescing<Awaited<ReturnType<typeof quickcheck>>>();
  router.get('/api/ami/kpi/quickcheck', async (req, res) => {
    const query = parseQuery(quickcheckQuerySchema, req);
    const key = `${query.tenantId}|${query.readAt?.toISOString() ?? 'latest'}|${query.asOf?.toISOString() ?? 'now'}`;
    const compute = (signal: AbortSignal) =>
      deps.gate.withClient(signal, (db) => quickcheck({ db, clock: deps.clock, retentionDays: deps.retentionDays }, query.tenantId, query.readAt, query.asOf));
    res.set('Cache-Control', 'no-store');
    res.json(await shared(key, compute, abandoned(res)));
  });
  allowOnly(router, '/api/ami/kpi/quickcheck', ['GET']);
  return router;
}
