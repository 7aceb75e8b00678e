import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GridEvent } from '../../src/emulator/events.ts';
import type { ServiceClass } from '../../src/emulator/classes.ts';
import { fleetProfiles, type MeterProfile } from '../../src/emulator/fleet.ts';
import { FEEDER_RESIDUAL_CV, generateBatch, generateRead, type GeneratedRead, STATUS_BITS } from '../../src/emulator/generate.ts';
import { expectedKwh } from '../../src/emulator/load.ts';
import { tenantModel } from '../../src/emulator/tenant.ts';
import { recentIntervals } from '../../src/emulator/time.ts';
import { arrivalOf } from '../../src/emulator/collection.ts';
import { effectsByFeeder } from '../../src/emulator/events.ts';
import { startKey } from '../../src/emulator/random.ts';

const TENANT = tenantModel('DEMO_TENANT');
const READ_AT = new Date('2026-11-25T18:15:00.000Z'); // a Wednesday, 12:15 CST
const FLEET = fleetProfiles(TENANT, 1, 25_000, 25); // 1,000 meters per feeder
const WEDNESDAY = recentIntervals(new Date('2026-11-26T06:00:00.000Z'), 96, 15); // the local day, CST
const SUMMER_NOON = new Date('2026-06-03T18:00:00.000Z'); // 13:00 CDT, a cloudless day in this tenant's sky (clearSkyIndex 1)

