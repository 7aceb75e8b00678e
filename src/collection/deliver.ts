import { insertDelivered, takeDueReads } from '../db/collection.ts';
import { eventsForInterval } from '../db/events.ts';
import { metersById, tenantSettings } from '../db/fleet.ts';
import { withTransaction } from '../db/pool.ts';
import type { Deps } from '../deps.ts';
import { generateBatch } from '../emulator/index.ts';
import { observeReadsDelivered } from '../metrics.ts';
import type { DeliverPayload } from './payloads.ts';

/** Reads one delivery job writes at most; the next sweep hands out the rest. */
export const DELIVER_MAX_READS = 5_000;

/**
 * One `ami_deliver` job: the reads of one interval of one tenant that have
 * reached the head-end by now (late ones, backfill after an outage). In one
 * transaction it takes them from ami_pending_reads, generates them exactly as
 * the tick would have (the same pure emulator, the events of that interval),
 * and writes them with received_at now: a read leaves the pending table in
 * the statement's transaction that stores it, so none is lost or doubled.
 */
export async function deliverInterval(deps: Pick<Deps, 'pool' | 'logger' | 'clock'>, payload: DeliverPayload): Promise<{ delivered: number }> {
  const readAt = new Date(payload.readAt);
  const now = deps.clock();
  const delivered = await withTransaction(deps.pool, async (client) => {
    const due = await takeDueReads(client, { tenantId: payload.tenantId, readAt, now, limit: DELIVER_MAX_READS });
    if (due.length === 0) return 0;
    const tenant = await tenantSettings(client, payload.tenantId);
    // One connection: one query at a time.
    const profiles = await metersById(
      client,
      payload.tenantId,
      due.map((read) => read.meterId),
    );
    const events = await eventsForInterval(client, payload.tenantId, readAt, tenant.intervalMinutes);
    const delivery = new Map(due.map((read) => [read.meterId, read.delivery]));
    const reads = generateBatch(tenant.model, profiles, readAt, events, tenant.intervalMinutes).map((read) => ({
      ...read,
      delivery: delivery.get(read.meterId)!,
    }));
    return insertDelivered(client, payload.tenantId, readAt, reads, now);
  });
  observeReadsDelivered(payload.tenantId, delivered);
  if (delivered > 0) deps.logger.debug({ tenantId: payload.tenantId, readAt: payload.readAt, delivered }, 'reads delivered');
  return { delivered };
}
