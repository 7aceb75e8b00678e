import { eventsForInterval } from '../db/events.ts';
import { sliceMeters, tenantSettings } from '../db/fleet.ts';
import { writeBatch, type BatchWriteResult } from '../db/writeBatch.ts';
import type { Deps } from '../deps.ts';
import { generateBatch } from '../emulator/index.ts';
import { byArrival } from '../collection/arrivals.ts';
import { observeBatchLanded } from '../metrics.ts';
import type { BatchPayload } from './payloads.ts';

/**
 * Generates and writes one batch: every registered meter of the slice
 * (those a later, smaller publish has retired since included: the slice was
 * cut from this tick's own meterCount), the events of the interval (so a
 * catch-up of a past interval sees the events of that time), the emulator,
 * the collection (which reads reach the head-end now, which later), one
 * idempotent write. Logs the tick line when this batch completes the interval.
 */
export async function publishBatch(deps: Pick<Deps, 'pool' | 'logger' | 'clock'>, payload: BatchPayload): Promise<BatchWriteResult> {
  const readAt = new Date(payload.readAt);
  const [tenant, profiles, events] = await Promise.all([
    tenantSettings(deps.pool, payload.tenantId),
    sliceMeters(deps.pool, payload.tenantId, payload.firstMeterId, payload.lastMeterId),
    eventsForInterval(deps.pool, payload.tenantId, readAt, payload.intervalMinutes),
  ]);
  const reads = generateBatch(tenant.model, profiles, readAt, events, payload.intervalMinutes);
  const now = deps.clock();
  const arrivals = byArrival(payload.tenantId, reads, readAt, events, { intervalMinutes: payload.intervalMinutes, collection: tenant.collection, now });
  const result = await writeBatch(deps.pool, {
    tenantId: payload.tenantId,
    readAt,
    batchIndex: payload.batchIndex,
    reads: arrivals.now,
    pending: arrivals.pending,
    now,
  });
  const { tick } = result;
  if (result.recorded && tick?.status === 'complete' && tick.batchesDone === tick.batchCount) {
    deps.logger.info(
      { tenantId: payload.tenantId, readAt: payload.readAt, jobs: tick.batchCount, rows: tick.rowsWritten, ms: tick.durationMs },
      'tick complete',
    );
  }
  observeBatchLanded(payload.tenantId, result);
  return result;
}