const ev = (overrides: Partial<GridEvent> & Pick<GridEvent, 'type' | 'severity'>): GridEvent => ({
  id: 1,
  feederId: 3,
  startsAt: new Date('2026-11-25T18:00:00.000Z'),
  endsAt: null,
  ...overrides,
});
const onFeeder = (reads: GeneratedRead[], feederId: number) => reads.filter((r) => r.feederId === feederId);
/** The reads that reach the head-end with their tick (an ideal network): a comms outage withholds the rest. */
const arrivingOnTime = (tenantId: string, reads: GeneratedRead[], readAt: Date, events: GridEvent[]) => {
  const effects = effectsByFeeder(events, readAt);
  return reads.filter((r) => arrivalOf(startKey(tenantId), r.meterId, readAt.getTime(), effects.get(r.feederId), 'ideal').kind === 'on-time');
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const deviationPct = (reads: GeneratedRead[]) =>
  (100 * (sum(reads.map((r) => r.kwh)) - sum(reads.map((r) => r.baselineKwh)))) / sum(reads.map((r) => r.baselineKwh));
const correlation = (a: number[], b: number[]) => {
  const [ma, mb] = [mean(a), mean(b)];
  const cov = sum(a.map((x, i) => (x - ma) * (b[i]! - mb)));
  return cov / Math.sqrt(sum(a.map((x) => (x - ma) ** 2)) * sum(b.map((y) => (y - mb) ** 2)));
};

describe('generateRead', () => {
  const profile = FLEET[41]!;

  it('returns the same read for the same inputs', () => {
    const read = generateRead(TENANT, profile, READ_AT, [])!;
    expect(generateRead(TENANT, profile, READ_AT, [])).toEqual(read);
    expect(read.meterId).toBe(42);
    expect(read.feederId).toBe(17);
  });

  it('changes with the meter, the interval, the tenant and the interval length', () => {
    const read = generateRead(TENANT, profile, READ_AT, [])!;
    const otherMeter = generateRead(TENANT, { ...profile, meterId: 43 }, READ_AT, [])!;
    const nextInterval = generateRead(TENANT, profile, new Date('2026-11-25T18:30:00.000Z'), [])!;
    const otherTenant = generateRead(tenantModel('OTHER_TENANT'), profile, READ_AT, [])!;
    const halfHour = generateRead(TENANT, profile, new Date('2026-11-25T18:30:00.000Z'), [], 30)!;
    for (const other of [otherMeter, nextInterval, otherTenant]) {
      expect(other.kwh).not.toBe(read.kwh);
      expect(other.kwh / other.baselineKwh).not.toBe(read.kwh / read.baselineKwh);
    }
    expect(halfHour.baselineKwh).toBeGreaterThan(1.5 * nextInterval.baselineKwh);
    expect(halfHour.kwh).not.toBe(nextInterval.kwh);
  });

  it('agrees with generateBatch and with expectedKwh, whatever else is in the batch', () => {
    const events = [ev({ type: 'theft', severity: 0.3, feederId: 17 })];
    const read = generateRead(TENANT, profile, READ_AT, events);
    expect(generateBatch(TENANT, [profile], READ_AT, events)).toEqual([read]);
    expect(generateBatch(TENANT, FLEET, READ_AT, events)[41]).toEqual(read);
    expect(read!.baselineKwh).toBe(Math.round(expectedKwh(TENANT, profile, READ_AT) * 10_000) / 10_000);
  });

  it('rejects a read_at off the interval grid, a bad interval and a bad tenant model', () => {
    expect(() => generateRead(TENANT, profile, new Date('2026-11-25T18:20:00.000Z'), [])).toThrow(/aligned/);
    expect(() => generateBatch(TENANT, [profile], new Date('2026-11-25T18:15:00.000Z'), [], 30)).toThrow(/aligned/);
    expect(() => generateBatch(TENANT, [profile], READ_AT, [], 7)).toThrow(/15, 30, 60/);
    expect(() => generateBatch(tenantModel('T', { timeZone: 'Nowhere/Land' }), [profile], READ_AT, [])).toThrow(/IANA/);
    expect(() => generateBatch(tenantModel('T', { solarShare: 1.5 }), [profile], READ_AT, [])).toThrow(/solarShare/);
  });

  it('refuses a profile without an archetype (a registry row from before the model), naming the meter', () => {
    const old = { meterId: 7, feederId: 7, serviceClass: 'residential', scale: 1 } as unknown as MeterProfile;
    expect(() => generateBatch(TENANT, [old], READ_AT, [])).toThrow(/meter 7: unknown archetype/);
    expect(() => generateBatch(TENANT, [{ ...profile, position: 1.5 }], READ_AT, [])).toThrow(/meter 42: .*position/);
    expect(() => generateBatch(TENANT, [{ ...profile, scale: Number.NaN }], READ_AT, [])).toThrow(/meter 42: scale/);
  });
});

describe('intervals of 30 and 60 minutes', () => {
  const profiles = fleetProfiles(tenantModel('DEMO_TENANT', { solarShare: 0.3 }), 1, 600, 6);
  const sunnyTenant = tenantModel('DEMO_TENANT', { solarShare: 0.3 });

  it('are the sum of their 15-minute reads, voltage and status of the last one', () => {
    for (const end of ['2026-06-07T18:00:00.000Z', '2026-11-26T01:00:00.000Z', '2026-03-08T08:00:00.000Z']) {
      const hour = generateBatch(sunnyTenant, profiles, new Date(end), [], 60);
      const quarters = recentIntervals(new Date(end), 4, 15).map((readAt) => generateBatch(sunnyTenant, profiles, readAt, []));
      const half = generateBatch(sunnyTenant, profiles, new Date(end), [], 30);
      hour.forEach((read, i) => {
        const parts = quarters.map((batch) => batch[i]!);
        expect(Math.abs(read.kwh - sum(parts.map((p) => p.kwh)))).toBeLessThanOrEqual(0.00021);
        expect(Math.abs(read.kwhReceived - sum(parts.map((p) => p.kwhReceived)))).toBeLessThanOrEqual(0.00021);
        expect(Math.abs(read.baselineKwh - sum(parts.map((p) => p.baselineKwh)))).toBeLessThanOrEqual(0.00021);
        expect(read.voltage).toBe(parts[3]!.voltage);
        expect(read.status).toBe(parts[3]!.status);
        expect(Math.abs(half[i]!.kwh - parts[2]!.kwh - parts[3]!.kwh)).toBeLessThanOrEqual(0.00011);
      });
    }
  });
});

describe('determinism across processes', () => {
  it('prints the same reads, to the digit, in a fresh Node process', () => {
    const script = fileURLToPath(new URL('./fixtures/print-reads.ts', import.meta.url));
    const cwd = fileURLToPath(new URL('../..', import.meta.url)); // where tsx resolves from
    const output = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd, encoding: 'utf8' });
    const child = JSON.parse(output) as { profiles: MeterProfile[]; reads: GeneratedRead[]; summer: GeneratedRead[] };
    const events: GridEvent[] = [
      ev({ id: 11, feederId: 2, type: 'theft', severity: 0.35, startsAt: new Date('2026-11-28T00:00:00.000Z') }),
      ev({ id: 12, feederId: 3, type: 'voltage-sag', severity: 0.6, startsAt: new Date('2026-11-28T00:00:00.000Z') }),
      ev({ id: 13, feederId: 4, type: 'comms-outage', severity: 0.5, startsAt: new Date('2026-11-28T00:00:00.000Z') }),
    ];
    const tenant = tenantModel('DEMO_TENANT', { solarShare: 0.3 });
    const profiles = fleetProfiles(tenant, 1, 40, 5);
    const reads = generateBatch(tenant, profiles, new Date('2026-11-28T10:15:00.000Z'), events);
    const summer = generateBatch(tenant, profiles, new Date('2026-07-04T18:00:00.000Z'), [], 60);
    expect(child.profiles).toEqual(profiles);
    expect(output).toBe(JSON.stringify({ profiles, reads, summer }));
    // The fixture exercises every event (theft, sag, some dark meters on feeder 4), solar export and DST.
    expect(reads.length).toBe(40);
    const onTime = arrivingOnTime('DEMO_TENANT', reads, new Date('2026-11-28T10:15:00.000Z'), events);
    expect(onTime.length).toBeGreaterThan(32);
    expect(onTime.length).toBeLessThan(40);
    expect(onFeeder(reads, 3).every((r) => r.voltage < 114)).toBe(true);
    expect(summer.some((r) => r.kwhReceived > 0)).toBe(true);
    expect(summer.every((r) => r.status === STATUS_BITS.DAYLIGHT_SAVING)).toBe(true);
  }, 20_000);
});

