import { describe, expect, it } from 'vitest';
import { feederOf, fleetProfiles, meterProfile, SERVICE_CLASSES } from '../../src/emulator/fleet.ts';

describe('feederOf', () => {
  it('assigns round robin over 1..feederCount', () => {
    expect([1, 2, 25, 26, 27, 50, 51].map((meterId) => feederOf(meterId, 25))).toEqual([1, 2, 25, 1, 2, 25, 1]);
    expect(feederOf(7, 1)).toBe(1);
  });

  it('rejects meter ids and feeder counts below 1 or fractional', () => {
    expect(() => feederOf(0, 25)).toThrow(RangeError);
    expect(() => feederOf(1, 0)).toThrow(/feederCount/);
    expect(() => feederOf(1.5, 25)).toThrow(/meterId/);
  });
});

describe('meterProfile', () => {
  it('is stable for a (tenant, meter) and independent of fleet size', () => {
    const profile = meterProfile('DEMO_TENANT', 1234, 25);
    expect(meterProfile('DEMO_TENANT', 1234, 25)).toEqual(profile);
    expect(fleetProfiles('DEMO_TENANT', 1, 2000, 25)[1233]).toEqual(profile);
    expect(profile.feederId).toBe(9);
  });

  it('depends on the tenant', () => {
    const scales = (tenantId: string) => fleetProfiles(tenantId, 1, 50, 25).map((p) => p.scale);
    expect(scales('TENANT_A')).not.toEqual(scales('TENANT_B'));
  });
});

describe('fleetProfiles', () => {
  const profiles = fleetProfiles('DEMO_TENANT', 1, 20_000, 25);

  it('covers the inclusive range in order', () => {
    expect(profiles).toHaveLength(20_000);
    expect(profiles[0]!.meterId).toBe(1);
    expect(profiles.at(-1)!.meterId).toBe(20_000);
    expect(fleetProfiles('DEMO_TENANT', 5, 4, 25)).toEqual([]);
    expect(() => fleetProfiles('DEMO_TENANT', 0, 4, 25)).toThrow(RangeError);
  });

  it('mixes classes about 90 / 9 / 1', () => {
    const share = (c: string) => profiles.filter((p) => p.serviceClass === c).length / profiles.length;
    expect(share('residential')).toBeGreaterThan(0.88);
    expect(share('residential')).toBeLessThan(0.92);
    expect(share('commercial')).toBeGreaterThan(0.075);
    expect(share('commercial')).toBeLessThan(0.105);
    expect(share('industrial')).toBeGreaterThan(0.005);
    expect(share('industrial')).toBeLessThan(0.015);
    expect(SERVICE_CLASSES.every((c) => share(c) > 0)).toBe(true);
  });

  it('balances meters over feeders 1..feederCount', () => {
    const perFeeder = new Map<number, number>();
    for (const p of profiles) perFeeder.set(p.feederId, (perFeeder.get(p.feederId) ?? 0) + 1);
    expect([...perFeeder.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(new Set(perFeeder.values())).toEqual(new Set([800]));
  });

  it('draws scale around 1, clamped to [0.3, 3], 3 decimals', () => {
    const scales = profiles.map((p) => p.scale);
    const mean = scales.reduce((a, b) => a + b, 0) / scales.length;
    expect(mean).toBeGreaterThan(0.97);
    expect(mean).toBeLessThan(1.03);
    expect(Math.min(...scales)).toBeGreaterThanOrEqual(0.3);
    expect(Math.max(...scales)).toBeLessThanOrEqual(3);
    expect(scales.every((s) => Math.round(s * 1000) / 1000 === s)).toBe(true);
    // A real spread, not a constant: roughly sigma 0.3 in log space.
    const logSd = Math.sqrt(scales.reduce((a, s) => a + Math.log(s) ** 2, 0) / scales.length);
    expect(logSd).toBeGreaterThan(0.25);
    expect(logSd).toBeLessThan(0.35);
  });
});
