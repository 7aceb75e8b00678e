import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/pool.ts';
import { ensureFleet } from '../../src/db/fleet.ts';
import { getJson, useTestApp } from '../helpers/app.ts';

/**
 * Stale buckets on hand-built reads whose ages are known: each meter's newest
 * read is placed at an exact age from the reference interval T.
 */
const T = new Date('2026-11-28T10:00:00Z');
const MINUTE = 60_000;
const at = (minutesBeforeT: number) => new Date(T.getTime() - minutesBeforeT * MINUTE);
// The wall clock runs hours ahead of the data: the reference must still be T.
let clock = new Date(T.getTime() + 6 * 60 * MINUTE + 7 * MINUTE);
const { db, app } = useTestApp({ clock: () => clock });

/** Meter -> age of its newest read at T, in minutes (undefined: never reported). */
const AGES: Record<number, number | undefined> = {
  1: 0,
  2: 15,
  3: 45,
  4: 60,
  5: 5 * 60,
  6: 2 * 24 * 60,
  7: undefined,
};

async function insertRead(tenantId: string, meterId: number, readAt: Date): Promise<void> {
  // What the ingest does in one statement: the read and the meter's newest read_at.
  await db.pool.query(
    `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
     select $1, $2, meter_id, feeder_id, 0.3, 121, 0.3 from ami_meters where tenant_id = $1 and meter_id = $3`,
    [tenantId, readAt, meterId],
  );
  await db.pool.query(
    `update ami_meter_last_reads set last_read_at = greatest(last_read_at, $3) where tenant_id = $1 and meter_id = $2
       and (last_read_at is null or last_read_at < $3)`,
    [tenantId, meterId, readAt],
  );
}