describe('kWh', () => {
  it('is never negative nor NaN, and exactly 0 (not -0) under a theft of severity 1', () => {
    const profiles = FLEET.slice(0, 2_000);
    const theft = [ev({ type: 'theft', severity: 1, feederId: 5, startsAt: WEDNESDAY[0]! })];
    let bad = 0;
    let theftReads = 0;
    for (const readAt of WEDNESDAY.filter((_, i) => i % 4 === 0)) {
      for (const read of generateBatch(TENANT, profiles, readAt, theft)) {
        for (const value of [read.kwh, read.kwhReceived, read.baselineKwh]) if (!(value >= 0) || Math.round(value * 10_000) / 10_000 !== value) bad++;
        if (read.feederId === 5) {
          theftReads++;
          if (!Object.is(read.kwh, 0)) bad++;
        }
      }
    }
    expect(theftReads).toBe(80 * 24);
    expect(bad).toBe(0);
  });

  it('averages realistic 15-minute magnitudes per class over a November weekday', () => {
    const sample = (serviceClass: ServiceClass) => FLEET.filter((p) => p.serviceClass === serviceClass).slice(0, 300);
    const dayMean = (profiles: MeterProfile[]) => mean(WEDNESDAY.flatMap((readAt) => generateBatch(TENANT, profiles, readAt, []).map((r) => r.kwh)));
    const residential = dayMean(sample('residential'));
    expect(residential).toBeGreaterThan(0.2);
    expect(residential).toBeLessThan(0.42);
    const commercial = dayMean(sample('commercial'));
    expect(commercial).toBeGreaterThan(1.5);
    expect(commercial).toBeLessThan(3.5);
    const industrial = dayMean(sample('industrial'));
    expect(industrial).toBeGreaterThan(6);
    expect(industrial).toBeLessThan(16);
  });

  it('scatters reads around the baseline with mean 1, persistently, and keeps every feeder near 0 % deviation', () => {
    const reads = generateBatch(TENANT, FLEET, READ_AT, []);
    const ratios = reads.filter((r) => r.baselineKwh >= 0.05).map((r) => r.kwh / r.baselineKwh);
    expect(mean(ratios)).toBeGreaterThan(0.98);
    expect(mean(ratios)).toBeLessThan(1.02);
    const sd = Math.sqrt(mean(ratios.map((x) => (x - 1) ** 2)));
    expect(sd).toBeGreaterThan(0.15);
    expect(sd).toBeLessThan(0.45);
    for (let feederId = 1; feederId <= 25; feederId++) {
      // 4.5 standard deviations of a 1,000-meter feeder's deviation.
      expect(Math.abs(deviationPct(onFeeder(reads, feederId)))).toBeLessThan((4.5 * 100 * FEEDER_RESIDUAL_CV) / Math.sqrt(1_000));
    }
    // The fleet total tracks the model within a percent.
    expect(Math.abs(deviationPct(reads))).toBeLessThan(1);
    // Persistence: a home's residual 15 minutes later is strongly related to this one.
    const homes = FLEET.filter((p) => p.serviceClass === 'residential' && p.pvKw === 0 && p.archetype !== 'res-vacant').slice(0, 2_000);
    const residuals = (readAt: Date) => generateBatch(TENANT, homes, readAt, []).map((r) => (r.kwh - r.baselineKwh) / r.baselineKwh);
    expect(correlation(residuals(READ_AT), residuals(new Date(READ_AT.getTime() + 900_000)))).toBeGreaterThan(0.45);
    expect(Math.abs(correlation(residuals(READ_AT), residuals(new Date(READ_AT.getTime() + 14 * 86_400_000))))).toBeLessThan(0.15);
  });

  it('has reads of exactly 0 kWh (vacant homes, solar covering the load)', () => {
    const vacant = FLEET.filter((p) => p.archetype === 'res-vacant');
    const zeros = WEDNESDAY.flatMap((readAt) => generateBatch(TENANT, vacant, readAt, [])).filter((r) => Object.is(r.kwh, 0));
    expect(zeros.length).toBeGreaterThan(0);
    const solar = FLEET.filter((p) => p.pvKw > 0);
    expect(generateBatch(TENANT, solar, SUMMER_NOON, []).filter((r) => r.kwh === 0).length).toBeGreaterThan(solar.length / 2);
  });
});

