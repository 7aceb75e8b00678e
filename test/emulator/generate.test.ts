import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ActiveEvent } from '../../src/emulator/events.ts';
import { fleetProfiles, type MeterProfile, type ServiceClass } from '../../src/emulator/fleet.ts';
import { generateBatch, generateRead, type GeneratedRead } from '../../src/emulator/generate.ts';
import { expectedKwh } from '../../src/emulator/loadCurve.ts';
import { recentIntervals } from '../../src/emulator/time.ts';

const TENANT = 'DEMO_TENANT';
const READ_AT = new Date('2026-11-25T18:15:00.000Z'); // a Wednesday evening
const FLEET = fleetProfiles(TENANT, 1, 25_000, 25); // 1,000 meters per feeder
const WEDNESDAY = recentIntervals(new Date('2026-11-26T00:00:00.000Z'), 96, 15);

const ev = (overrides: Partial<ActiveEvent> & Pick<ActiveEvent, 'type' | 'severity'>): ActiveEvent => ({
  id: 1,
  feederId: 3,
  startsAt: new Date('2026-11-25T18:00:00.000Z'),
  endsAt: null,
  ...overrides,
});
const onFeeder = (reads: GeneratedRead[], feederId: number) => reads.filter((r) => r.feederId === feederId);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

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
    const otherTenant = generateRead('OTHER_TENANT', profile, READ_AT, [])!;
    const halfHour = generateRead(TENANT, profile, new Date('2026-11-25T18:30:00.000Z'), [], 30)!;
    for (const other of [otherMeter, nextInterval, otherTenant]) {
      expect(other.kwh).not.toBe(read.kwh);
      expect(other.kwh / other.baselineKwh).not.toBe(read.kwh / read.baselineKwh);
    }
    expect(otherTenant.baselineKwh).toBe(read.baselineKwh); // same profile, same model
    expect(halfHour.baselineKwh).toBeGreaterThan(1.5 * nextInterval.baselineKwh);
    expect(halfHour.kwh).not.toBe(nextInterval.kwh);
  });

  it('agrees with generateBatch and with expectedKwh', () => {
    const events = [ev({ type: 'theft', severity: 0.3, feederId: 17 })];
    const read = generateRead(TENANT, profile, READ_AT, events);
    expect(generateBatch(TENANT, [profile], READ_AT, events)).toEqual([read]);
    expect(read!.baselineKwh).toBe(Math.round(expectedKwh(profile, READ_AT) * 10_000) / 10_000);
  });

  it('rejects a read_at off the interval grid', () => {
    expect(() => generateRead(TENANT, profile, new Date('2026-11-25T18:20:00.000Z'), [])).toThrow(/aligned/);
    expect(() => generateBatch(TENANT, [profile], new Date('2026-11-25T18:15:00.000Z'), [], 30)).toThrow(/aligned/);
    expect(() => generateBatch(TENANT, [profile], READ_AT, [], 7)).toThrow(/15, 30, 60/);
  });
});

describe('determinism across processes', () => {
  it('prints the same reads, to the digit, in a fresh Node process', () => {
    const script = fileURLToPath(new URL('./fixtures/print-reads.ts', import.meta.url));
    const cwd = fileURLToPath(new URL('../..', import.meta.url)); // where tsx resolves from
    const output = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd, encoding: 'utf8' });
    const child = JSON.parse(output) as { profiles: MeterProfile[]; reads: GeneratedRead[] };
    const events: ActiveEvent[] = [
      ev({ id: 11, feederId: 2, type: 'theft', severity: 0.35, startsAt: new Date('2026-11-28T00:00:00.000Z') }),
      ev({ id: 12, feederId: 3, type: 'voltage-sag', severity: 0.6, startsAt: new Date('2026-11-28T00:00:00.000Z') }),
      ev({ id: 13, feederId: 4, type: 'comms-outage', severity: 0.5, startsAt: new Date('2026-11-28T00:00:00.000Z') }),
    ];
    const profiles = fleetProfiles(TENANT, 1, 40, 5);
    const reads = generateBatch(TENANT, profiles, new Date('2026-11-28T10:15:00.000Z'), events);
    expect(child.profiles).toEqual(profiles);
    expect(output).toBe(JSON.stringify({ profiles, reads }));
    // The fixture exercises every event: theft, sag and some dark meters on feeder 4.
    expect(reads.length).toBeGreaterThan(32);
    expect(reads.length).toBeLessThan(40);
    expect(onFeeder(reads, 3).every((r) => r.voltage < 114)).toBe(true);
  }, 20_000);
});

