import { describe, expect, it } from 'vitest';
import type { ServiceClass } from '../../src/emulator/classes.ts';
import { fleetProfiles, type MeterProfile } from '../../src/emulator/fleet.ts';
import { classMeanKwh, expectedKwh } from '../../src/emulator/load.ts';
import { localTime } from '../../src/emulator/localTime.ts';
import { tenantModel } from '../../src/emulator/tenant.ts';
import { recentIntervals } from '../../src/emulator/time.ts';

const TENANT = tenantModel('DEMO_TENANT');
const FLEET = fleetProfiles(TENANT, 1, 10_000, 25);
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const ofClass = (serviceClass: ServiceClass, count: number) => FLEET.filter((p) => p.serviceClass === serviceClass).slice(0, count);
const occupiedHomes = FLEET.filter((p) => p.serviceClass === 'residential' && p.archetype !== 'res-vacant' && p.pvKw === 0 && !p.hasEv);
/** Expected energy of a local day in Chicago (06:00Z to 06:00Z: CST midnights; an hour off under DST), hourly intervals. */
const dayEnergy = (profile: MeterProfile, day: string) => {
  let sum = 0;
  for (let h = 1; h <= 24; h++) sum += expectedKwh(TENANT, profile, new Date(Date.parse(`${day}T06:00:00.000Z`) + h * HOUR), 60);
  return sum;
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('expectedKwh', () => {
  it('gives each class a realistic daily energy (April weekday)', () => {
    const perDay = (serviceClass: ServiceClass, count: number) => mean(ofClass(serviceClass, count).map((p) => dayEnergy(p, '2026-04-15')));
    const residential = perDay('residential', 300);
    expect(residential).toBeGreaterThan(15);
    expect(residential).toBeLessThan(32);
    const commercial = perDay('commercial', 100);
    expect(commercial).toBeGreaterThan(150);
    expect(commercial).toBeLessThan(350);
    const industrial = perDay('industrial', 30);
    expect(industrial).toBeGreaterThan(600);
    expect(industrial).toBeLessThan(1500);
  });

  it('puts the residential evening above the morning and both far above the night (class mean, a June weekday)', () => {
    const night = classMeanKwh(TENANT, 'residential', at('2026-06-03T09:00:00.000Z')); // 04:00 CDT
    const morning = classMeanKwh(TENANT, 'residential', at('2026-06-03T12:30:00.000Z')); // 07:30
    const evening = classMeanKwh(TENANT, 'residential', at('2026-06-04T00:30:00.000Z')); // 19:30
    expect(evening).toBeGreaterThan(morning);
    expect(morning).toBeGreaterThan(1.5 * night);
    expect(evening).toBeGreaterThan(3 * night);
  });

  it('heats with electricity in winter: an electric-heat home uses more than its gas twin, not in summer', () => {
    const twins = occupiedHomes.slice(0, 50);
    const ratio = (day: string) =>
      mean(twins.map((p) => dayEnergy({ ...p, heating: 'electric' }, day))) / mean(twins.map((p) => dayEnergy({ ...p, heating: 'gas' }, day)));
    expect(ratio('2026-01-14')).toBeGreaterThan(1.4);
    expect(ratio('2026-07-15')).toBeCloseTo(1, 6);
  });

  it('cools in summer: homes use clearly more in July than in April', () => {
    const homes = occupiedHomes.filter((p) => p.heating === 'gas').slice(0, 100);
    const july = mean(homes.map((p) => dayEnergy(p, '2026-07-15')));
    const april = mean(homes.map((p) => dayEnergy(p, '2026-04-15')));
    expect(july / april).toBeGreaterThan(1.3);
  });

  it('charges an EV 5-14 kWh a day, in the evening or at night', () => {
    for (const p of occupiedHomes.slice(0, 30)) {
      const extra = dayEnergy({ ...p, hasEv: true }, '2026-04-15') - dayEnergy(p, '2026-04-15');
      expect(extra).toBeGreaterThan(5);
      expect(extra).toBeLessThan(14);
      // No charging from 09:00 to 15:00 local.
      for (let h = 15; h <= 20; h++) {
        const readAt = new Date(Date.parse('2026-04-15T00:00:00.000Z') + h * HOUR);
        expect(expectedKwh(TENANT, { ...p, hasEv: true }, readAt, 60)).toBe(expectedKwh(TENANT, p, readAt, 60));
      }
    }
  });

  it('lowers delivered energy by the solar output by day, not at night', () => {
    const p = occupiedHomes[0]!;
    const sunny = { ...p, pvKw: 7 };
    const night = at('2026-06-20T08:00:00.000Z');
    expect(expectedKwh(TENANT, sunny, night)).toBe(expectedKwh(TENANT, p, night));
    const day = dayEnergy(p, '2026-06-20') - dayEnergy(sunny, '2026-06-20');
    expect(day).toBeGreaterThan(3);
    expect(expectedKwh(TENANT, sunny, at('2026-06-20T18:00:00.000Z'))).toBeLessThan(expectedKwh(TENANT, p, at('2026-06-20T18:00:00.000Z')));
    expect(expectedKwh(TENANT, sunny, at('2026-06-20T18:00:00.000Z'))).toBeGreaterThanOrEqual(0);
  });

  it('makes homes of one archetype distinct: their evening peaks fall at different times', () => {
    const commuters = occupiedHomes.filter((p) => p.archetype === 'res-commuter').slice(0, 80);
    const evening = recentIntervals(at('2026-04-16T05:00:00.000Z'), 36, 15); // 15:00-24:00 CDT
    const peakHours = commuters.map((p) => {
      const values = evening.map((readAt) => expectedKwh(TENANT, p, readAt));
      return localTime(TENANT.timeZone, evening[values.indexOf(Math.max(...values))]!).hour;
    });
    expect(Math.max(...peakHours) - Math.min(...peakHours)).toBeGreaterThanOrEqual(2);
    // Same archetype, same scale, different meters: different curves.
    const a = { ...commuters[0]!, scale: 1 };
    const b = { ...commuters[1]!, scale: 1 };
    expect(evening.map((readAt) => expectedKwh(TENANT, a, readAt))).not.toEqual(evening.map((readAt) => expectedKwh(TENANT, b, readAt)));
  });

  it('keeps a vacant home small but not nothing', () => {
    const vacant = FLEET.find((p) => p.archetype === 'res-vacant' && p.pvKw === 0)!;
    expect(dayEnergy(vacant, '2026-04-15')).toBeGreaterThan(0.5);
    expect(dayEnergy(vacant, '2026-04-15')).toBeLessThan(3);
  });

  it('runs commercial meters on weekdays and industry flat around the clock (continuous)', () => {
    const office = FLEET.find((p) => p.archetype === 'com-office')!;
    expect(expectedKwh(TENANT, office, at('2026-04-15T17:00:00.000Z'))).toBeGreaterThan(3 * expectedKwh(TENANT, office, at('2026-04-18T17:00:00.000Z')));
    const plant = FLEET.find((p) => p.archetype === 'ind-continuous')!;
    const day = recentIntervals(at('2026-04-16T05:00:00.000Z'), 96, 15).map((readAt) => expectedKwh(TENANT, plant, readAt));
    expect(Math.max(...day) / Math.min(...day)).toBeLessThan(1.3);
  });

  it('scales energy with the interval length: four quarters make the hour, two make the half hour', () => {
    for (const p of [...ofClass('residential', 20), ...ofClass('commercial', 3), ...ofClass('industrial', 2)]) {
      for (const end of ['2026-04-15T23:00:00.000Z', '2026-07-04T18:00:00.000Z', '2026-03-08T08:00:00.000Z']) {
        const quarters = recentIntervals(at(end), 4, 15).reduce((s, readAt) => s + expectedKwh(TENANT, p, readAt), 0);
        expect(expectedKwh(TENANT, p, at(end), 60)).toBeCloseTo(quarters, 10);
        const halves = recentIntervals(at(end), 2, 30).reduce((s, readAt) => s + expectedKwh(TENANT, p, readAt, 30), 0);
        expect(halves).toBeCloseTo(quarters, 10);
      }
    }
  });

  it('rejects a bad interval length, an unaligned read_at and an unknown archetype', () => {
    const p = FLEET[0]!;
    expect(() => expectedKwh(TENANT, p, at('2026-11-25T08:00:00.000Z'), 7)).toThrow(RangeError);
    expect(() => expectedKwh(TENANT, p, at('2026-11-25T08:05:00.000Z'))).toThrow(/aligned/);
    expect(() => expectedKwh(TENANT, { ...p, archetype: 'castle' }, at('2026-11-25T08:00:00.000Z'))).toThrow(/archetype/);
    expect(() => expectedKwh(TENANT, { ...p, serviceClass: 'industrial', archetype: 'res-commuter' }, at('2026-11-25T08:00:00.000Z'))).toThrow(/class/);
  });
});
