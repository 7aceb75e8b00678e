import { Router } from 'express';
import { z } from 'zod';
import type { Caps } from '../../config.ts';
import { outsideRetention } from '../../db/retention.ts';
import { getAlignedIntervalTimestamp, isAlignedTo } from '../../emulator/index.ts';
import { AppError } from '../../errors.ts';
import { tickShapeErrors } from '../../ingest/limits.ts';
import { publishTick, type IngestDeps } from '../../ingest/publishTick.ts';
import { requireOperator } from '../auth.ts';
import { allowOnly } from '../errors.ts';
import { instantSchema, intervalMinutesSchema, positiveInt, tenantIdSchema } from '../schemas.ts';
import { jsonBody, parseBody } from '../validate.ts';

/** Fleet fields with the contract's defaults, checked against the caps. */
export function fleetFields(caps: Caps) {
  return {
    tenantId: tenantIdSchema,
    meterCount: positiveInt().default(Math.min(25_000, caps.maxMeterCount)),
    feederCount: positiveInt(10_000).default(25),
    batchSize: positiveInt().default(Math.min(500, caps.maxBatchSize)),
    intervalMinutes: intervalMinutesSchema.default(15),
  };
}

/** Adds the cap errors of SPEC section 4 to a zod refinement. */
export function checkCaps(caps: Caps, value: { meterCount: number; feederCount: number; batchSize: number }, ctx: z.RefinementCtx): void {
  for (const error of tickShapeErrors(caps, value)) ctx.addIssue({ code: 'custom', path: [error.field], message: error.message });
}

export function publishRouter(deps: IngestDeps & { apiToken: string | undefined; retentionDays: number; now: () => Date }): Router {
  const schema = z
    .strictObject({ ...fleetFields(deps.caps), readAt: instantSchema.optional() })
    .superRefine((value, ctx) => {
      checkCaps(deps.caps, value, ctx);
      if (value.readAt === undefined) return;
      if (!isAlignedTo(value.readAt, value.intervalMinutes)) {
        ctx.addIssue({ code: 'custom', path: ['readAt'], message: `must be on a ${value.intervalMinutes}-minute boundary (UTC), e.g. 10:00, 10:15` });
        return;
      }
      const now = deps.now();
      const current = getAlignedIntervalTimestamp(value.intervalMinutes, now);
      if (value.readAt > current) {
        ctx.addIssue({ code: 'custom', path: ['readAt'], message: `must not be in the future: the current interval is ${current.toISOString()}` });
      }
      const outside = outsideRetention(value.readAt, now, deps.retentionDays);
      if (outside) ctx.addIssue({ code: 'custom', path: ['readAt'], message: outside });
    });

  const router = Router();
  /** One tick by hand, for the current interval or a given past one. */
  router.post('/api/ami/publish-once', requireOperator(deps.apiToken), jsonBody, async (req, res) => {
    const body = parseBody(schema, req);
    const readAt = body.readAt ?? getAlignedIntervalTimestamp(body.intervalMinutes, deps.now());
    const result = await publishTick(deps, body.tenantId, readAt, body.meterCount, body.feederCount, body.batchSize, {
      requestedBy: 'manual',
      intervalMinutes: body.intervalMinutes,
      onBackpressure: 'refuse',
    });
    if (result.outcome === 'skipped') {
      res.set('Retry-After', '5');
      throw new AppError('BACKPRESSURE', `queue too deep: ${result.queueDepth} batch jobs waiting or delayed, this tick needs ${result.wanted} more, the limit is ${result.limit}; nothing was enqueued`, {
        queueDepth: result.queueDepth,
        limit: result.limit,
        jobs: result.wanted,
      });
    }
    res.status(result.outcome === 'enqueued' ? 202 : 200).json({
      ok: true,
      tenantId: body.tenantId,
      readAt: readAt.toISOString(),
      jobs: result.jobs,
      alreadyPublished: result.outcome === 'already-published',
      tick: result.tick,
    });
  });
  allowOnly(router, '/api/ami/publish-once', ['POST']);
  return router;
}
