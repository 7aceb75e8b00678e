import { enabledTenants, type AutoConfig } from '../db/autoConfig.ts';
import { claimSlot, finishSlot } from '../db/scheduler.ts';
import { recordFailedTick, tickStatuses } from '../db/ticks.ts';
import type { Deps } from '../deps.ts';
import { getAlignedIntervalTimestamp, isAlignedTo, recentIntervals } from '../emulator/index.ts';
import { AppError } from '../errors.ts';
import { batchCount } from '../ingest/limits.ts';
import { publishTick } from '../ingest/publishTick.ts';
import { observeTickFailed } from '../metrics.ts';
import { queueCatchUp } from './catchUp.ts';

export interface Slot {
  /** The crontab entry that fired. */
  crontabId: string;
  /** The scheduled time (`_cron.ts`): the interval, whenever the job runs. */
  ts: Date;
  backfilled: boolean;
  workerId: string | null;
}

export interface SlotOutcome {
  /** False when another run had claimed the slot: this one did nothing. */
  claimed: boolean;
  due: number;
  enqueued: number;
  skipped: number;
  failed: number;
}

/**
 * One firing of the scheduler. It first claims the slot (one row per slot,
 * unique in the database): a process that finds it claimed, such as a stalled
 * one waking up after another ran the slot, does nothing. Then it publishes
 * every enabled tenant whose interval boundary the slot is (a 30-minute tenant
 * on :00 and :30 only), each on its own: a tick refused by backpressure is
 * recorded as skipped, one that cannot be published (its configuration no
 * longer fits the caps) as failed with the reason, and the others go on. A
 * tenant with a missing, skipped or failed recent interval gets a catch-up
 * queued. The slot is never retried whole: a tenant it could not reach (the
 * database went away) is caught up by the next slot's catch-up.
 */
export async function runSlot(deps: Deps, slot: Slot): Promise<SlotOutcome> {
  const runId = await claimSlot(deps.pool, { ...slot, slot: slot.ts, now: deps.clock() });
  if (runId === undefined) {
    deps.logger.warn({ slot: slot.ts, crontabId: slot.crontabId, workerId: slot.workerId }, 'scheduler slot already claimed: nothing to do');
    return { claimed: false, due: 0, enqueued: 0, skipped: 0, failed: 0 };
  }
  const interval = getAlignedIntervalTimestamp(15, slot.ts);
  const tenants = (await enabledTenants(deps.pool)).filter((t) => isAlignedTo(interval, t.intervalMinutes));
  const outcome: SlotOutcome = { claimed: true, due: tenants.length, enqueued: 0, skipped: 0, failed: 0 };
  const needCatchUp: string[] = [];
  for (const tenant of tenants) {
    const result = await publishTenant(deps, tenant, interval);
    if (result === 'disabled') continue;
    outcome[result] += 1;
    if (result !== 'enqueued' || (await hasGaps(deps, tenant, interval).catch(() => true))) needCatchUp.push(tenant.tenantId);
  }
  // After a skip, give the queue a few seconds to drain first.
  await queueCatchUp(deps, needCatchUp, outcome.skipped > 0 ? 5_000 : 0).catch((error: unknown) =>
    deps.logger.error({ err: error, tenants: needCatchUp }, 'could not queue the catch-up of the slot; the next slot will'),
  );
  await finishSlot(deps.pool, runId, {
    tenantsDue: outcome.due,
    tenantsEnqueued: outcome.enqueued,
    tenantsSkipped: outcome.skipped,
    tenantsFailed: outcome.failed,
    now: deps.clock(),
  }).catch((error: unknown) => deps.logger.error({ err: error, slot: slot.ts }, 'could not record the end of the slot'));
  deps.logger.info({ slot: slot.ts, backfilled: slot.backfilled, ...outcome }, 'scheduler slot');
  return outcome;
}

/** One tenant of a slot, isolated from the others: whatever happens is an outcome, never a throw. */
async function publishTenant(deps: Deps, tenant: AutoConfig, interval: Date): Promise<'enqueued' | 'skipped' | 'failed' | 'disabled'> {
  try {
    const outcome = await publishTick(deps, tenant.tenantId, interval, tenant.meterCount, tenant.feederCount, tenant.batchSize, {
      requestedBy: 'cron',
      intervalMinutes: tenant.intervalMinutes,
      onBackpressure: 'record',
    });
    // Stopped since enabledTenants read it: not enqueued, and no catch-up.
    if (outcome.outcome === 'disabled') return 'disabled';
    return outcome.outcome === 'skipped' ? 'skipped' : 'enqueued';
  } catch (error) {
    deps.logger.error({ err: error, tenantId: tenant.tenantId, readAt: interval }, 'scheduled tick failed');
    observeTickFailed(tenant.tenantId);
    // A refusal (caps, a conflict) is the tenant's state, recorded in the ledger
    // where auto/status shows it; anything else (the database) is left to catch-up.
    if (error instanceof AppError) {
      await recordFailedTick(deps.pool, {
        tenantId: tenant.tenantId,
        readAt: interval,
        requestedBy: 'cron',
        meterCount: tenant.meterCount,
        feederCount: tenant.feederCount,
        batchSize: tenant.batchSize,
        batchCount: batchCount(tenant),
        intervalMinutes: tenant.intervalMinutes,
        now: deps.clock(),
        reason: error.message,
      }).catch((recordError: unknown) => deps.logger.error({ err: recordError, tenantId: tenant.tenantId }, 'could not record the failed tick'));
    }
    return 'failed';
  }
}

/** Whether any earlier interval of the catch-up window lacks a complete tick. */
async function hasGaps(deps: Deps, tenant: AutoConfig, latest: Date): Promise<boolean> {
  if (tenant.catchUpIntervals <= 1) return false;
  const earlier = recentIntervals(latest, tenant.catchUpIntervals, tenant.intervalMinutes).slice(0, -1);
  const statuses = await tickStatuses(deps.pool, tenant.tenantId, earlier);
  return earlier.some((readAt) => statuses.get(readAt.getTime()) !== 'complete');
}
