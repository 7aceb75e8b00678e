import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { ARCHETYPES, archetypesOf } from '../../src/emulator/archetypes.ts';
import { CLIMATES } from '../../src/emulator/climate.ts';
import { SERVICE_CLASSES } from '../../src/emulator/classes.ts';
import { EV_SHARE, feederCharacter, feederOf, fleetProfiles, type MeterProfile, meterProfile } from '../../src/emulator/fleet.ts';
import { generateBatch } from '../../src/emulator/generate.ts';
import { tenantModel } from '../../src/emulator/tenant.ts';

const TENANT = tenantModel('DEMO_TENANT');
const share = (profiles: MeterProfile[], pick: (p: MeterProfile) => boolean) => profiles.filter(pick).length / profiles.length;

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
    const profile = meterProfile(TENANT, 1234, 25);
    expect(meterProfile(TENANT, 1234, 25)).toEqual(profile);
    expect(fleetProfiles(TENANT, 1, 2000, 25)[1233]).toEqual(profile);
    expect(fleetProfiles(TENANT, 1200, 1300, 25)[34]).toEqual(profile);
    expect(profile.feederId).toBe(9);
  });

  it('depends on the tenant', () => {
    const scales = (tenantId: string) => fleetProfiles(tenantModel(tenantId), 1, 50, 25).map((p) => p.scale);
    expect(scales('TENANT_A')).not.toEqual(scales('TENANT_B'));
  });

  it('gives solar only to the share of homes the tenant asks for', () => {
    const none = fleetProfiles(tenantModel('DEMO_TENANT', { solarShare: 0 }), 1, 5_000, 25);
    expect(none.every((p) => p.pvKw === 0)).toBe(true);
    const many = fleetProfiles(tenantModel('DEMO_TENANT', { solarShare: 0.3 }), 1, 20_000, 200);
    const homes = many.filter((p) => p.serviceClass === 'residential');
    expect(share(homes, (p) => p.pvKw > 0)).toBeGreaterThan(0.26);
    expect(share(homes, (p) => p.pvKw > 0)).toBeLessThan(0.34);
    // The solar share does not reshuffle anything else about a meter.
    const withoutPv = (p: MeterProfile) => ({ ...p, pvKw: 0 });
    const sunny = fleetProfiles(tenantModel('DEMO_TENANT', { solarShare: 0.3 }), 1, 500, 25);
    expect(sunny.map(withoutPv)).toEqual(fleetProfiles(TENANT, 1, 500, 25).map(withoutPv));
  });

  it('rejects an unusable tenant model', () => {
    expect(() => meterProfile(tenantModel('T', { timeZone: 'Mars/Olympus' }), 1, 25)).toThrow(/IANA/);
  });
});

