import type { DeliveredRead, PendingRead } from '../db/writeBatch.ts';
import { arrivalOf, type CollectionProfile, deliveryOf, effectsByFeeder, type GeneratedRead, type GridEvent, startKey } from '../emulator/index.ts';

/**
 * Splits the reads of an interval by when they reach the head-end
 * (src/emulator/collection.ts): the ones whose arrival has come by `now` are
 * stored now, with how they came (a late read of an interval published late,
 * by catch-up or a past publish-once, is written at once); the others wait in
 * ami_pending_reads; a lost one (a comms outage without backfill) is in
 * neither list.
 */
export function byArrival(
  tenantId: string,
  reads: GeneratedRead[],
  readAt: Date,
  events: GridEvent[],
  options: { intervalMinutes: number; collection: CollectionProfile; now: Date },
): { now: DeliveredRead[]; pending: PendingRead[] } {
  const tenantKey = startKey(tenantId);
  const readAtMs = readAt.getTime();
  const nowMs = options.now.getTime();
  const effects = effectsByFeeder(events, readAt, options.intervalMinutes * 60_000);
  const eventEnds = new Map(events.map((event) => [event.id, event.endsAt?.getTime() ?? Number.POSITIVE_INFINITY]));
  const now: DeliveredRead[] = [];
  const pending: PendingRead[] = [];
  for (const read of reads) {
    const arrival = arrivalOf(tenantKey, read.meterId, readAtMs, effects.size === 0 ? undefined : effects.get(read.feederId), options.collection);
    if (arrival.kind === 'lost') continue;
    const delivery = deliveryOf(arrival);
    // With its tick: stored as the batch lands, whatever the clock says of read_at.
    if (arrival.kind === 'on-time') {
      now.push({ ...read, delivery });
      continue;
    }
    const arriveAtMs = arrival.kind === 'held' ? (eventEnds.get(arrival.eventId) ?? Number.POSITIVE_INFINITY) + arrival.drainMs : arrival.arriveAtMs;
    if (arriveAtMs <= nowMs) {
      now.push({ ...read, delivery });
    } else if (arrival.kind === 'held') {
      pending.push({ meterId: read.meterId, feederId: read.feederId, delivery, arriveAt: null, heldBy: arrival.eventId, drainMs: arrival.drainMs });
    } else {
      pending.push({ meterId: read.meterId, feederId: read.feederId, delivery, arriveAt: new Date(arriveAtMs), heldBy: null, drainMs: 0 });
    }
  }
  return { now, pending };
}
