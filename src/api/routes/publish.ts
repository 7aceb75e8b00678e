import { Router } from 'express';
import { z } from 'zod';
import type { Caps } from '../../config.ts';
import { getAutoState } from '../../db/autoConfig.ts';
import { registeredFleet } from '../../db/fleet.ts';
import type { Pool } from '../../db/pool.ts';
import { outsideRetention } from '../../db/retention.ts';
import { getAlignedIntervalTimestamp, isAlignedTo } from '../../emulator/index.ts';
import { AppError, fieldErrors, type FieldError } from '../../errors.ts';
import { tickShapeErrors } from '../../ingest/limits.ts';
import { publishTick, type IngestDeps } from '../../ingest/publishTick.ts';
import { requireOperator } from '../auth.ts';
import { allowOnly } from '../errors.ts';
import { instantSchema, intervalMinutesSchema, positiveInt, tenantIdSchema } from '../schemas.ts';
import { jsonBody, parseBody } from '../validate.ts';

/** The contract's defaults of the fleet fields (within the caps). */
export function contractDefaults(caps: Caps) {
  return { meterCount: Math.min(25_000, caps.maxMeterCount), feederCount: 25, batchSize: Math.min(500, caps.maxBatchSize), intervalMinutes: 15 as const };
}

/** The fleet fields' rules, without defaults. */
function fleetShape() {
  return {
    tenantId: tenantIdSchema,
    meterCount: positiveInt(),
    feederCount: positiveInt(10_000),
    batchSize: positiveInt(),
    intervalMinutes: intervalMinutesSchema,
  };
}

/** Fleet fields with the contract's defaults, checked against the caps. */
export function fleetFields(caps: Caps) {
  const shape = fleetShape();
  const defaults = contractDefaults(caps);
  return {
    tenantId: shape.tenantId,
    meterCount: shape.meterCount.default(defaults.meterCount),
    feederCount: shape.feederCount.default(defaults.feederCount),
    batchSize: shape.batchSize.default(defaults.batchSize),
    intervalMinutes: shape.intervalMinutes.default(defaults.intervalMinutes),
  };
}

interface PublishFields {
  tenantId: string;
  meterCount?: number | undefined;
  feederCount?: number | undefined;
  batchSize?: number | undefined;
  intervalMinutes?: number | undefined;
}

/**
 * The fields a publish-once leaves out, filled from the tenant itself when
 * it exists, so a bare `{"tenantId":...}` publishes the tenant as it is
 * rather than resizing it: meterCount and feederCount from its registered
 * fleet (`ami_fleets`), batchSize and intervalMinutes from its automatic
 * mode (`ami_auto_config`); the contract's defaults otherwise.
 */
export async function withTenantDefaults<T extends PublishFields>(
  db: Pick<Pool, 'query'>,
  caps: Caps,
  input: T,
): Promise<T & { meterCount: number; feederCount: number; batchSize: number; intervalMinutes: number }> {
  const [fleet, auto] = await Promise.all([registeredFleet(db, input.tenantId), getAutoState(db, input.tenantId)]);
  const defaults = contractDefaults(caps);
  return {
    ...input,
    meterCount: input.meterCount ?? fleet?.meterCount ?? defaults.meterCount,
    feederCount: input.feederCount ?? fleet?.feederCount ?? defaults.feederCount,
    batchSize: input.batchSize ?? auto?.config.batchSize ?? defaults.batchSize,
    intervalMinutes: input.intervalMinutes ?? auto?.config.intervalMinutes ?? defaults.intervalMinutes,
  };
}

/** Adds the cap errors of SPEC section 4 to a zod refinement. */
export function checkCaps(caps: Caps, value: { meterCount: number; feederCount: number; batchSize: number }, ctx: z.RefinementCtx): void {
  for (const error of tickShapeErrors(caps, value)) ctx.addIssue({ code: 'custom', path: [error.field], message: error.message });
}

export function publishRouter(deps: IngestDeps & { apiToken: string | undefined; retentionDays: number; now: () => Date }): Router {
  const shape = fleetShape();
  const schema = z.strictObject({
    tenantId: shape.tenantId,
    meterCount: shape.meterCount.optional(),
    feederCount: shape.feederCount.optional(),
    batchSize: shape.batchSize.optional(),
    intervalMinutes: shape.intervalMinutes.optional(),
    readAt: instantSchema.optional(),
  });

  /** The caps and the rules of readAt, on the effective values (defaults filled in). */
  function publishErrors(value: { meterCount: number; feederCount: number; batchSize: number; intervalMinutes: number; readAt?: Date | undefined }): FieldError[] {
    const errors = tickShapeErrors(deps.caps, value);
    if (value.readAt === undefined) return errors;
    if (!isAlignedTo(value.readAt, value.intervalMinutes)) {
      const examples = [0, value.intervalMinutes].map((minutes) => new Date(Date.UTC(2026, 0, 1, 10, minutes)).toISOString().slice(11, 16));
      errors.push({ field: 'readAt', message: `must be on a ${value.intervalMinutes}-minute boundary (UTC), e.g. ${examples.join(', ')}` });
      return errors;
    }
    const now = deps.now();
    const current = getAlignedIntervalTimestamp(value.intervalMinutes, now);
    if (value.readAt > current) {
      errors.push({ field: 'readAt', message: `must not be in the future: the current interval is ${current.toISOString()}` });
    }
    const outside = outsideRetention(value.readAt, now, deps.retentionDays);
    if (outside) errors.push({ field: 'readAt', message: outside });
    return errors;
  }

  const router = Router();
  /** One tick by hand, for the current interval or a given past one. */
  router.post('/api/ami/publish-once', requireOperator(deps.apiToken), jsonBody, async (req, res) => {
    const body = await withTenantDefaults(deps.pool, deps.caps, parseBody(schema, req));
    const errors = publishErrors(body);
    if (errors.length > 0) throw fieldErrors(errors);
    const readAt = body.readAt ?? getAlignedIntervalTimestamp(body.intervalMinutes, deps.now());
    const result = await publishTick(deps, body.tenantId, readAt, body.meterCount, body.feederCount, body.batchSize, {
      requestedBy: 'manual',
      intervalMinutes: body.intervalMinutes,
      onBackpressure: 'refuse',
    });
    if (result.outcome === 'disabled') throw new Error('publishTick answered disabled to a manual publish');
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
