import { type RequestHandler, Router } from 'express';
import { autoStatus, startAuto, stopAuto } from '../../auto/autoMode.ts';
import type { Deps } from '../../deps.ts';
import { autoStartSchema } from '../../domain/fleet.ts';
import { tenantOnlySchema } from '../../domain/tenant.ts';
import { allowOnly } from '../errors.ts';
import { jsonBody, parseBody, parseQuery } from '../validate.ts';

/** Automatic mode: start, stop, status (SPEC section 5). */
export function autoRouter(deps: Deps & { operator: RequestHandler }): Router {
  const router = Router();
  const { operator } = deps;

  router.post('/api/ami/auto/start', operator, jsonBody, async (req, res) => {
    const { config, nextRunAt } = await startAuto(deps, parseBody(autoStartSchema, req));
    res.json({ ok: true, mode: 'auto', nextRunAt, config });
  });

  router.post('/api/ami/auto/stop', operator, jsonBody, async (req, res) => {
    const { tenantId } = parseBody(tenantOnlySchema, req);
    const { wasEnabled } = await stopAuto(deps, tenantId);
    res.json({ ok: true, tenantId, enabled: false, wasEnabled });
  });

  router.get('/api/ami/auto/status', async (req, res) => {
    const { tenantId } = parseQuery(tenantOnlySchema, req);
    const { currentInterval, ...status } = await autoStatus(deps, tenantId);
    res.json({ ok: true, ...status, lastAlignedInterval: currentInterval });
  });
  allowOnly(router, '/api/ami/auto/start', ['POST']);
  allowOnly(router, '/api/ami/auto/stop', ['POST']);
  allowOnly(router, '/api/ami/auto/status', ['GET']);
  return router;
}