describe('fleetProfiles', () => {
  // 200 feeders of 100 meters: enough feeders for the mix between feeders to average out.
  const profiles = fleetProfiles(TENANT, 1, 20_000, 200);
  const homes = profiles.filter((p) => p.serviceClass === 'residential');

  it('covers the inclusive range in order', () => {
    expect(profiles).toHaveLength(20_000);
    expect(profiles[0]!.meterId).toBe(1);
    expect(profiles.at(-1)!.meterId).toBe(20_000);
    expect(fleetProfiles(TENANT, 5, 4, 25)).toEqual([]);
    expect(() => fleetProfiles(TENANT, 0, 4, 25)).toThrow(RangeError);
  });

  it('mixes classes about 89 / 9.6 / 1.4 over many feeders', () => {
    expect(share(profiles, (p) => p.serviceClass === 'residential')).toBeGreaterThan(0.86);
    expect(share(profiles, (p) => p.serviceClass === 'residential')).toBeLessThan(0.92);
    expect(share(profiles, (p) => p.serviceClass === 'commercial')).toBeGreaterThan(0.07);
    expect(share(profiles, (p) => p.serviceClass === 'commercial')).toBeLessThan(0.12);
    expect(share(profiles, (p) => p.serviceClass === 'industrial')).toBeGreaterThan(0.007);
    expect(share(profiles, (p) => p.serviceClass === 'industrial')).toBeLessThan(0.022);
    expect(SERVICE_CLASSES.every((c) => profiles.some((p) => p.serviceClass === c))).toBe(true);
  });

  it('varies the class mix between feeders, as a pure function of tenant and feeder', () => {
    const commercialShare = (feederId: number) =>
      share(
        profiles.filter((p) => p.feederId === feederId),
        (p) => p.serviceClass === 'commercial',
      );
    const shares = Array.from({ length: 200 }, (_, i) => commercialShare(i + 1));
    expect(Math.min(...shares)).toBeLessThan(0.05);
    expect(Math.max(...shares)).toBeGreaterThan(0.2);
    // A feeder's character follows its meters' mix.
    const kinds = Array.from({ length: 200 }, (_, i) => feederCharacter(TENANT.tenantId, i + 1));
    const meanShare = (kind: string) => {
      const picked = shares.filter((_, i) => kinds[i]!.kind === kind);
      return picked.reduce((a, b) => a + b, 0) / picked.length;
    };
    expect(meanShare('commercial')).toBeGreaterThan(meanShare('mixed'));
    expect(meanShare('mixed')).toBeGreaterThan(meanShare('residential'));
    expect(feederCharacter(TENANT.tenantId, 7)).toEqual(feederCharacter(TENANT.tenantId, 7));
    expect(feederCharacter('OTHER', 7)).not.toEqual(feederCharacter(TENANT.tenantId, 7));
  });

  it('balances meters over feeders 1..feederCount', () => {
    const fleet = fleetProfiles(TENANT, 1, 20_000, 25);
    const perFeeder = new Map<number, number>();
    for (const p of fleet) perFeeder.set(p.feederId, (perFeeder.get(p.feederId) ?? 0) + 1);
    expect([...perFeeder.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(new Set(perFeeder.values())).toEqual(new Set([800]));
  });

  it('draws every archetype of the right class, about at its share', () => {
    for (const p of profiles) expect(archetypesOf(p.serviceClass).map((a) => a.name)).toContain(p.archetype);
    expect(new Set(profiles.map((p) => p.archetype))).toEqual(new Set(ARCHETYPES));
    for (const archetype of archetypesOf('residential')) {
      const observed = share(homes, (p) => p.archetype === archetype.name);
      expect(Math.abs(observed - archetype.share)).toBeLessThan(0.02);
    }
  });

  it('draws scale around 1 per class, clamped, 3 decimals, with a lognormal spread', () => {
    for (const serviceClass of SERVICE_CLASSES) {
      const scales = profiles.filter((p) => p.serviceClass === serviceClass).map((p) => p.scale);
      const mean = scales.reduce((a, b) => a + b, 0) / scales.length;
      expect(mean).toBeGreaterThan(serviceClass === 'residential' ? 0.95 : 0.85);
      expect(mean).toBeLessThan(serviceClass === 'residential' ? 1.05 : 1.15);
      expect(Math.min(...scales)).toBeGreaterThanOrEqual(0.2);
      expect(Math.max(...scales)).toBeLessThanOrEqual(8);
    }
    expect(profiles.every((p) => Math.round(p.scale * 1000) / 1000 === p.scale)).toBe(true);
    const logs = homes.map((p) => Math.log(p.scale));
    const logMean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const logSd = Math.sqrt(logs.reduce((a, l) => a + (l - logMean) ** 2, 0) / logs.length);
    expect(logSd).toBeGreaterThan(0.4);
    expect(logSd).toBeLessThan(0.6);
  });

  it('gives rooftop solar to about 5 % of homes and to nothing else, 2-15 kW in 0.1 kW steps', () => {
    expect(share(homes, (p) => p.pvKw > 0)).toBeGreaterThan(0.04);
    expect(share(homes, (p) => p.pvKw > 0)).toBeLessThan(0.06);
    expect(profiles.filter((p) => p.serviceClass !== 'residential').every((p) => p.pvKw === 0)).toBe(true);
    const sizes = homes.filter((p) => p.pvKw > 0).map((p) => p.pvKw);
    expect(sizes.every((kw) => kw >= 2 && kw <= 15 && Math.round(kw * 10) / 10 === kw)).toBe(true);
    const sorted = [...sizes].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThan(6.5);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(8.5);
  });

  it('gives an EV to a few percent of occupied homes only', () => {
    const occupied = homes.filter((p) => p.archetype !== 'res-vacant');
    expect(share(occupied, (p) => p.hasEv)).toBeGreaterThan(EV_SHARE * 0.8);
    expect(share(occupied, (p) => p.hasEv)).toBeLessThan(EV_SHARE * 1.2);
    expect(profiles.some((p) => p.hasEv && (p.serviceClass !== 'residential' || p.archetype === 'res-vacant'))).toBe(false);
  });

  it('heats electrically at the share of the climate of the time zone', () => {
    expect(share(homes, (p) => p.heating === 'electric')).toBeGreaterThan(CLIMATES['America/Chicago']!.electricHeatShare - 0.02);
    expect(share(homes, (p) => p.heating === 'electric')).toBeLessThan(CLIMATES['America/Chicago']!.electricHeatShare + 0.02);
    const phoenix = fleetProfiles(tenantModel('DEMO_TENANT', { timeZone: 'America/Phoenix' }), 1, 10_000, 100);
    const phoenixShare = share(phoenix, (p) => p.heating === 'electric');
    expect(phoenixShare).toBeGreaterThan(0.26);
    expect(phoenixShare).toBeLessThan(0.32);
  });

  it('places meters along their feeder, 0..1 in 0.001 steps, spread evenly', () => {
    const positions = profiles.map((p) => p.position);
    expect(positions.every((x) => x >= 0 && x <= 1 && Math.round(x * 1000) / 1000 === x)).toBe(true);
    expect(share(profiles, (p) => p.position < 0.25)).toBeGreaterThan(0.23);
    expect(share(profiles, (p) => p.position >= 0.75)).toBeGreaterThan(0.23);
  });
});

/** What PostgreSQL prints for a float4: the shortest decimal that reads back as the same float4. */
function float4AsText(value: number): string {
  const single = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = String(Number(single.toPrecision(digits)));
    if (Math.fround(Number(text)) === single) return text;
  }
  return String(single);
}

describe('profiles stored as PostgreSQL real', () => {
  const profiles = fleetProfiles(tenantModel('DEMO_TENANT', { solarShare: 0.3 }), 1, 3_000, 25);
  const numericFields = ['scale', 'pvKw', 'position'] as const;

  it('round-trip exactly through float4 printed as text', () => {
    for (const p of profiles) {
      for (const field of numericFields) expect(Number(float4AsText(p[field]))).toBe(p[field]);
    }
  });

  it('read back from a real PostgreSQL, give the same reads to the digit', async () => {
    const client = new pg.Client({ connectionString: inject('adminUrl') });
    await client.connect();
    try {
      const values = profiles.flatMap((p) => numericFields.map((field) => p[field]));
      const { rows } = await client.query<{ v: string }>('select v::text as v from unnest($1::real[]) with ordinality as t(v, i) order by i', [values]);
      const back = rows.map((row) => Number(row.v));
      expect(back).toEqual(values);
      const stored: MeterProfile[] = profiles.map((p, i) => ({
        ...p,
        scale: back[i * 3]!,
        pvKw: back[i * 3 + 1]!,
        position: back[i * 3 + 2]!,
      }));
      const readAt = new Date('2026-07-04T18:00:00.000Z');
      expect(generateBatch(TENANT, stored, readAt, [])).toEqual(generateBatch(TENANT, profiles, readAt, []));
    } finally {
      await client.end();
    }
  });
});
