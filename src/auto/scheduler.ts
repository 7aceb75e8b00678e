import { enabledTenants } from '../db/autoConfig.ts';
import { recordSchedulerRun } from '../db/scheduler.ts';
import { tickStatuses } from '../db/ticks.ts';
import { getAlignedIntervalTimestamp, isAlignedTo, recentIntervals } from '../emulator/index.ts';
import { publishTick, type IngestDeps } from '../ingest/publishTick.ts';
import { queueCatchUp } from './catchUp.ts';

export interface Slot {
  /** The crontab entry that fired. */
  crontabId: string;
  /** The scheduled time (`_cron.ts`): the interval, whenever the job runs. */
  ts: Date;
  backfilled: boolean;
  workerId: string | null;
}

/**
 * One firing of the scheduler: publishes every enabled tenant whose interval
 * boundary the slot is (a 30-minute tenant on :00 and :30 only). A tick
 * refused by backpressure is recorded as skipped in the ledger; a tenant
 * with a missing or skipped recent interval gets a catch-up queued. A tenant
 * stopped after the slot listed it is passed over (publishTick: disabled).
 * Errors of one tenant do not stop the others; the job fails at the end so
 * Graphile Worker retries it (every step is idempotent).
 */
export async function runSlot(deps: IngestDeps, slot: Slot): Promise<{ due: number; enqueued: number; skipped: number }> {
  const interval = getAlignedIntervalTimestamp(15, slot.ts);
  const tenants = (await enabledTenants(deps.pool)).filter((t) => isAlignedTo(interval, t.intervalMinutes));
  let enqueued = 0;
  let skipped = 0;
  const failures: unknown[] = [];
  const needCatchUp: string[] = [];
  for (const tenant of tenants) {
    try {
      const outcome = await publishTick(deps, tenant.tenantId, interval, tenant.meterCount, tenant.feederCount, tenant.batchSize, {
        requestedBy: 'cron',
        intervalMinutes: tenant.intervalMinutes,
        onBackpressure: 'record',
      });
      // Stopped since enabledTenants read it: not enqueued, and no catch-up.
      if (outcome.outcome === 'disabled') continue;
      if (outcome.outcome === 'enqueued') enqueued++;
      if (outcome.outcome === 'skipped') skipped++;
      if (outcome.outcome === 'skipped' || (await hasGaps(deps, tenant.tenantId, interval, tenant.intervalMinutes, tenant.catchUpIntervals))) {
        needCatchUp.push(tenant.tenantId);
      }
    } catch (error) {
      deps.logger.error({ err: error, tenantId: tenant.tenantId, readAt: interval }, 'scheduled tick failed');
      failures.push(error);
    }
  }
  // After a skip, give the queue a few seconds to drain first.
  await queueCatchUp(deps, needCatchUp, skipped > 0 ? 5_000 : 0);
  await recordSchedulerRun(deps.pool, {
    crontabId: slot.crontabId,
    slot: slot.ts,
    backfilled: slot.backfilled,
    workerId: slot.workerId,
    tenantsDue: tenants.length,
    tenantsEnqueued: enqueued,
    tenantsSkipped: skipped,
  });
  deps.logger.info({ slot: slot.ts, backfilled: slot.backfilled, due: tenants.length, enqueued, skipped }, 'scheduler slot');
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${tenants.length} tenants failed in slot ${slot.ts.toISOString()}`);
  return { due: tenants.length, enqueued, skipped };
}

/** Whether any earlier interval of the catch-up window lacks a complete tick. */
async function hasGaps(deps: IngestDeps, tenantId: string, latest: Date, intervalMinutes: number, catchUpIntervals: number): Promise<boolean> {
  if (catchUpIntervals <= 1) return false;
  const earlier = recentIntervals(latest, catchUpIntervals, intervalMinutes).slice(0, -1);
  const statuses = await tickStatuses(deps.pool, tenantId, earlier);
  return earlier.some((readAt) => statuses.get(readAt.getTime()) !== 'complete');
}
