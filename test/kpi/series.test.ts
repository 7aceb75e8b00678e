import { beforeAll, describe, expect, it } from 'vitest';
import { getJson, useTestApp } from '../helpers/app.ts';

const { db, app } = useTestApp();

// Fixed reads whose figures are worked out by hand below. Every value is
// exact in a float4 (halves, quarters, eighths), so the sums are exact too.
const LATEST = '2026-11-28T10:15:00.000Z';

interface Read {
  tenantId: string;
  readAt: string;
  meterId: number;
  feederId: number;
  kwh: number;
  voltage: number;
  baselineKwh: number;
}

async function registerFleet(tenantId: string, meters: Array<{ meterId: number; feederId: number; active?: boolean }>, intervalMinutes?: number) {
  const feeders = [...new Set(meters.map((m) => m.feederId))];
  await db.pool.query('insert into ami_fleets (tenant_id, meter_count, feeder_count, interval_minutes) values ($1, $2, $3, $4)', [
    tenantId,
    meters.length,
    feeders.length,
    intervalMinutes ?? 15,
  ]);
  await db.pool.query('insert into ami_feeders (tenant_id, feeder_id) select $1, unnest($2::int[])', [tenantId, feeders]);
  await db.pool.query(
    `insert into ami_meters (tenant_id, meter_id, feeder_id, service_class, scale, active, archetype, heating, position)
     select $1, m, f, 'residential', 1, a, 'res-commuter', 'gas', 0.5 from unnest($2::int[], $3::int[], $4::boolean[]) as t(m, f, a)`,
    [tenantId, meters.map((m) => m.meterId), meters.map((m) => m.feederId), meters.map((m) => m.active ?? true)],
  );
  if (intervalMinutes !== undefined) {
    await db.pool.query(
      `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals)
       values ($1, false, $2, $3, 500, $4, 4)`,
      [tenantId, meters.length, feeders.length, intervalMinutes],
    );
  }
}

async function insertReads(reads: Read[]) {
  await db.pool.query(
    `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
     select * from unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::real[], $6::real[], $7::real[])`,
    [
      reads.map((r) => r.tenantId),
      reads.map((r) => r.readAt),
      reads.map((r) => r.meterId),
      reads.map((r) => r.feederId),
      reads.map((r) => r.kwh),
      reads.map((r) => r.voltage),
      reads.map((r) => r.baselineKwh),
    ],
  );
}

const read = (tenantId: string, readAt: string, meterId: number, feederId: number, kwh: number, baselineKwh: number, voltage: number): Read => ({
  tenantId,
  readAt,
  meterId,
  feederId,
  kwh,
  voltage,
  baselineKwh,
});

beforeAll(async () => {
  // Tenant SERIES: five meters on two feeders, meter 5 retired: 4 expected.
  await registerFleet('SERIES', [
    { meterId: 1, feederId: 1 },
    { meterId: 2, feederId: 1 },
    { meterId: 3, feederId: 2 },
    { meterId: 4, feederId: 2 },
    { meterId: 5, feederId: 2, active: false },
  ]);
  await insertReads([
    // Exactly 24 h before the latest interval: just outside a 24-hour window.
    read('SERIES', '2026-11-27T10:15:00Z', 1, 1, 9, 9, 120),
    // The first interval of the 24-hour window: one meter reported.
    read('SERIES', '2026-11-27T10:30:00Z', 1, 1, 0.125, 0.125, 121.25),
    // 09:45: every expected meter.
    read('SERIES', '2026-11-28T09:45:00Z', 1, 1, 0.5, 0.5, 120.5),
    read('SERIES', '2026-11-28T09:45:00Z', 2, 1, 0.25, 0.5, 121),
    read('SERIES', '2026-11-28T09:45:00Z', 3, 2, 1, 1, 119.5),
    read('SERIES', '2026-11-28T09:45:00Z', 4, 2, 2, 1.5, 122),
    // 10:00: nothing (a full outage): no point.
    // 10:15, the latest: two meters, both sagging.
    read('SERIES', LATEST, 1, 1, 0.5, 1, 113.5),
    read('SERIES', LATEST, 3, 2, 0.25, 1, 110.25),
  ]);
  // Another tenant with a newer interval: neither its time nor its reads leak in.
  await registerFleet('OTHER', [{ meterId: 1, feederId: 1 }]);
  await insertReads([read('OTHER', '2026-11-28T10:30:00Z', 1, 1, 5, 5, 120), read('OTHER', LATEST, 1, 1, 7, 7, 90)]);
  // An hourly tenant (its auto mode configuration says 60 minutes).
  await registerFleet(
    'HOURLY',
    [
      { meterId: 1, feederId: 1 },
      { meterId: 2, feederId: 1 },
    ],
    60,
  );
  await insertReads([
    read('HOURLY', '2026-11-28T08:00:00Z', 1, 1, 1, 1, 120),
    read('HOURLY', '2026-11-28T09:00:00Z', 1, 1, 1.5, 1, 120),
    read('HOURLY', '2026-11-28T09:00:00Z', 2, 1, 0.5, 1, 118.5),
    read('HOURLY', '2026-11-28T10:00:00Z', 2, 1, 2, 1, 121.5),
  ]);
});

