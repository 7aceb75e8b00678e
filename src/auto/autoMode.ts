import { disableAuto, enableAuto, getAutoState, type AutoConfig, type AutoState } from '../db/autoConfig.ts';
import { ensureFleet } from '../db/fleet.ts';
import { withTransaction } from '../db/pool.ts';
import { addJobs, queueDepth, TASKS, type QueueDepth } from '../db/queue.ts';
import { latestReadAt, recentTicks, type Tick } from '../db/ticks.ts';
import { getAlignedIntervalTimestamp, nextIntervalBoundary } from '../emulator/index.ts';
import { AppError, fieldErrors } from '../errors.ts';
import { tickShapeErrors } from '../ingest/limits.ts';
import type { IngestDeps } from '../ingest/publishTick.ts';
import { catchUpJobKey } from './catchUp.ts';

/**
 * Turns automatic mode on for a tenant: registers the fleet, stores the
 * configuration (it survives restarts and is what every worker reads), and
 * queues the tenant's catch-up in the same transaction, so the current
 * interval is published within seconds rather than at the next boundary.
 */
export async function startAuto(deps: IngestDeps, config: AutoConfig, now: Date): Promise<{ state: AutoState; nextRunAt: Date }> {
  const errors = tickShapeErrors(deps.caps, config);
  if (errors.length > 0) throw fieldErrors(errors);
  const state = await withTransaction(deps.pool, async (client) => {
    await ensureFleet(client, { tenantId: config.tenantId, meterCount: config.meterCount, feederCount: config.feederCount });
    const stored = await enableAuto(client, config);
    await addJobs(client, TASKS.catchUp, [{ payload: { tenantId: config.tenantId }, jobKey: catchUpJobKey(config.tenantId) }], { maxAttempts: 5 });
    return stored;
  });
  deps.logger.info({ ...config }, 'auto mode started');
  return { state, nextRunAt: nextIntervalBoundary(config.intervalMinutes, now) };
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
export async function stopAuto(deps: IngestDeps, tenantId: string): Promise<{ state: AutoState; wasEnabled: boolean }> {
  const result = await withTransaction(deps.pool, async (client) => {
    const stopped = await disableAuto(client, tenantId);
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
  config: AutoConfig | null;
  startedAt: Date | null;
  stoppedAt: Date | null;
  /** The current boundary of the tenant's interval (the interval a tick would publish now). */
  lastAlignedInterval: Date;
  /** Newest read_at in the database for the tenant. */
  latestReadAt: Date | null;
  /** When the scheduler next publishes the tenant; null while disabled. */
  nextRunAt: Date | null;
  /** The batch queue, all tenants (the backpressure rule is global). */
  queueDepth: QueueDepth;
  recentTicks: Tick[];
}

export async function autoStatus(deps: Pick<IngestDeps, 'pool'>, tenantId: string, now: Date): Promise<AutoStatus> {
  const [state, latest, depth, ticks] = await Promise.all([
    getAutoState(deps.pool, tenantId),
    latestReadAt(deps.pool, tenantId),
    queueDepth(deps.pool, TASKS.publishBatch),
    recentTicks(deps.pool, { tenantId, limit: 10 }),
  ]);
  const intervalMinutes = state?.config.intervalMinutes ?? 15;
  return {
    tenantId,
    enabled: state?.enabled ?? false,
    config: state?.config ?? null,
    startedAt: state?.startedAt ?? null,
    stoppedAt: state?.stoppedAt ?? null,
    lastAlignedInterval: getAlignedIntervalTimestamp(intervalMinutes, now),
    latestReadAt: latest,
    nextRunAt: state?.enabled ? nextIntervalBoundary(intervalMinutes, now) : null,
    queueDepth: depth,
    recentTicks: ticks,
  };
}
