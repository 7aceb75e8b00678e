import { feederMeters, insertMeterEvents, type MeterEvent, powerOutagesToRecord } from '../db/collection.ts';
import type { Deps } from '../deps.ts';
import { losesPower, type MeterEventType, meterEventAt, startKey } from '../emulator/index.ts';

export interface MeterEventsWritten {
  lastGasps: number;
  restorations: number;
}

/**
 * Writes the last gasps and restorations of the power outages whose start or
 * end has come, of one tenant or every one: one per meter the outage took
 * (src/emulator/events.ts losesPower), at the instant the meter sent it
 * (meterEventAt), received now. The minute sweep calls it, so they are in
 * within a minute of the instant; the events API calls it as it injects or
 * ends an outage, so one whose window is past has them at once. Idempotent:
 * whoever comes second writes nothing.
 */
export async function recordPowerOutages(deps: Pick<Deps, 'pool' | 'clock'>, tenantId?: string): Promise<MeterEventsWritten> {
  const now = deps.clock();
  const written: MeterEventsWritten = { lastGasps: 0, restorations: 0 };
  for (const outage of await powerOutagesToRecord(deps.pool, now, tenantId)) {
    const tenantKey = startKey(outage.tenantId);
    const meters = (await feederMeters(deps.pool, outage.tenantId, outage.feederId)).filter((meterId) =>
      losesPower(tenantKey, meterId, outage.id, outage.severity),
    );
    const at = (type: MeterEventType, instant: Date): MeterEvent[] =>
      meters.map((meterId) => ({ meterId, type, occurredAt: new Date(meterEventAt(tenantKey, meterId, outage.id, type, instant.getTime())) }));
    const events = [
      ...(outage.gasps ? at('last-gasp', outage.startsAt) : []),
      ...(outage.restorations && outage.endsAt ? at('power-restored', outage.endsAt) : []),
    ];
    await insertMeterEvents(deps.pool, { tenantId: outage.tenantId, feederId: outage.feederId, eventId: outage.id }, events, now);
    if (outage.gasps) written.lastGasps += meters.length;
    if (outage.restorations) written.restorations += meters.length;
  }
  return written;
}
