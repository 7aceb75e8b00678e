import { Router } from 'express';
import { allowOnly } from '../errors.ts';

/**
 * `/healthz`: the process is alive. `/readyz`: the database answers and
 * carries the newest migration; a load balancer sends no traffic otherwise.
 */
export function healthRouter(isReady: () => Promise<boolean>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = await isReady().catch(() => false);
    if (ready) {
      res.json({ ok: true, database: 'ready' });
    } else {
      res.status(503).json({ ok: false, error: { code: 'UNAVAILABLE', message: 'database unreachable or not migrated' } });
    }
  });
  allowOnly(router, '/healthz', ['GET']);
  allowOnly(router, '/readyz', ['GET']);
  return router;
}
