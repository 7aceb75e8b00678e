import { dueIntervals } from '../db/collection.ts';
import { withTransaction } from '../db/pool.ts';
import { addJobs, ENQUEUE_LOCK, TASKS, writeJobsPending } from '../db/queue.ts';
import type { Deps } from '../deps.ts';
import { recordPowerOutages } from './meterEvents.ts';
import type { DeliverPayload } from './payloads.ts';

const DELIVER_MAX_ATTEMPTS = 10;

export function deliverJobKey(tenantId: string, readAt: Date): string {
  return `${TASKS.deliver}:${tenantId}:${readAt.toISOString()}`;
}

export interface SweepResult {
  lastGasps: number;
  restorations: number;
  /** Intervals with reads due now. */
  dueIntervals: number;
  /** Delivery jobs queued (one per interval, within the cap). */
  queued: number;
  /** Write jobs waiting, delayed or running before this sweep queued any. */
  queueDepth: number;
}

/**
 * `ami_collect`, every minute: the head-end's side of collection. It writes
 * the meter events that have come in (recordPowerOutages), then queues one
 * `ami_deliver` job per interval with reads due, oldest first, under the
 * enqueue lock and within the queue cap (AMI_MAX_QUEUE_DEPTH) like a tick's
 * batches: a backfill larger than the cap goes out over several sweeps. A
 * job key per (tenant, interval) keeps an interval from being queued twice.
 */
export async function collectSweep(deps: Deps): Promise<SweepResult> {
  const events = await recordPowerOutages(deps);
  const now = deps.clock();
  const result = await withTransaction(deps.pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [ENQUEUE_LOCK]);
    const queueDepth = await writeJobsPending(client);
    const room = Math.max(0, deps.caps.maxQueueDepth - queueDepth);
    const due = await dueIntervals(client, now, Math.max(room, 1));
    const jobs = due.slice(0, room).map((interval) => {
      const payload: DeliverPayload = { tenantId: interval.tenantId, readAt: interval.readAt.toISOString() };
      return { payload, jobKey: deliverJobKey(interval.tenantId, interval.readAt) };
    });
    await addJobs(client, TASKS.deliver, jobs, { maxAttempts: DELIVER_MAX_ATTEMPTS });
    return { dueIntervals: due.length, queued: jobs.length, queueDepth };
  });
  if (result.queued > 0 || events.lastGasps > 0 || events.restorations > 0) {
    deps.logger.info({ ...events, ...result }, 'collection sweep');
  }
  return { ...events, ...result };
}
