import { type RequestHandler, Router } from 'express';
import type { Deps } from '../../deps.ts';
import { publishOnceSchema } from '../../domain/fleet.ts';
import { publishOnce } from '../../ingest/publishOnce.ts';
import { allowOnly } from '../errors.ts';
import { jsonBody, parseBody } from '../validate.ts';

/** POST /api/ami/publish-once: one tick by hand, for the current interval or a given past one. */
export function publishRouter(deps: Deps & { operator: RequestHandler }): Router {
  const router = Router();
  router.post('/api/ami/publish-once', deps.operator, jsonBody, async (req, res) => {
    const result = await publishOnce(deps, parseBody(publishOnceSchema, req));
    res.status(result.outcome === 'enqueued' ? 202 : 200).json({
      ok: true,
      tenantId: result.tick.tenantId,
      readAt: result.readAt.toISOString(),
      jobs: result.jobs,
      alreadyPublished: result.outcome === 'already-published',
      tick: result.tick,
    });
  });
  allowOnly(router, '/api/ami/publish-once', ['POST']);
  return router;
}
