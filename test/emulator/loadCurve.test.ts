import { describe, expect, it } from 'vitest';
import type { MeterProfile, ServiceClass } from '../../src/emulator/fleet.ts';
import { expectedKwh } from '../../src/emulator/loadCurve.ts';
import { recentIntervals } from '../../src/emulator/time.ts';

const meter = (serviceClass: ServiceClass, scale = 1): MeterProfile => ({
  meterId: 1,
  feederId: 1,
  serviceClass,
  scale,
});
// 2026-11-25 is a Wednesday, 2026-11-28 a Saturday.
const WEDNESDAY_DAY = recentIntervals(new Date('2026-11-26T00:00:00.000Z'), 96, 15);
const at = (iso: string) => new Date(iso);
const dayMean = (profile: MeterProfile, intervals: Date[]) =>
  intervals.reduce((sum, readAt) => sum + expectedKwh(profile, readAt), 0) / intervals.length;

describe('expectedKwh', () => {
  it('averages the class base over a weekday', () => {
    expect(dayMean(meter('residential'), WEDNESDAY_DAY)).toBeCloseTo(0.3, 10);
    expect(dayMean(meter('commercial'), WEDNESDAY_DAY)).toBeCloseTo(2.5, 10);
    expect(dayMean(meter('industrial'), WEDNESDAY_DAY)).toBeCloseTo(12, 10);
  });

  it('scales with the meter', () => {
    const readAt = at('2026-11-25T19:00:00.000Z');
    expect(expectedKwh(meter('residential', 2.5), readAt)).toBeCloseTo(
      2.5 * expectedKwh(meter('residential'), readAt),
      12,
    );
  });

  it('puts the residential evening peak above the morning peak, both above the night trough', () => {
    const r = meter('residential');
    const night = expectedKwh(r, at('2026-11-25T03:30:00.000Z'));
    const morning = expectedKwh(r, at('2026-11-25T08:00:00.000Z'));
    const evening = expectedKwh(r, at('2026-11-25T19:30:00.000Z'));
    expect(evening).toBeGreaterThan(3 * night);
    expect(evening).toBeGreaterThan(morning);
    expect(morning).toBeGreaterThan(2 * night);
  });

  it('gives commercial a weekday daytime plateau well above nights and weekends', () => {
    const c = meter('commercial');
    const weekdayNoon = expectedKwh(c, at('2026-11-25T12:00:00.000Z'));
    expect(weekdayNoon).toBeGreaterThan(4 * expectedKwh(c, at('2026-11-25T02:00:00.000Z')));
    expect(weekdayNoon).toBeGreaterThan(2 * expectedKwh(c, at('2026-11-28T12:00:00.000Z')));
    expect(weekdayNoon).toBeGreaterThan(2 * expectedKwh(c, at('2026-11-29T12:00:00.000Z')));
  });

  it('keeps industrial flat-ish with a lower weekend', () => {
    const i = meter('industrial');
    const day = WEDNESDAY_DAY.map((readAt) => expectedKwh(i, readAt));
    expect(Math.max(...day) / Math.min(...day)).toBeLessThan(1.5);
    const saturday = recentIntervals(new Date('2026-11-29T00:00:00.000Z'), 96, 15);
    const ratio = dayMean(i, saturday) / dayMean(i, WEDNESDAY_DAY);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(0.95);
  });

  it('shifts the residential weekend: fuller midday, later morning', () => {
    const r = meter('residential');
    expect(expectedKwh(r, at('2026-11-28T12:00:00.000Z'))).toBeGreaterThan(
      expectedKwh(r, at('2026-11-25T12:00:00.000Z')),
    );
    expect(expectedKwh(r, at('2026-11-28T07:30:00.000Z'))).toBeLessThan(expectedKwh(r, at('2026-11-25T07:30:00.000Z')));
  });

  it('never jumps between consecutive intervals over a week, weekend changes included', () => {
    const week = recentIntervals(new Date('2026-11-30T06:00:00.000Z'), 96 * 8, 15);
    for (const serviceClass of ['residential', 'commercial', 'industrial'] as const) {
      let worst = 1;
      for (let i = 1; i < week.length; i++) {
        const a = expectedKwh(meter(serviceClass), week[i - 1]!);
        const b = expectedKwh(meter(serviceClass), week[i]!);
        worst = Math.max(worst, a / b, b / a);
      }
      expect(worst).toBeLessThan(1.2);
    }
  });

  it('reads read_at as the END of the interval (curve at its midpoint)', () => {
    // On the rising 06:00-07:00 slope: the 30-minute interval ending 06:45 has its midpoint at
    // 06:30, so half of it is the rate at 06:30. The 15-minute read AT 06:30 covers 06:15-06:30
    // and must be below that rate, the one at 06:45 above it, and their mean equal to it.
    const r = meter('residential');
    const rateAt0630 = expectedKwh(r, at('2026-11-25T06:45:00.000Z'), 30) / 2;
    const at0630 = expectedKwh(r, at('2026-11-25T06:30:00.000Z'));
    const at0645 = expectedKwh(r, at('2026-11-25T06:45:00.000Z'));
    expect(at0630).toBeLessThan(rateAt0630 * 0.98);
    expect(at0645).toBeGreaterThan(rateAt0630 * 1.02);
    expect((at0630 + at0645) / 2).toBeCloseTo(rateAt0630, 12);
  });

  it('scales energy with the interval length: four quarters make the hour', () => {
    for (const serviceClass of ['residential', 'commercial', 'industrial'] as const) {
      const quarters = recentIntervals(new Date('2026-11-25T08:00:00.000Z'), 4, 15);
      const sum = quarters.reduce((s, readAt) => s + expectedKwh(meter(serviceClass), readAt), 0);
      expect(expectedKwh(meter(serviceClass), at('2026-11-25T08:00:00.000Z'), 60)).toBeCloseTo(sum, 12);
      const halves = recentIntervals(new Date('2026-11-25T08:00:00.000Z'), 2, 30);
      const halfSum = halves.reduce((s, readAt) => s + expectedKwh(meter(serviceClass), readAt, 30), 0);
      expect(halfSum).toBeCloseTo(sum, 12);
    }
  });

  it('rejects a bad interval length', () => {
    expect(() => expectedKwh(meter('residential'), at('2026-11-25T08:00:00.000Z'), 7)).toThrow(RangeError);
  });
});
