import type { Deps } from '../deps.ts';
import { readAtErrors } from '../domain/interval.ts';
import type { PublishOnceInput } from '../domain/fleet.ts';
import { getAlignedIntervalTimestamp } from '../emulator/index.ts';
import { AppError, fieldErrors } from '../errors.ts';
import { withTenantDefaults } from './fleetDefaults.ts';
import { tickShapeErrors } from './limits.ts';
import { publishTick, type TickOutcome } from './publishTick.ts';

export type PublishOnceResult = { readAt: Date } & Extract<TickOutcome, { outcome: 'enqueued' | 'already-published' }>;

/**
 * POST /api/ami/publish-once: one interval by hand, the current one or a
 * given past one. The tenant's own fleet and configuration fill what the
 * request leaves out; the caps and the readAt rules are checked on the
 * effective values; a refusal by backpressure is a BACKPRESSURE error (429)
 * and enqueues nothing.
 */
export async function publishOnce(deps: Deps, input: PublishOnceInput): Promise<PublishOnceResult> {
  const request = await withTenantDefaults(deps.pool, deps.caps, input);
  const now = deps.clock();
  const errors = tickShapeErrors(deps.caps, request);
  if (request.readAt !== undefined)
    errors.push(...readAtErrors(request.readAt, { intervalMinutes: request.intervalMinutes, now, retentionDays: deps.retentionDays }));
  if (errors.length > 0) throw fieldErrors(errors);

  const readAt = request.readAt ?? getAlignedIntervalTimestamp(request.intervalMinutes, now);
  const result = await publishTick(deps, request.tenantId, readAt, request.meterCount, request.feederCount, request.batchSize, {
    requestedBy: 'manual',
    intervalMinutes: request.intervalMinutes,
    onBackpressure: 'refuse',
    timeZone: request.timeZone,
    solarShare: request.solarShare,
    collection: request.collection,
  });
  if (result.outcome === 'disabled') throw new Error('publishTick answered disabled to a manual publish');
  if (result.outcome === 'skipped') {
    throw new AppError(
      'BACKPRESSURE',
      `queue too deep: ${result.queueDepth} write jobs waiting, delayed or running, this tick needs ${result.wanted} more, the limit is ${result.limit}; nothing was enqueued`,
      { queueDepth: result.queueDepth, limit: result.limit, jobs: result.wanted },
    );
  }
  return { ...result, readAt };
}
