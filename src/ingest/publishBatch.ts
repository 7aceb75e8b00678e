import { eventsActiveAt } from '../db/events.ts';
import { sliceMeters } from '../db/fleet.ts';
import { writeBatch, type BatchWriteResult } from '../db/reads.ts';
import { generateBatch } from '../emulator/index.ts';
import type { BatchPayload, IngestDeps } from './publishTick.ts';

/**
 * Generates and writes one batch: every registered meter of the slice
 * (those a later, smaller publish has retired since included: the slice was
 * cut from this tick's own meterCount), the events active at `read_at` (so a
 * catch-up of a past interval sees the events of that time), the emulator,
 * one idempotent write. Logs the tick line when this batch completes the
 * interval.
 */
export async function publishBatch(deps: Pick<IngestDeps, 'pool' | 'logger'>, payload: BatchPayload): Promise<BatchWriteResult> {
  const readAt = new Date(payload.readAt);
  const [profiles, events] = await Promise.all([
    sliceMeters(deps.pool, payload.tenantId, payload.firstMeterId, payload.lastMeterId),
    eventsActiveAt(deps.pool, payload.tenantId, readAt),
  ]);
  const reads = generateBatch(payload.tenantId, profiles, readAt, events, payload.intervalMinutes);
  const result = await writeBatch(deps.pool, {
    tenantId: payload.tenantId,
    readAt,
    batchIndex: payload.batchIndex,
    firstMeterId: payload.firstMeterId,
    lastMeterId: payload.lastMeterId,
    reads,
  });
  const { tick } = result;
  if (result.recorded && tick?.status === 'complete' && tick.batchesDone === tick.batchCount) {
    deps.logger.info(
      { tenantId: payload.tenantId, readAt: payload.readAt, jobs: tick.batchCount, rows: tick.rowsWritten, ms: tick.durationMs },
      'tick complete',
    );
  }
  return result;
}