describe('GET /api/ami/kpi/series', () => {
  it('gives one point per interval with reads over the 24 hours ending at the latest interval, oldest first', async () => {
    const res = await getJson(`${app.url}/api/ami/kpi/series?tenantId=SERIES`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      ok: true,
      tenantId: 'SERIES',
      intervalMinutes: 15,
      timeZone: 'America/Chicago',
      hours: 24,
      from: '2026-11-27T10:30:00.000Z',
      to: LATEST,
      points: [
        {
          readAt: '2026-11-27T10:30:00.000Z',
          expectedMeters: 4,
          reportingMeters: 1,
          reportingRatePct: 25,
          totalKwh: 0.125,
          baselineKwh: 0.125,
          kwhDeviationPct: 0,
          meanVoltage: 121.25,
          minVoltage: 121.25,
          under114: 0,
          receivedKwh: 0,
          temperatureC: null,
          // Stored with their ticks (delivery 0): at first delivery as now.
          firstDeliveryRatePct: 25,
          lateReads: 0,
          backfilledReads: 0,
          powerDownReads: 0,
        },
        {
          readAt: '2026-11-28T09:45:00.000Z',
          expectedMeters: 4,
          reportingMeters: 4,
          reportingRatePct: 100,
          // 0.5 + 0.25 + 1 + 2 against 0.5 + 0.5 + 1 + 1.5: +0.25 / 3.5 = +7.142857 %
          totalKwh: 3.75,
          baselineKwh: 3.5,
          kwhDeviationPct: 7.14,
          // (120.5 + 121 + 119.5 + 122) / 4
          meanVoltage: 120.75,
          minVoltage: 119.5,
          under114: 0,
          receivedKwh: 0,
          temperatureC: null,
          // Stored with their ticks (delivery 0): at first delivery as now.
          firstDeliveryRatePct: 100,
          lateReads: 0,
          backfilledReads: 0,
          powerDownReads: 0,
        },
        {
          readAt: LATEST,
          expectedMeters: 4,
          reportingMeters: 2,
          reportingRatePct: 50,
          // 0.75 against 2: -62.5 %
          totalKwh: 0.75,
          baselineKwh: 2,
          kwhDeviationPct: -62.5,
          // (113.5 + 110.25) / 2 = 111.875, rounded half away from zero
          meanVoltage: 111.88,
          minVoltage: 110.25,
          under114: 2,
          receivedKwh: 0,
          temperatureC: null,
          // Stored with their ticks (delivery 0): at first delivery as now.
          firstDeliveryRatePct: 50,
          lateReads: 0,
          backfilledReads: 0,
          powerDownReads: 0,
        },
      ],
    });
  });

  it('narrows the window with hours', async () => {
    const res = await getJson(`${app.url}/api/ami/kpi/series?tenantId=SERIES&hours=1`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hours: 1, from: '2026-11-28T09:30:00.000Z', to: LATEST });
    expect(res.body.points.map((p: { readAt: string }) => p.readAt)).toEqual(['2026-11-28T09:45:00.000Z', LATEST]);
  });

  it('steps by the tenant\u2019s own interval length', async () => {
    const res = await getJson(`${app.url}/api/ami/kpi/series?tenantId=HOURLY&hours=2`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ intervalMinutes: 60, from: '2026-11-28T09:00:00.000Z', to: '2026-11-28T10:00:00.000Z' });
    expect(res.body.points).toEqual([
      {
        readAt: '2026-11-28T09:00:00.000Z',
        expectedMeters: 2,
        reportingMeters: 2,
        reportingRatePct: 100,
        totalKwh: 2,
        baselineKwh: 2,
        kwhDeviationPct: 0,
        meanVoltage: 119.25,
        minVoltage: 118.5,
        under114: 0,
        receivedKwh: 0,
        temperatureC: null,
        // Stored with their ticks (delivery 0): at first delivery as now.
        firstDeliveryRatePct: 100,
        lateReads: 0,
        backfilledReads: 0,
        powerDownReads: 0,
      },
      {
        readAt: '2026-11-28T10:00:00.000Z',
        expectedMeters: 2,
        reportingMeters: 1,
        reportingRatePct: 50,
        totalKwh: 2,
        baselineKwh: 1,
        kwhDeviationPct: 100,
        meanVoltage: 121.5,
        minVoltage: 121.5,
        under114: 0,
        receivedKwh: 0,
        temperatureC: null,
        // Stored with their ticks (delivery 0): at first delivery as now.
        firstDeliveryRatePct: 50,
        lateReads: 0,
        backfilledReads: 0,
        powerDownReads: 0,
      },
    ]);
  });

  it('is empty, not an error, before the first read', async () => {
    const unknown = await getJson(`${app.url}/api/ami/kpi/series?tenantId=NOBODY&hours=48`);
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({
      ok: true,
      tenantId: 'NOBODY',
      intervalMinutes: 15,
      timeZone: 'America/Chicago',
      hours: 48,
      from: null,
      to: null,
      points: [],
    });
  });

  it.each([
    ['hours=0', 'hours', 'must be at least 1'],
    ['hours=49', 'hours', 'must be at most 48'],
    ['hours=abc', 'hours', 'must be a whole number of hours'],
    ['hours=1.5', 'hours', 'must be a whole number of hours'],
    ['hours=-3', 'hours', 'must be a whole number of hours'],
    ['hours=', 'hours', 'must be a whole number of hours'],
    ['hours=24&hours=12', 'hours', 'must be given once, as a plain value'],
  ])('refuses %s with a 400 naming the field', async (query, field, message) => {
    const res = await getJson(`${app.url}/api/ami/kpi/series?tenantId=SERIES&${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, error: { code: 'VALIDATION', fields: [{ field, message }] } });
  });

  it('refuses a missing or malformed tenant and unknown parameters', async () => {
    const missing = await getJson(`${app.url}/api/ami/kpi/series?hours=24`);
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toEqual([{ field: 'tenantId', message: expect.any(String) }]);
    const malformed = await getJson(`${app.url}/api/ami/kpi/series?tenantId=${encodeURIComponent('no spaces!')}`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields).toEqual([{ field: 'tenantId', message: 'must be 1-64 letters, digits, _ or -, starting with a letter or digit' }]);
    const unknown = await getJson(`${app.url}/api/ami/kpi/series?tenantId=SERIES&from=2026-11-28`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.fields).toEqual([{ field: 'from', message: 'unknown field' }]);
  });

  it('answers other methods with 405', async () => {
    const res = await fetch(`${app.url}/api/ami/kpi/series?tenantId=SERIES`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});