describe('kWh', () => {
  it('is never negative, and exactly 0 (not -0) under a theft of severity 1', () => {
    const profiles = FLEET.slice(0, 2_000);
    const theft = [ev({ type: 'theft', severity: 1, feederId: 5, startsAt: WEDNESDAY[0]! })];
    let negatives = 0;
    let theftReads = 0;
    for (const readAt of WEDNESDAY.filter((_, i) => i % 4 === 0)) {
      for (const read of generateBatch(TENANT, profiles, readAt, theft)) {
        if (read.kwh < 0 || read.baselineKwh < 0 || Number.isNaN(read.kwh)) negatives++;
        if (read.feederId === 5) {
          theftReads++;
          if (!Object.is(read.kwh, 0)) negatives++;
        }
      }
    }
    expect(theftReads).toBe(80 * 24);
    expect(negatives).toBe(0);
  });

  it('averages realistic 15-minute magnitudes per class over a weekday', () => {
    // Up to 300 meters of each class, so that industrial (1%) has enough meters.
    const sample = (serviceClass: ServiceClass) => FLEET.filter((p) => p.serviceClass === serviceClass).slice(0, 300);
    const dayMean = (profiles: MeterProfile[]) =>
      mean(WEDNESDAY.flatMap((readAt) => generateBatch(TENANT, profiles, readAt, []).map((r) => r.kwh)));
    const residential = dayMean(sample('residential'));
    const commercial = dayMean(sample('commercial'));
    const industrial = dayMean(sample('industrial'));
    expect(residential).toBeGreaterThan(0.25);
    expect(residential).toBeLessThan(0.35);
    expect(commercial).toBeGreaterThan(2);
    expect(commercial).toBeLessThan(3);
    expect(industrial).toBeGreaterThan(9);
    expect(industrial).toBeLessThan(15);
  });

  it('adds noise with mean 1 around the baseline, about 15% wide', () => {
    const reads = generateBatch(TENANT, FLEET, READ_AT, []);
    const ratios = reads.map((r) => r.kwh / r.baselineKwh);
    expect(mean(ratios)).toBeGreaterThan(0.99);
    expect(mean(ratios)).toBeLessThan(1.01);
    const sd = Math.sqrt(mean(ratios.map((x) => (x - 1) ** 2)));
    expect(sd).toBeGreaterThan(0.12);
    expect(sd).toBeLessThan(0.18);
    // The fleet total tracks the model within a percent, so kwhDeviationPct stays near 0.
    const total = reads.reduce((s, r) => s + r.kwh, 0);
    const expected = reads.reduce((s, r) => s + r.baselineKwh, 0);
    expect(Math.abs(total / expected - 1)).toBeLessThan(0.01);
  });

  it('shows the residential evening peak over the night trough and commercial weekdays over weekends', () => {
    const residential = FLEET.filter((p) => p.serviceClass === 'residential').slice(0, 1_000);
    const commercial = FLEET.filter((p) => p.serviceClass === 'commercial').slice(0, 500);
    const total = (profiles: MeterProfile[], iso: string) =>
      generateBatch(TENANT, profiles, new Date(iso), []).reduce((s, r) => s + r.kwh, 0);
    expect(total(residential, '2026-11-25T19:30:00.000Z')).toBeGreaterThan(
      3 * total(residential, '2026-11-25T03:30:00.000Z'),
    );
    expect(total(commercial, '2026-11-25T12:00:00.000Z')).toBeGreaterThan(
      2 * total(commercial, '2026-11-28T12:00:00.000Z'),
    );
  });
});