async function quickcheck(tenantId: string, readAt?: Date) {
  const res = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=${tenantId}${readAt ? `&readAt=${readAt.toISOString()}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

beforeAll(async () => {
  await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'STALE', meterCount: 7, feederCount: 2, now: new Date() }));
  await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'LATER', meterCount: 8, feederCount: 2, now: new Date() }));
  for (const [meter, age] of Object.entries(AGES)) {
    if (age === undefined) continue;
    // An older read too, so "newest" is what counts, not "any".
    await insertRead('STALE', Number(meter), at(age + 3 * 24 * 60));
    await insertRead('STALE', Number(meter), at(age));
  }
  // LATER: the same history, then one more interval (T + 15 min) where meters
  // 1-6 and meter 8 (new, first read ever) report. As of T, nothing changes.
  for (const [meter, age] of Object.entries(AGES)) {
    if (age === undefined) continue;
    await insertRead('LATER', Number(meter), at(age + 3 * 24 * 60));
    await insertRead('LATER', Number(meter), at(age));
    await insertRead('LATER', Number(meter), at(-15));
  }
  await insertRead('LATER', 8, at(-15));
  // SHRUNK: 8 meters, then the fleet shrinks to 6; meter 7 had reported at T.
  await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'SHRUNK', meterCount: 8, feederCount: 2, now: new Date() }));
  for (const meter of [1, 2, 3, 7]) await insertRead('SHRUNK', meter, T);
  await insertRead('SHRUNK', 4, at(30));
  await insertRead('SHRUNK', 5, at(120));
  await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'SHRUNK', meterCount: 6, feederCount: 2, now: new Date() }));
});

describe('staleMetersBuckets', () => {
  it('puts each meter in the bucket of its newest read age, measured from the latest interval, not the wall clock', async () => {
    const body = await quickcheck('STALE');
    expect(body.latestInterval).toBe(T.toISOString());
    expect(body.staleMetersBuckets).toEqual({
      current: 1, // age 0
      staleOver15m: 2, // 15 min and 45 min
      staleOver1h: 1, // exactly 1 h
      staleOver4h: 1, // 5 h
      staleOver24h: 1, // 2 days
      neverReported: 1,
    });
    expect(body.reportingSummary).toEqual({ expectedMeters: 7, reportingMeters: 1, missingMeters: 6, reportingRatePct: 14.29 });
    // Per feeder (meters alternate 1,2,1,2,...): feeder 1 has 1,3,5,7 and feeder 2 has 2,4,6.
    const feeders = Object.fromEntries(body.feeders.map((f: { feederId: number }) => [f.feederId, f]));
    expect(feeders[1]).toMatchObject({ expectedMeters: 4, reportingMeters: 1, staleMeters: 2, neverReported: 1 });
    expect(feeders[2]).toMatchObject({ expectedMeters: 3, reportingMeters: 0, staleMeters: 3, neverReported: 0 });
  });

  it('gives the same answer whatever the wall clock says', async () => {
    const first = await quickcheck('STALE');
    clock = new Date(clock.getTime() + 30 * 24 * 60 * MINUTE);
    const later = await quickcheck('STALE');
    expect(later.staleMetersBuckets).toEqual(first.staleMetersBuckets);
    expect(later.generatedAt).toBe(clock.toISOString());
  });

  it('has staleOver15m 0 when every meter reported in the latest interval', async () => {
    const body = await quickcheck('LATER');
    expect(body.latestInterval).toBe(at(-15).toISOString());
    expect(body.reportingSummary).toMatchObject({ expectedMeters: 8, reportingMeters: 7, reportingRatePct: 87.5 });
    // Meter 7 never reported: the others are all current.
    expect(body.staleMetersBuckets).toEqual({ current: 7, staleOver15m: 0, staleOver1h: 0, staleOver4h: 0, staleOver24h: 0, neverReported: 1 });
  });

  it('computes the buckets as of a past readAt from the reads, ignoring reads made after it', async () => {
    const body = await quickcheck('LATER', T);
    expect(body.latestInterval).toBe(T.toISOString());
    expect(body.newestInterval).toBe(at(-15).toISOString());
    // Meter 8 reported for the first time after T: as of T it never had.
    expect(body.staleMetersBuckets).toEqual({ current: 1, staleOver15m: 2, staleOver1h: 1, staleOver4h: 1, staleOver24h: 1, neverReported: 2 });
    expect(body.reportingSummary).toEqual({ expectedMeters: 8, reportingMeters: 1, missingMeters: 7, reportingRatePct: 12.5 });

    // Further back: as of T - 1 h, meter 4 (read at T - 1 h) is current, meters 2 and 3 had
    // older reads only (3 days before), and meter 1 (read at T - 3 days) is over 24 h.
    const earlier = await quickcheck('LATER', at(60));
    expect(earlier.staleMetersBuckets).toEqual({ current: 1, staleOver15m: 0, staleOver1h: 0, staleOver4h: 1, staleOver24h: 4, neverReported: 2 });
  });

  it('counts only the active meters once a fleet has shrunk, reads of retired meters included nowhere', async () => {
    const body = await quickcheck('SHRUNK');
    expect(body.reportingSummary).toEqual({ expectedMeters: 6, reportingMeters: 3, missingMeters: 3, reportingRatePct: 50 });
    expect(body.staleMetersBuckets).toEqual({ current: 3, staleOver15m: 1, staleOver1h: 1, staleOver4h: 0, staleOver24h: 0, neverReported: 1 });
    const feeders = Object.fromEntries(body.feeders.map((f: { feederId: number }) => [f.feederId, f]));
    expect(feeders[1]).toMatchObject({ expectedMeters: 3, reportingMeters: 2, staleMeters: 1, neverReported: 0 });
    expect(feeders[2]).toMatchObject({ expectedMeters: 3, reportingMeters: 1, staleMeters: 1, neverReported: 1 });
    expect(body.energy.totalKwh).toBeCloseTo(0.9, 4);
  });

  it('answers a tenant without data with zeros and latestInterval null', async () => {
    const body = await quickcheck('NOBODY');
    expect(body).toMatchObject({
      ok: true,
      tenantId: 'NOBODY',
      intervalMinutes: 15,
      latestInterval: null,
      registered: false,
      reportingSummary: { expectedMeters: 0, reportingMeters: 0, missingMeters: 0, reportingRatePct: null },
      staleMetersBuckets: { current: 0, staleOver15m: 0, staleOver1h: 0, staleOver4h: 0, staleOver24h: 0, neverReported: 0 },
      energy: { totalKwh: 0, meanKwh: null },
      voltage: { mean: null, min: null, max: null, under114: 0, over126: 0 },
      feeders: [],
      activeEvents: [],
    });
  });
});
