import { Router } from 'express';
import type { Config } from '../../config.ts';
import type { Pool } from '../../db/pool.ts';
import { queueDepthByTask, TASKS } from '../../db/queue.ts';
import { recentThroughput, rowCounts } from '../../db/stats.ts';
import { noQuerySchema } from '../../domain/values.ts';
import { allowOnly } from '../errors.ts';
import { parseQuery } from '../validate.ts';

const EMPTY = { waiting: 0, delayed: 0, running: 0, failed: 0 };

/** GET /api/ami/scale/status: caps, concurrency, queue depth, ingest speed, row counts. */
export function scaleRouter(deps: { pool: Pool; config: Config }): Router {
  const router = Router();
  router.get('/api/ami/scale/status', async (req, res) => {
    parseQuery(noQuerySchema, req);
    const [queue, throughput, rows] = await Promise.all([queueDepthByTask(deps.pool), recentThroughput(deps.pool), rowCounts(deps.pool)]);
    res.json({
      ok: true,
      caps: deps.config.caps,
      workerConcurrency: deps.config.workerConcurrency,
      queueDepth: {
        [TASKS.publishBatch]: queue[TASKS.publishBatch] ?? EMPTY,
        [TASKS.tick]: queue[TASKS.tick] ?? EMPTY,
        [TASKS.catchUp]: queue[TASKS.catchUp] ?? EMPTY,
        [TASKS.deliver]: queue[TASKS.deliver] ?? EMPTY,
      },
      throughput,
      rows,
    });
  });
  allowOnly(router, '/api/ami/scale/status', ['GET']);
  return router;
}
