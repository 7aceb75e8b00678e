import { describe, expect, it } from 'vitest';
import { temperatureC, tenantModel } from '../../src/emulator/index.ts';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { useTestApp } from '../helpers/app.ts';
import { testClock } from '../helpers/clock.ts';

/**
 * A tenant's clock, solar and weather as the API and the database carry them
 * (SPEC section 12): stored with the fleet, written into the reads, summed in
 * the KPIs, shown in the series and GraphQL.
 */
const clock = testClock('2026-07-15T20:00:00Z');
const { db, app, deps } = useTestApp({ clock, graphql: true });
const SOLAR_NOON = new Date('2026-07-15T17:15:00Z'); // 12:15 CDT, 13:15 EDT
const WINTER = new Date('2026-01-15T18:00:00Z');

async function publishAll(tenantId: string, readAt: Date): Promise<void> {
  const published = await fetch(`${app.url}/api/ami/publish-once`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId, readAt: readAt.toISOString() }),
  });
  expect(published.status).toBe(202);
  const { rows } = await db.pool.query(`select payload from graphile_worker._private_jobs where key like $1`, [
    `ami_publish_batch:${tenantId}:${readAt.toISOString()}:%`,
  ]);
  for (const { payload } of rows) await publishBatch(deps, payload);
  await db.pool.query(`delete from graphile_worker._private_jobs where key like $1`, [`ami_publish_batch:${tenantId}:%`]);
}