describe('voltage', () => {
  it('stays in 118-124 V but for rare anomalies, never under 114 V without a sag', () => {
    let outside = 0;
    let invalid = 0;
    let n = 0;
    for (const readAt of recentIntervals(READ_AT, 4, 15)) {
      for (const read of generateBatch(TENANT, FLEET, readAt, [])) {
        n++;
        if (read.voltage < 118 || read.voltage > 124) outside++;
        if (read.voltage < 114 || read.voltage > 127) invalid++;
        if (Math.round(read.voltage * 10) / 10 !== read.voltage) invalid++;
      }
    }
    expect(n).toBe(100_000);
    expect(invalid).toBe(0);
    expect(outside).toBeGreaterThan(0);
    expect(outside / n).toBeLessThan(0.002);
  });

  it('averages near 121 V', () => {
    const voltages = generateBatch(TENANT, FLEET, READ_AT, []).map((r) => r.voltage);
    expect(mean(voltages)).toBeGreaterThan(120.8);
    expect(mean(voltages)).toBeLessThan(121.2);
  });
});

describe('events', () => {
  const plain = generateBatch(TENANT, FLEET, READ_AT, []);

  it('theft scales kWh by exactly (1 - severity) on its feeder only', () => {
    const reads = generateBatch(TENANT, FLEET, READ_AT, [ev({ type: 'theft', severity: 0.4 })]);
    expect(reads).toHaveLength(plain.length);
    for (let i = 0; i < reads.length; i++) {
      const [read, before] = [reads[i]!, plain[i]!];
      expect(read.baselineKwh).toBe(before.baselineKwh);
      expect(read.voltage).toBe(before.voltage);
      if (read.feederId === 3) expect(Math.abs(read.kwh - before.kwh * 0.6)).toBeLessThanOrEqual(0.0001);
      else expect(read.kwh).toBe(before.kwh);
    }
    const ratio = mean(onFeeder(reads, 3).map((r) => r.kwh)) / mean(onFeeder(plain, 3).map((r) => r.kwh));
    expect(ratio).toBeCloseTo(0.6, 3);
  });

  it.each([0.1, 0.3, 0.75])('a comms outage of severity %s darkens that share of its feeder only', (severity) => {
    const outage = ev({ type: 'comms-outage', severity, id: 9 });
    const reads = generateBatch(TENANT, FLEET, READ_AT, [outage]);
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
      const seen = new Set(generateBatch(TENANT, FLEET, readAt, [outage]).map((r) => r.meterId));
      return FLEET.filter((p) => !seen.has(p.meterId)).map((p) => p.meterId);
    };
    const [first, ...later] = recentIntervals(new Date('2026-11-25T19:15:00.000Z'), 5, 15).map(darkAt);
    expect(first!.length).toBeGreaterThan(200);
    for (const dark of later) expect(dark).toEqual(first);
    // Another outage (another id) on the same feeder darkens a different set of meters.
    const otherOutage = { ...outage, id: 10 };
    const seen = new Set(generateBatch(TENANT, FLEET, READ_AT, [otherOutage]).map((r) => r.meterId));
    const otherDark = FLEET.filter((p) => !seen.has(p.meterId)).map((p) => p.meterId);
    const shared = otherDark.filter((id) => first!.includes(id)).length;
    expect(shared).toBeLessThan(0.5 * first!.length); // independent draws share about 30%
  });

  it('a sag puts its feeder in 90-114 V, lower for a higher severity, others untouched', () => {
    const sagMean = (severity: number) => {
      const reads = generateBatch(TENANT, FLEET, READ_AT, [ev({ type: 'voltage-sag', severity })]);
      const sagged = onFeeder(reads, 3).map((r) => r.voltage);
      expect(sagged.every((v) => v >= 90 && v < 114)).toBe(true);
      expect(reads.filter((r) => r.feederId !== 3).every((r) => r.voltage >= 114)).toBe(true);
      expect(onFeeder(reads, 3).map((r) => r.kwh)).toEqual(onFeeder(plain, 3).map((r) => r.kwh));
      return { mean: mean(sagged), max: Math.max(...sagged) };
    };
    const mild = sagMean(0.2);
    const deep = sagMean(0.8);
    const deepest = sagMean(0.9);
    expect(mild.mean).toBeGreaterThan(deep.mean + 10);
    expect(deepest.max).toBeLessThan(100);
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
      expect(generateBatch(TENANT, FLEET, readAt, events)).toEqual(generateBatch(TENANT, FLEET, readAt, []));
    }
    const inside = generateBatch(TENANT, FLEET, window.startsAt, events);
    expect(onFeeder(inside, 3).length).toBeLessThan(150);
    expect(onFeeder(inside, 3).every((r) => r.voltage < 100)).toBe(true);
  });
});
