import { describe, expect, it } from 'vitest';
import { CLIMATES, clearSkyIndex, clearSkyPvPerKw, sunSine, temperatureC } from '../../src/emulator/climate.ts';
import { localTime } from '../../src/emulator/localTime.ts';
import { tenantModel } from '../../src/emulator/tenant.ts';

const HOUR = 3_600_000;
const fToC = (f: number) => ((f - 32) * 5) / 9;
const normalMeanC = (zone: string, month: number) => {
  const climate = CLIMATES[zone]!;
  return (fToC(climate.highF[month - 1]!) + fToC(climate.lowF[month - 1]!)) / 2;
};

/** Hourly temperatures of a tenant over a calendar month of 2026. */
function monthOfHours(tenantId: string, timeZone: string, month: number): number[] {
  const tenant = tenantModel(tenantId, { timeZone });
  const from = Date.UTC(2026, month - 1, 1);
  const to = Date.UTC(2026, month, 1);
  const values: number[] = [];
  for (let ms = from; ms < to; ms += HOUR) values.push(temperatureC(tenant, new Date(ms)));
  return values;
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('temperatureC', () => {
  it('is a pure function of tenant and instant, and differs between tenants', () => {
    const instant = new Date('2026-02-10T12:00:00.000Z');
    const a = temperatureC(tenantModel('A'), instant);
    expect(temperatureC(tenantModel('A'), instant)).toBe(a);
    expect(temperatureC(tenantModel('B'), instant)).not.toBe(a);
    expect(() => temperatureC(tenantModel('A'), new Date('nope'))).toThrow(RangeError);
  });

  it('follows the published monthly normals on average over tenants (Chicago January and July)', () => {
    for (const month of [1, 4, 7, 10]) {
      const means = Array.from({ length: 12 }, (_, i) => mean(monthOfHours(`T${i}`, 'America/Chicago', month)));
      expect(Math.abs(mean(means) - normalMeanC('America/Chicago', month))).toBeLessThan(1.5);
    }
  });

  it('swings with the weather from day to day, more in winter than in summer', () => {
    const dailyMeans = (month: number) => {
      const hours = monthOfHours('DEMO_TENANT', 'America/Chicago', month);
      return Array.from({ length: Math.floor(hours.length / 24) }, (_, d) => mean(hours.slice(d * 24, d * 24 + 24)));
    };
    const sd = (values: number[]) => Math.sqrt(mean(values.map((v) => (v - mean(values)) ** 2)));
    expect(sd(dailyMeans(1))).toBeGreaterThan(2);
    expect(sd(dailyMeans(1))).toBeGreaterThan(sd(dailyMeans(7)));
    // ... but it does not jump: consecutive hours differ by little.
    const hours = monthOfHours('DEMO_TENANT', 'America/Chicago', 1);
    const steps = hours.slice(1).map((t, i) => Math.abs(t - hours[i]!));
    expect(Math.max(...steps)).toBeLessThan(4);
  });

  it('is warmest in the afternoon and coolest near dawn, local solar time', () => {
    const hours = monthOfHours('DEMO_TENANT', 'America/Chicago', 7);
    const atUtcHour = (h: number) => mean(hours.filter((_, i) => i % 24 === h));
    // 21:00Z is about 15:00 solar time in Chicago, 12:00Z about 06:00.
    const range = atUtcHour(21) - atUtcHour(12);
    const normalRange = fToC(CLIMATES['America/Chicago']!.highF[6]!) - fToC(CLIMATES['America/Chicago']!.lowF[6]!);
    expect(range).toBeGreaterThan(normalRange * 0.8);
    expect(range).toBeLessThan(normalRange * 1.2);
  });

  it('takes the climate from the time zone: Phoenix is hotter, an unlisted zone is Chicago-like', () => {
    expect(mean(monthOfHours('X', 'America/Phoenix', 7)) - mean(monthOfHours('X', 'America/Chicago', 7))).toBeGreaterThan(5);
    expect(Math.abs(mean(monthOfHours('X', 'America/Los_Angeles', 1)) - normalMeanC('America/Los_Angeles', 1))).toBeLessThan(4);
    expect(Math.abs(mean(monthOfHours('X', 'Europe/Berlin', 1)) - mean(monthOfHours('X', 'America/Chicago', 1)))).toBeLessThan(0.5);
  });
});

describe('sun and sky', () => {
  it('puts the sun highest near local noon, in the zone of the tenant', () => {
    for (const timeZone of ['America/Chicago', 'America/Denver', 'Europe/Berlin']) {
      const tenant = tenantModel('DEMO_TENANT', { timeZone });
      let best = 0;
      let bestMs = 0;
      for (let ms = Date.UTC(2026, 5, 21); ms < Date.UTC(2026, 5, 22); ms += 900_000) {
        if (sunSine(tenant, ms) > best) [best, bestMs] = [sunSine(tenant, ms), ms];
      }
      const local = localTime(timeZone, new Date(bestMs));
      expect(local.hour + local.minute / 60).toBeGreaterThan(12);
      expect(local.hour + local.minute / 60).toBeLessThan(14);
    }
  });

  it('gives PV output from sunrise to sunset only, most at a high sun', () => {
    expect(clearSkyPvPerKw(-0.2)).toBe(0);
    expect(clearSkyPvPerKw(0.95)).toBeGreaterThan(0.75);
    expect(clearSkyPvPerKw(0.95)).toBeLessThanOrEqual(1);
    expect(clearSkyPvPerKw(0.4)).toBeLessThan(clearSkyPvPerKw(0.9));
  });

  it('keeps the clear-sky index in [0.1, 1], with clear and overcast days', () => {
    const tenant = tenantModel('DEMO_TENANT');
    const values: number[] = [];
    for (let ms = Date.UTC(2026, 0, 1, 18); ms < Date.UTC(2027, 0, 1); ms += 86_400_000) values.push(clearSkyIndex(tenant, ms));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    expect(values.filter((k) => k >= 0.95).length).toBeGreaterThan(20);
    expect(values.filter((k) => k < 0.4).length).toBeGreaterThan(20);
  });
});
