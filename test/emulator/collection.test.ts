import { describe, expect, it } from 'vitest';
import {
  arrivalOf,
  DELIVERY,
  DRAIN_MS,
  deliveryOf,
  METER_EVENT_SPREAD_MS,
  meterEventAt,
  TYPICAL_LATE_SHARE,
  unreachableAt,
} from '../../src/emulator/collection.ts';
import { effectsByFeeder, type GridEvent, losesPower } from '../../src/emulator/events.ts';
import { fleetProfiles } from '../../src/emulator/fleet.ts';
import { generateBatch, STATUS_BITS } from '../../src/emulator/generate.ts';
import { startKey } from '../../src/emulator/random.ts';
import { tenantModel } from '../../src/emulator/tenant.ts';
import { recentIntervals } from '../../src/emulator/time.ts';

const KEY = startKey('GRID_CO');
const DAY = recentIntervals(new Date('2026-11-26T06:00:00.000Z'), 96, 15);
const HOUR = 3_600_000;

const event = (overrides: Partial<GridEvent> & Pick<GridEvent, 'type' | 'severity'>): GridEvent => ({
  id: 7,
  feederId: 1,
  startsAt: new Date('2026-11-25T18:00:00.000Z'),
  endsAt: new Date('2026-11-25T20:00:00.000Z'),
  ...overrides,
});

/** When each read of `meters` x `intervals` reaches the head-end (ms after its read_at), typical profile, no events. */
function typicalDelays(meters: number, intervals: Date[]): number[] {
  const delays: number[] = [];
  for (const readAt of intervals) {
    for (let meterId = 1; meterId <= meters; meterId++) {
      const arrival = arrivalOf(KEY, meterId, readAt.getTime(), undefined, 'typical');
      if (arrival.kind === 'on-time') delays.push(0);
      else if (arrival.kind === 'late' || arrival.kind === 'backfill') delays.push(arrival.arriveAtMs - readAt.getTime());
      else throw new Error(`no event, yet ${arrival.kind}`);
    }
  }
  return delays;
}

