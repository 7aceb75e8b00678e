import { disableAuto, enableAuto, getAutoState, type AutoConfig, type AutoState } from '../db/autoConfig.ts';
import { ensureFleet, registeredFleet } from '../db/fleet.ts';
import { withTransaction } from '../db/pool.ts';
import { addJobs, queueDepth, TASKS, type QueueDepth } from '../db/queue.ts';
import { latestReadAt, recentTicks, type Tick } from '../db/ticks.ts';
import type { Deps } from '../deps.ts';
import { CONTRACT_DEFAULTS, type AutoStartInput } from '../domain/fleet.ts';
import { type CollectionProfile, getAlignedIntervalTimestamp, nextIntervalBoundary, type IntervalMinutes } from '../emulator/index.ts';
import { AppError, fieldErrors } from '../errors.ts';
import { withTenantDefaults } from '../ingest/fleetDefaults.ts';
import { tickShapeErrors } from '../ingest/limits.ts';
import { catchUpJobKey } from './catchUp.ts';

/**
 * Turns automatic mode on for a tenant: fills what the request leaves out
 * (the contract's defaults; the feeder count of a registered tenant, which
 * cannot change), checks the caps, registers the fleet, stores the
 * configuration (it survives restarts and is what every worker reads), and
 * queues the tenant's catch-up in the same transaction, so the current
 * interval is published within seconds rather than at the next boundary.
 */
/** Automatic mode's configuration as the API shows it: with the fleet's clock, solar share and collection profile. */
export type AutoConfigView = AutoConfig & { timeZone: string; solarShare: number; collection: CollectionProfile };

export async function startAuto(deps: Deps, input: AutoStartInput): Promise<{ config: AutoConfigView; nextRunAt: Date }> {
  const resolved = await withTenantDefaults(deps.pool, deps.caps, input, { keepMeterCount: false });
  const config: AutoConfig = {
    tenantId: resolved.tenantId,
    meterCount: resolved.meterCount,
    feederCount: resolved.feederCount,
    batchSize: resolved.batchSize,
    intervalMinutes: resolved.intervalMinutes as IntervalMinutes,
    catchUpIntervals: input.catchUpIntervals ?? CONTRACT_DEFAULTS.catchUpIntervals,
  };
  const errors = tickShapeErrors(deps.caps, config);
  if (errors.length > 0) throw fieldErrors(errors);
  const now = deps.clock();
  const state = await withTransaction(deps.pool, async (client) => {
    await ensureFleet(client, {
      tenantId: config.tenantId,
      meterCount: config.meterCount,
      feederCount: config.feederCount,
      intervalMinutes: config.intervalMinutes,
      timeZone: input.timeZone,
      solarShare: input.solarShare,
      collection: input.collection,
      now,
    });
    const stored = await enableAuto(client, config, now);
    await addJobs(client, TASKS.catchUp, [{ payload: { tenantId: config.tenantId }, jobKey: catchUpJobKey(config.tenantId) }], { maxAttempts: 5 });
    return { stored, fleet: await registeredFleet(client, config.tenantId) };
  });
  const view = { ...state.stored.config, timeZone: state.fleet!.timeZone, solarShare: state.fleet!.solarShare, collection: state.fleet!.collection };
  deps.logger.info({ ...view }, 'auto mode started');
  return { config: view, nextRunAt: nextIntervalBoundary(config.intervalMinutes, now) };
}

/**
 * Turns it off: no later tick fires for the tenant and its pending catch-up
 * is dropped; batches already enqueued finish, so no interval is left half
 * written. A catch-up or scheduler slot already running stops at its next
 * interval: publishTick reads the config row FOR SHARE, so this update waits
 * for a publish in progress and every later one sees the tenant disabled.
 * Locks: only the config row (and the catch-up job), so it cannot deadlock
 * with publishTick's fleet lock -> config row -> enqueue lock -> ledger row.
 * A tenant that never had automatic mode is NOT_FOUND.
 */
export async function stopAuto(deps: Deps, tenantId: string): Promise<{ state: AutoState; wasEnabled: boolean }> {
  const result = await withTransaction(deps.pool, async (client) => {
    const stopped = await disableAuto(client, tenantId, deps.clock());
    if (stopped) await client.query('select graphile_worker.remove_job($1)', [catchUpJobKey(tenantId)]);
    return stopped;
  });
  if (!result) throw new AppError('NOT_FOUND', `auto mode was never started for tenant ${tenantId}`);
  if (result.wasEnabled) deps.logger.info({ tenantId }, 'auto mode stopped');
  return result;
}

export interface AutoStatus {
  tenantId: string;
  enabled: boolean;
  config: AutoConfigView | null;
  startedAt: Date | null;
  stoppedAt: Date | null;
  /** The current boundary of the tenant's interval (the interval a tick would publish now). REST name: lastAlignedInterval. */
  currentInterval: Date;
  /** Newest read_at in the database for the tenant. */
  latestReadAt: Date | null;
  /** When the scheduler next publishes the tenant; null while disabled. */
  nextRunAt: Date | null;
  /** The batch queue, all tenants (the backpressure rule is global). */
  queueDepth: QueueDepth;
  recentTicks: Tick[];
}

export async function autoStatus(deps: Pick<Deps, 'pool' | 'clock'>, tenantId: string): Promise<AutoStatus> {
  const now = deps.clock();
  const [state, fleet, latest, depth, ticks] = await Promise.all([
    getAutoState(deps.pool, tenantId),
    registeredFleet(deps.pool, tenantId),
    latestReadAt(deps.pool, tenantId),
    queueDepth(deps.pool, TASKS.publishBatch),
    recentTicks(deps.pool, { tenantId, limit: 10 }),
  ]);
  const intervalMinutes = state?.config.intervalMinutes ?? 15;
  return {
    tenantId,
    enabled: state?.enabled ?? false,
    config: state && fleet ? { ...state.config, timeZone: fleet.timeZone, solarShare: fleet.solarShare, collection: fleet.collection } : null,
    startedAt: state?.startedAt ?? null,
    stoppedAt: state?.stoppedAt ?? null,
    currentInterval: getAlignedIntervalTimestamp(intervalMinutes, now),
    latestReadAt: latest,
    nextRunAt: state?.enabled ? nextIntervalBoundary(intervalMinutes, now) : null,
    queueDepth: depth,
    recentTicks: ticks,
  };
}