describe('a tenant on its own clock, with rooftop solar', () => {
  it('registers the time zone and solar share at the first publish, and refuses another one later (409) or an unknown zone (400)', async () => {
    const first = await fetch(`${app.url}/api/ami/publish-once`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tenantId: 'EAST',
        meterCount: 2_000,
        feederCount: 4,
        batchSize: 500,
        timeZone: 'us/eastern',
        solarShare: 0.3,
        readAt: '2026-07-15T16:00:00Z',
      }),
    });
    expect(first.status).toBe(202);
    const { rows } = await db.pool.query(`select time_zone, solar_share from ami_fleets where tenant_id = 'EAST'`);
    // Stored by its canonical IANA name.
    expect(rows).toEqual([{ time_zone: 'America/New_York', solar_share: 0.3 }]);
    const { rows: solar } = await db.pool.query(
      `select count(*) filter (where pv_kw > 0)::int as solar, count(*) filter (where service_class = 'residential')::int as homes from ami_meters where tenant_id = 'EAST'`,
    );
    expect(solar[0].solar / solar[0].homes).toBeGreaterThan(0.2);
    expect(solar[0].solar / solar[0].homes).toBeLessThan(0.4);
    await db.pool.query(`delete from graphile_worker._private_jobs`);

    for (const [body, status, field] of [
      [{ tenantId: 'EAST', timeZone: 'Europe/Berlin' }, 409, 'timeZone'],
      [{ tenantId: 'EAST', solarShare: 0.05 }, 409, 'solarShare'],
      [{ tenantId: 'EAST2', timeZone: 'Mars/Olympus_Mons' }, 400, 'timeZone'],
      [{ tenantId: 'EAST2', timeZone: '+05:00' }, 400, 'timeZone'],
      [{ tenantId: 'EAST2', solarShare: 1.5 }, 400, 'solarShare'],
    ] as const) {
      const res = await fetch(`${app.url}/api/ami/publish-once`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as any;
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(answer.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    const tenants = await db.pool.query(`select count(*)::int as n from ami_fleets where tenant_id = 'EAST2'`);
    expect(tenants.rows[0].n).toBe(0);
  });

  it('writes energy received and the daylight-saving bit into the reads, and quickcheck sums them, with the tenant zone', async () => {
    await publishAll('EAST', SOLAR_NOON);
    const { rows } = await db.pool.query(
      `select count(*)::int as reads, count(*) filter (where kwh_received > 0)::int as exporting, sum(kwh_received::float8) as received,
              count(*) filter (where status & 8 = 8)::int as dst, count(*) filter (where kwh_received > 0 and m.pv_kw = 0)::int as impossible
         from meter_reads_electric r join ami_meters m using (tenant_id, meter_id)
        where r.tenant_id = 'EAST' and r.read_at = $1`,
      [SOLAR_NOON],
    );
    expect(rows[0].reads).toBe(2_000);
    expect(rows[0].exporting).toBeGreaterThan(100);
    expect(rows[0].impossible).toBe(0);
    expect(rows[0].dst).toBe(2_000); // July in New York: daylight saving
    const qc = (await (await fetch(`${app.url}/api/ami/kpi/quickcheck?tenantId=EAST&readAt=${SOLAR_NOON.toISOString()}`)).json()) as any;
    expect(qc.timeZone).toBe('America/New_York');
    expect(qc.energy.receivedKwh).toBeCloseTo(rows[0].received, 3);
    const feederSum = qc.feeders.reduce((sum: number, f: { receivedKwh: number }) => sum + f.receivedKwh, 0);
    expect(feederSum).toBeCloseTo(qc.energy.receivedKwh, 3);
    expect(
      qc.feeders.every(
        (f: { kwhDeviationNoisePct: number; reportingMeters: number }) => Math.abs(f.kwhDeviationNoisePct - 30 / Math.sqrt(f.reportingMeters)) < 0.01,
      ),
    ).toBe(true);

    await publishAll('EAST', WINTER);
    const winter = await db.pool.query(
      `select count(*) filter (where status & 8 = 8)::int as dst from meter_reads_electric where tenant_id = 'EAST' and read_at = $1`,
      [WINTER],
    );
    expect(winter.rows[0].dst).toBe(0);
  });

  it("shows each interval's outdoor temperature and received energy in the series and in GraphQL, with the zone in auto/status", async () => {
    const series = (await (await fetch(`${app.url}/api/ami/kpi/series?tenantId=EAST&hours=48`)).json()) as any;
    expect(series.timeZone).toBe('America/New_York');
    const point = series.points.find((p: { readAt: string }) => p.readAt === SOLAR_NOON.toISOString());
    const expected = temperatureC(tenantModel('EAST', { timeZone: 'America/New_York', solarShare: 0.3 }), new Date(SOLAR_NOON.getTime() - 450_000));
    expect(point.temperatureC).toBeCloseTo(Math.round(expected * 10) / 10, 1);
    expect(point.receivedKwh).toBeGreaterThan(0);

    const gql = (await (
      await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ allIntervalHistories(first: 5, condition: { tenantId: "EAST" }, orderBy: READ_AT_DESC) { nodes { readAt receivedKwh temperatureC } }
                    allTenants(condition: { tenantId: "EAST" }, first: 1) { nodes { timeZone solarShare } } }`,
        }),
      })
    ).json()) as any;
    expect(gql.errors).toBeUndefined();
    const node = gql.data.allIntervalHistories.nodes.find((n: { readAt: string }) => n.readAt === SOLAR_NOON.toISOString());
    expect(node).toEqual({ readAt: SOLAR_NOON.toISOString(), receivedKwh: point.receivedKwh, temperatureC: point.temperatureC });
    expect(gql.data.allTenants.nodes).toEqual([{ timeZone: 'America/New_York', solarShare: 0.3 }]);

    const started = await fetch(`${app.url}/api/ami/auto/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: 'EAST', meterCount: 2_000, catchUpIntervals: 0 }),
    });
    expect(((await started.json()) as any).config).toMatchObject({ timeZone: 'America/New_York', solarShare: 0.3, feederCount: 4 });
    const status = (await (await fetch(`${app.url}/api/ami/auto/status?tenantId=EAST`)).json()) as any;
    expect(status.config).toMatchObject({ timeZone: 'America/New_York', solarShare: 0.3 });
  });
});