describe('kwhReceived', () => {
  it('is positive only for solar homes, and for most of them at a clear summer noon', () => {
    const reads = generateBatch(TENANT, FLEET, SUMMER_NOON, []);
    const solar = new Set(FLEET.filter((p) => p.pvKw > 0).map((p) => p.meterId));
    expect(reads.every((r) => r.kwhReceived >= 0)).toBe(true);
    expect(reads.filter((r) => r.kwhReceived > 0).every((r) => solar.has(r.meterId))).toBe(true);
    expect(reads.filter((r) => solar.has(r.meterId) && r.kwhReceived > 0).length).toBeGreaterThan(solar.size / 2);
    // A home never delivers and receives in the same 15 minutes.
    expect(reads.some((r) => r.kwh > 0 && r.kwhReceived > 0)).toBe(false);
    // Nothing at night.
    expect(generateBatch(TENANT, FLEET, new Date('2026-06-07T08:00:00.000Z'), []).every((r) => r.kwhReceived === 0)).toBe(true);
  });
});

describe('status', () => {
  it('sets the daylight-saving bit from the tenant’s zone at read_at, nothing else', () => {
    const sample = FLEET.slice(0, 50);
    expect(generateBatch(TENANT, sample, new Date('2026-07-15T12:00:00.000Z'), []).every((r) => r.status === 8)).toBe(true);
    expect(generateBatch(TENANT, sample, new Date('2026-01-15T12:00:00.000Z'), []).every((r) => r.status === 0)).toBe(true);
    const phoenix = tenantModel('DEMO_TENANT', { timeZone: 'America/Phoenix' });
    expect(generateBatch(phoenix, sample, new Date('2026-07-15T12:00:00.000Z'), []).every((r) => r.status === 0)).toBe(true);
    // The switch: 08:00Z on 2026-03-08 is 03:00 CDT.
    expect(generateRead(TENANT, sample[0]!, new Date('2026-03-08T07:45:00.000Z'), [])!.status).toBe(0);
    expect(generateRead(TENANT, sample[0]!, new Date('2026-03-08T08:00:00.000Z'), [])!.status).toBe(8);
  });
});