describe('collection profiles', () => {
  it('ideal: every read arrives with its tick', () => {
    for (const readAt of DAY.filter((_, i) => i % 8 === 0)) {
      for (let meterId = 1; meterId <= 2_000; meterId++) expect(arrivalOf(KEY, meterId, readAt.getTime(), undefined, 'ideal')).toEqual({ kind: 'on-time' });
    }
  });

  it('typical, a day of 5,000 meters: 97-99 % on time, most of the rest within 4 h, >= 99.5 % within 24 h', () => {
    const delays = typicalDelays(5_000, DAY);
    const share = (test: (ms: number) => boolean) => delays.filter(test).length / delays.length;
    const onTime = share((ms) => ms === 0);
    const within4h = share((ms) => ms <= 4 * HOUR);
    const within24h = share((ms) => ms <= 24 * HOUR);
    expect(onTime).toBeGreaterThan(0.97);
    expect(onTime).toBeLessThan(0.99);
    // Of the reads that missed their tick, most are in within 4 h (the rest: unreachable meters, days).
    expect((within4h - onTime) / (1 - onTime)).toBeGreaterThan(0.6);
    expect(within24h).toBeGreaterThanOrEqual(0.995);
    // No read arrives before its interval ends.
    expect(delays.every((ms) => ms >= 0)).toBe(true);
  });

  it('typical: late reads take minutes to hours (median near 40 minutes), each at least a minute late', () => {
    const late = typicalDelays(5_000, DAY.slice(0, 24)).filter((ms) => ms > 0 && ms < 2 * 24 * HOUR);
    late.sort((a, b) => a - b);
    const median = late[Math.floor(late.length / 2)]!;
    expect(median).toBeGreaterThan(25 * 60_000);
    expect(median).toBeLessThan(60 * 60_000);
    expect(late[0]!).toBeGreaterThanOrEqual(60_000);
    expect(late.length / (5_000 * 24)).toBeGreaterThan(TYPICAL_LATE_SHARE * 0.8);
  });

  it('typical: a few meters per thousand unreachable at any time, for days, their reads backfilled once the spell ends', () => {
    const at = new Date('2026-11-26T12:00:00.000Z').getTime();
    const unreachable: number[] = [];
    for (let meterId = 1; meterId <= 20_000; meterId++) if (unreachableAt(KEY, meterId, at)) unreachable.push(meterId);
    const perThousand = unreachable.length / 20;
    expect(perThousand).toBeGreaterThan(0.5);
    expect(perThousand).toBeLessThan(5);
    for (const meterId of unreachable) {
      const spell = unreachableAt(KEY, meterId, at)!;
      expect(spell.endMs - spell.startMs).toBeGreaterThanOrEqual(24 * HOUR);
      expect(spell.endMs - spell.startMs).toBeLessThanOrEqual(4 * 24 * HOUR);
      const arrival = arrivalOf(KEY, meterId, at, undefined, 'typical');
      expect(arrival.kind).toBe('backfill');
      if (arrival.kind === 'backfill') {
        expect(arrival.arriveAtMs).toBeGreaterThanOrEqual(spell.endMs);
        expect(arrival.arriveAtMs).toBeLessThan(spell.endMs + DRAIN_MS);
      }
    }
  });

  it('is deterministic: the same arrival for the same key, another for another tenant', () => {
    const at = DAY[40]!.getTime();
    const arrivals = (key: number) => Array.from({ length: 3_000 }, (_, i) => arrivalOf(key, i + 1, at, undefined, 'typical'));
    expect(arrivals(KEY)).toEqual(arrivals(KEY));
    expect(arrivals(startKey('OTHER'))).not.toEqual(arrivals(KEY));
  });

  it('stores each arrival with its delivery class', () => {
    expect(deliveryOf({ kind: 'on-time' })).toBe(DELIVERY.ON_TIME);
    expect(deliveryOf({ kind: 'late', arriveAtMs: 1 })).toBe(DELIVERY.LATE);
    expect(deliveryOf({ kind: 'backfill', arriveAtMs: 1 })).toBe(DELIVERY.BACKFILLED);
    expect(deliveryOf({ kind: 'held', eventId: 1, drainMs: 0 })).toBe(DELIVERY.BACKFILLED);
  });
});

describe('events on collection', () => {
  const readAt = new Date('2026-11-25T19:00:00.000Z');

  it('a comms outage withholds its dark meters’ reads until it ends (drained within DRAIN_MS), or loses them without backfill', () => {
    for (const backfill of [true, false]) {
      const effects = effectsByFeeder([event({ type: 'comms-outage', severity: 0.8, backfill })], readAt).get(1)!;
      const kinds = Array.from({ length: 1_000 }, (_, i) => arrivalOf(KEY, i + 1, readAt.getTime(), effects, 'typical'));
      const withheld = kinds.filter((a) => a.kind === (backfill ? 'held' : 'lost'));
      expect(Math.abs(withheld.length / 1_000 - 0.8)).toBeLessThan(0.05);
      for (const arrival of withheld) {
        if (arrival.kind === 'held') {
          expect(arrival.eventId).toBe(7);
          expect(arrival.drainMs).toBeGreaterThanOrEqual(0);
          expect(arrival.drainMs).toBeLessThan(DRAIN_MS);
        }
      }
      expect(kinds.some((a) => a.kind === (backfill ? 'lost' : 'held'))).toBe(false);
    }
  });

  it('a power outage holds the reads of the meters without power at read_at; severity is their share', () => {
    const outage = event({ type: 'power-outage', severity: 0.5 });
    const effects = effectsByFeeder([outage], readAt).get(1)!;
    let held = 0;
    for (let meterId = 1; meterId <= 2_000; meterId++) {
      const arrival = arrivalOf(KEY, meterId, readAt.getTime(), effects, 'ideal');
      expect(arrival.kind).toBe(losesPower(KEY, meterId, 7, 0.5) ? 'held' : 'on-time');
      if (arrival.kind === 'held') held++;
    }
    expect(Math.abs(held / 2_000 - 0.5)).toBeLessThan(0.04);
    // The interval the power came back in arrives with its tick: the meter had power at its end.
    const after = new Date('2026-11-25T20:15:00.000Z');
    const back = effectsByFeeder([event({ type: 'power-outage', severity: 0.5, endsAt: new Date('2026-11-25T20:05:00.000Z') })], after).get(1)!;
    for (let meterId = 1; meterId <= 200; meterId++) expect(arrivalOf(KEY, meterId, after.getTime(), back, 'ideal').kind).toBe('on-time');
  });

  it('last gasps and restorations are sent within METER_EVENT_SPREAD_MS of the instant', () => {
    const at = Date.parse('2026-11-25T18:00:00.000Z');
    for (let meterId = 1; meterId <= 500; meterId++) {
      for (const type of ['last-gasp', 'power-restored'] as const) {
        const sent = meterEventAt(KEY, meterId, 7, type, at);
        expect(sent).toBeGreaterThanOrEqual(at);
        expect(sent).toBeLessThan(at + METER_EVENT_SPREAD_MS);
      }
    }
  });
});

