import { Router } from 'express';
import { z } from 'zod';
import { autoStatus, startAuto, stopAuto } from '../../auto/autoMode.ts';
import type { IngestDeps } from '../../ingest/publishTick.ts';
import { requireOperator } from '../auth.ts';
import { allowOnly } from '../errors.ts';
import { tenantIdSchema } from '../schemas.ts';
import { jsonBody, parseBody, parseQuery } from '../validate.ts';
import { checkCaps, fleetFields } from './publish.ts';

/** At most a week of intervals is re-published by a catch-up. */
export const MAX_CATCH_UP_INTERVALS = 672;

/** Automatic mode: start, stop, status (SPEC section 5). */
export function autoRouter(deps: IngestDeps & { apiToken: string | undefined; now: () => Date }): Router {
  const startSchema = z
    .strictObject({
      ...fleetFields(deps.caps),
      catchUpIntervals: z
        .int({ error: 'must be a whole number' })
        .min(0, 'must be at least 0')
        .max(MAX_CATCH_UP_INTERVALS, `must be at most ${MAX_CATCH_UP_INTERVALS} (a week of 15-minute intervals)`)
        .default(4),
    })
    .superRefine((value, ctx) => checkCaps(deps.caps, value, ctx));
  const stopSchema = z.strictObject({ tenantId: tenantIdSchema });
  const statusSchema = z.strictObject({ tenantId: tenantIdSchema });

  const router = Router();
  const operator = requireOperator(deps.apiToken);

  router.post('/api/ami/auto/start', operator, jsonBody, async (req, res) => {
    const config = parseBody(startSchema, req);
    const { state, nextRunAt } = await startAuto(deps, config, deps.now());
    res.json({ ok: true, mode: 'auto', nextRunAt, config: state.config });
  });

  router.post('/api/ami/auto/stop', operator, jsonBody, async (req, res) => {
    const { tenantId } = parseBody(stopSchema, req);
    const { wasEnabled } = await stopAuto(deps, tenantId);
    res.json({ ok: true, tenantId, enabled: false, wasEnabled });
  });

  router.get('/api/ami/auto/status', async (req, res) => {
    const { tenantId } = parseQuery(statusSchema, req);
    res.json({ ok: true, ...(await autoStatus(deps, tenantId, deps.now())) });
  });
  allowOnly(router, '/api/ami/auto/start', ['POST']);
  allowOnly(router, '/api/ami/auto/stop', ['POST']);
  allowOnly(router, '/api/ami/auto/status', ['GET']);
  return router;
}