describe('voltage', () => {
  const evening = new Date('2026-07-16T00:00:00.000Z'); // 19:00 CDT, a July weekday

  it('reads 0.1 V in a plausible band, averaging a little above 120 V', () => {
    const volts = generateBatch(TENANT, FLEET, READ_AT, []).map((r) => r.voltage);
    expect(volts.every((v) => v >= 100 && v <= 135 && Math.round(v * 10) / 10 === v)).toBe(true);
    expect(mean(volts)).toBeGreaterThan(120.5);
    expect(mean(volts)).toBeLessThan(123.5);
  });

  it('is lower far along the feeder and lower at the evening peak than at night', () => {
    const reads = generateBatch(TENANT, FLEET, evening, []);
    const near = reads.filter((_, i) => FLEET[i]!.position < 0.2).map((r) => r.voltage);
    const far = reads.filter((_, i) => FLEET[i]!.position > 0.8).map((r) => r.voltage);
    expect(mean(near) - mean(far)).toBeGreaterThan(1.5);
    const night = generateBatch(TENANT, FLEET, new Date('2026-07-16T09:00:00.000Z'), []).map((r) => r.voltage);
    expect(mean(night)).toBeGreaterThan(mean(reads.map((r) => r.voltage)) + 0.5);
  });

  it('rises where a home exports: a solar home reads above its twin without panels', () => {
    const solar = FLEET.filter((p) => p.pvKw > 0).slice(0, 100);
    const withPanels = generateBatch(TENANT, solar, SUMMER_NOON, []);
    const without = generateBatch(
      TENANT,
      solar.map((p) => ({ ...p, pvKw: 0 })),
      SUMMER_NOON,
      [],
    );
    expect(withPanels.every((r, i) => r.voltage >= without[i]!.voltage)).toBe(true);
    expect(mean(withPanels.map((r) => r.voltage)) - mean(without.map((r) => r.voltage))).toBeGreaterThan(0.5);
  });

  it('persists: a meter’s voltage is strongly related from one interval to the next', () => {
    const sample = FLEET.slice(0, 3_000);
    const a = generateBatch(TENANT, sample, evening, []).map((r) => r.voltage);
    const b = generateBatch(TENANT, sample, new Date(evening.getTime() + 900_000), []).map((r) => r.voltage);
    expect(correlation(a, b)).toBeGreaterThan(0.85);
  });
});

