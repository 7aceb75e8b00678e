import { getAutoState } from '../db/autoConfig.ts';
import { addJobs, TASKS } from '../db/queue.ts';
import { recordFailedTick, tickStatuses } from '../db/ticks.ts';
import { withTransaction } from '../db/pool.ts';
import { getAlignedIntervalTimestamp, recentIntervals } from '../emulator/index.ts';
import type { Deps } from '../deps.ts';
import { retentionCutoff } from '../domain/interval.ts';
import { AppError } from '../errors.ts';
import { batchCount } from '../ingest/limits.ts';
import { publishTick } from '../ingest/publishTick.ts';
import { observeTickFailed } from '../metrics.ts';

/** How long a catch-up refused by backpressure waits before its next wave. */
export const CATCH_UP_RETRY_MS = 2_000;

export function catchUpJobKey(tenantId: string): string {
  return `${TASKS.catchUp}:${tenantId}`;
}

/** Queues a catch-up of one tenant (one pending catch-up per tenant: the job key). */
export async function queueCatchUp(deps: Pick<Deps, 'pool'>, tenantIds: string[], delayMs = 0): Promise<void> {
  if (tenantIds.length === 0) return;
  await withTransaction(deps.pool, (client) =>
    addJobs(
      client,
      TASKS.catchUp,
      tenantIds.map((tenantId) => ({ payload: { tenantId }, jobKey: catchUpJobKey(tenantId), delayMs })),
      { maxAttempts: 5 },
    ),
  );
}

export interface CatchUpResult {
  /** Intervals enqueued (whole or their missing batches), oldest first. */
  published: Date[];
  /** True when backpressure stopped this wave; another is queued. */
  deferred: boolean;
}

/**
 * Re-publishes the tenant's recent intervals that have no complete tick:
 * the last `catchUpIntervals` boundaries up to the current one, oldest first.
 * An interval left incomplete (a worker died under it) gets only its missing
 * batches. Each interval goes through publishTick, so the caps and the
 * backpressure rule hold; when the queue is full the rest waits for the next
 * wave, queued a moment later. When auto mode is stopped meanwhile,
 * publishTick answers `disabled` and the catch-up ends there. Intervals the
 * retention deletes are not published again. An interval the tenant's
 * configuration cannot publish (it no longer fits the caps) is recorded as
 * failed in the ledger and ends the catch-up without an error, so the job is
 * not retried for nothing.
 */
export async function catchUp(deps: Deps, tenantId: string): Promise<CatchUpResult> {
  const state = await getAutoState(deps.pool, tenantId);
  if (!state?.enabled) return { published: [], deferred: false };
  const { config } = state;
  if (config.catchUpIntervals === 0) return { published: [], deferred: false };

  const now = deps.clock();
  const current = getAlignedIntervalTimestamp(config.intervalMinutes, now);
  const oldestKept = retentionCutoff(now, deps.retentionDays);
  const window = recentIntervals(current, config.catchUpIntervals, config.intervalMinutes).filter((readAt) => !oldestKept || readAt >= oldestKept);
  const statuses = await tickStatuses(deps.pool, tenantId, window);
  const published: Date[] = [];
  for (const readAt of window) {
    if (statuses.get(readAt.getTime()) === 'complete') continue;
    let outcome: Awaited<ReturnType<typeof publishTick>>;
    try {
      outcome = await publishTick(deps, tenantId, readAt, config.meterCount, config.feederCount, config.batchSize, {
        requestedBy: 'catch-up',
        intervalMinutes: config.intervalMinutes,
        onBackpressure: 'refuse',
        resume: true,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await recordFailedTick(deps.pool, {
        ...config,
        readAt,
        requestedBy: 'catch-up',
        batchCount: batchCount(config),
        now: deps.clock(),
        reason: error.message,
      });
      deps.logger.error({ err: error, tenantId, readAt }, 'catch-up stopped: the interval cannot be published');
      observeTickFailed(tenantId);
      break;
    }
    if (outcome.outcome === 'skipped') {
      await queueCatchUp(deps, [tenantId], CATCH_UP_RETRY_MS);
      deps.logger.info({ tenantId, published: published.length, queueDepth: outcome.queueDepth }, 'catch-up paused by backpressure; next wave queued');
      return { published, deferred: true };
    }
    if (outcome.outcome === 'disabled') {
      // Auto mode was stopped while this catch-up ran: stop here.
      deps.logger.info({ tenantId, published: published.length }, 'catch-up stopped: auto mode is off');
      break;
    }
    if (outcome.outcome === 'enqueued') published.push(readAt);
  }
  if (published.length > 0) deps.logger.info({ tenantId, intervals: published.map((d) => d.toISOString()) }, 'catch-up enqueued');
  return { published, deferred: false };
}