describe('a power outage in the reads', () => {
  const tenant = tenantModel('GRID_CO');
  const fleet = fleetProfiles(tenant, 1, 2_000, 2); // 1,000 meters per feeder
  const outage = event({ type: 'power-outage', severity: 0.5, startsAt: new Date('2026-11-25T18:05:00.000Z'), endsAt: new Date('2026-11-25T18:40:00.000Z') });
  const down = (meterId: number) => losesPower(KEY, meterId, 7, 0.5);
  const plainAt = (iso: string) => generateBatch(tenant, fleet, new Date(iso), []);
  const withOutage = (iso: string) => generateBatch(tenant, fleet, new Date(iso), [outage]);

  it('an interval wholly inside: kWh 0, 0 V, the power-down bit, for the meters it took only', () => {
    const reads = withOutage('2026-11-25T18:30:00.000Z');
    const plain = plainAt('2026-11-25T18:30:00.000Z');
    for (const [i, read] of reads.entries()) {
      if (read.feederId === 1 && down(read.meterId)) {
        expect(read.kwh).toBe(0);
        expect(read.kwhReceived).toBe(0);
        expect(read.voltage).toBe(0);
        expect(read.status & STATUS_BITS.POWER_DOWN).toBe(STATUS_BITS.POWER_DOWN);
      } else {
        expect(read).toEqual(plain[i]);
      }
    }
    expect(reads.filter((r) => r.status & STATUS_BITS.POWER_DOWN).length).toBeGreaterThan(400);
  });

  it('the intervals it starts and ends in: energy for the powered share, the bit, a voltage once the power is back', () => {
    const start = withOutage('2026-11-25T18:15:00.000Z'); // 10 of 15 minutes without power, still down at 18:15
    const end = withOutage('2026-11-25T18:45:00.000Z'); // 10 of 15 minutes without power, back at 18:40
    const plainStart = plainAt('2026-11-25T18:15:00.000Z');
    const plainEnd = plainAt('2026-11-25T18:45:00.000Z');
    for (const [i, read] of start.entries()) {
      if (read.feederId !== 1 || !down(read.meterId)) continue;
      expect(read.kwh).toBeCloseTo(plainStart[i]!.kwh / 3, 3);
      expect(read.voltage).toBe(0);
      expect(read.status & STATUS_BITS.POWER_DOWN).toBe(STATUS_BITS.POWER_DOWN);
      const after = end[i]!;
      expect(after.kwh).toBeCloseTo(plainEnd[i]!.kwh / 3, 3);
      expect(after.voltage).toBeGreaterThan(100);
      expect(after.status & STATUS_BITS.POWER_DOWN).toBe(STATUS_BITS.POWER_DOWN);
    }
    expect(withOutage('2026-11-25T19:00:00.000Z')).toEqual(plainAt('2026-11-25T19:00:00.000Z'));
  });
});