describe('events on top of the model', () => {
  const plain = generateBatch(TENANT, FLEET, READ_AT, []);

  it('theft scales delivered kWh by exactly (1 - severity) on its feeder only, nothing else', () => {
    const reads = generateBatch(TENANT, FLEET, READ_AT, [ev({ type: 'theft', severity: 0.4 })]);
    expect(reads).toHaveLength(plain.length);
    for (let i = 0; i < reads.length; i++) {
      const [read, before] = [reads[i]!, plain[i]!];
      expect(read.baselineKwh).toBe(before.baselineKwh);
      expect(read.voltage).toBe(before.voltage);
      expect(read.kwhReceived).toBe(before.kwhReceived);
      if (read.feederId === 3) expect(Math.abs(read.kwh - before.kwh * 0.6)).toBeLessThanOrEqual(0.0001);
      else expect(read.kwh).toBe(before.kwh);
    }
    const ratio = mean(onFeeder(reads, 3).map((r) => r.kwh)) / mean(onFeeder(plain, 3).map((r) => r.kwh));
    expect(ratio).toBeCloseTo(0.6, 3);
  });

  it('a theft of 0.5 reads -50 +- 3 % on the feeder’s deviation over a day', () => {
    const feeder = FLEET.filter((p) => p.feederId === 3);
    for (const readAt of WEDNESDAY.filter((_, i) => i % 8 === 0)) {
      const deviation = deviationPct(generateBatch(TENANT, feeder, readAt, [ev({ type: 'theft', severity: 0.5, startsAt: WEDNESDAY[0]! })]));
      expect(deviation).toBeGreaterThan(-53);
      expect(deviation).toBeLessThan(-47);
    }
  });

  it.each([0.1, 0.3, 0.75])('a comms outage of severity %s darkens that share of its feeder only', (severity) => {
    const outage = ev({ type: 'comms-outage', severity, id: 9 });
    // What the meters measured is untouched; the outage withholds the dark ones' reads.
    expect(generateBatch(TENANT, FLEET, READ_AT, [outage])).toEqual(plain);
    const reads = arrivingOnTime('DEMO_TENANT', plain, READ_AT, [outage]);
    const reporting = onFeeder(reads, 3);
    expect(Math.abs(1 - reporting.length / 1_000 - severity)).toBeLessThan(0.05);
    expect(reads.length).toBe(plain.length - (1_000 - reporting.length));
    // The meters that do report are untouched.
    const plainById = new Map(plain.map((r) => [r.meterId, r]));
    expect(reads.every((r) => JSON.stringify(r) === JSON.stringify(plainById.get(r.meterId)))).toBe(true);
  });

  it('keeps the same meters dark on consecutive intervals', () => {
    const outage = ev({ type: 'comms-outage', severity: 0.3, id: 9 });
    const darkAt = (readAt: Date) => {
      const seen = new Set(arrivingOnTime('DEMO_TENANT', generateBatch(TENANT, FLEET, readAt, [outage]), readAt, [outage]).map((r) => r.meterId));
      return FLEET.filter((p) => !seen.has(p.meterId)).map((p) => p.meterId);
    };
    const [first, ...later] = recentIntervals(new Date('2026-11-25T19:15:00.000Z'), 5, 15).map(darkAt);
    expect(first!.length).toBeGreaterThan(200);
    for (const dark of later) expect(dark).toEqual(first);
    const otherOutage = { ...outage, id: 10 };
    const seen = new Set(arrivingOnTime('DEMO_TENANT', generateBatch(TENANT, FLEET, READ_AT, [otherOutage]), READ_AT, [otherOutage]).map((r) => r.meterId));
    const otherDark = FLEET.filter((p) => !seen.has(p.meterId)).map((p) => p.meterId);
    const shared = otherDark.filter((id) => first!.includes(id)).length;
    expect(shared).toBeLessThan(0.5 * first!.length); // independent draws share about 30%
  });

  it('a sag puts its feeder in 90-114 V, lower for a higher severity, others and kWh untouched', () => {
    const sagMean = (severity: number) => {
      const reads = generateBatch(TENANT, FLEET, READ_AT, [ev({ type: 'voltage-sag', severity })]);
      const sagged = onFeeder(reads, 3).map((r) => r.voltage);
      expect(sagged.every((v) => v >= 90 && v < 114)).toBe(true);
      expect(reads.filter((r) => r.feederId !== 3).map((r) => r.voltage)).toEqual(plain.filter((r) => r.feederId !== 3).map((r) => r.voltage));
      expect(onFeeder(reads, 3).map((r) => r.kwh)).toEqual(onFeeder(plain, 3).map((r) => r.kwh));
      return { mean: mean(sagged), max: Math.max(...sagged) };
    };
    const mild = sagMean(0.2);
    const deep = sagMean(0.8);
    expect(mild.mean).toBeGreaterThan(deep.mean + 10);
    expect(sagMean(0.9).max).toBeLessThan(100);
    expect(sagMean(0.05).max).toBeLessThan(114);
  });

  it('has no effect before its start or at/after its end', () => {
    const window = { startsAt: new Date('2026-11-25T18:15:00.000Z'), endsAt: new Date('2026-11-25T19:00:00.000Z') };
    const events = [
      ev({ ...window, type: 'theft', severity: 0.9, id: 1 }),
      ev({ ...window, type: 'comms-outage', severity: 0.9, id: 2 }),
      ev({ ...window, type: 'voltage-sag', severity: 0.9, id: 3 }),
    ];
    for (const iso of ['2026-11-25T18:00:00.000Z', '2026-11-25T19:00:00.000Z', '2026-11-25T19:15:00.000Z']) {
      const readAt = new Date(iso);
      expect(arrivingOnTime('DEMO_TENANT', generateBatch(TENANT, FLEET, readAt, events), readAt, events)).toEqual(generateBatch(TENANT, FLEET, readAt, []));
    }
    const inside = arrivingOnTime('DEMO_TENANT', generateBatch(TENANT, FLEET, window.startsAt, events), window.startsAt, events);
    expect(onFeeder(inside, 3).length).toBeLessThan(150);
    expect(onFeeder(inside, 3).every((r) => r.voltage < 100)).toBe(true);
  });
});
