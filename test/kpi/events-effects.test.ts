import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import type { RequestedBy } from '../../src/db/ticks.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { eventually, getJson, postJson, startTestApp, startTestWorker, type TestApp, testDeps } from '../helpers/app.ts';

/**
 * Grid events through the real ingest (publishTick + the worker) on a fleet
 * of 5,000 meters on 5 feeders, read back through quickcheck. All times are
 * fixed; the API's clock is `clock`.
 */
const db = useTestDatabase();
const TENANT = 'GRID';
const METERS = 5000;
const FEEDERS = 5;
const MINUTE = 60_000;
const T0 = new Date('2026-11-26T10:00:00Z'); // a Thursday morning
const t = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE);
let clock = t(1);
let app: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

/** Turns automatic mode of the (registered) tenant on or off, without a catch-up job. */
async function setAuto(enabled: boolean): Promise<void> {
  await db.pool.query(
    `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals)
     select tenant_id, $2, $3, $4, 500, 15, 0 from ami_fleets where tenant_id = $1
     on conflict (tenant_id) do update set enabled = excluded.enabled`,
    [TENANT, enabled, METERS, FEEDERS],
  );
}

async function publish(readAt: Date, requestedBy: RequestedBy = 'manual'): Promise<void> {
  const config = loadConfig({ DATABASE_URL: db.url });
  // The scheduler and catch-up publish only a tenant in automatic mode: on for this one call.
  const automatic = requestedBy !== 'manual';
  if (automatic) await setAuto(true);
  const result = await publishTick(testDeps(db, { caps: config.caps }), TENANT, readAt, METERS, FEEDERS, 500, {
    requestedBy,
    onBackpressure: 'refuse',
  }).finally(() => automatic && setAuto(false));
  expect(result.outcome).toBe('enqueued');
  await eventually(async () => {
    const { rows } = await db.pool.query(`select 1 from ami_ticks where tenant_id = $1 and read_at = $2 and status = 'complete'`, [TENANT, readAt]);
    return rows[0];
  }, `the tick ${readAt.toISOString()} to complete`);
}

async function quickcheck(readAt?: Date) {
  const res = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=${TENANT}${readAt ? `&readAt=${readAt.toISOString()}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function inject(event: Record<string, unknown>): Promise<number> {
  const res = await postJson(`${app.url}/api/ami/events`, { tenantId: TENANT, ...event });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.event.id;
}

type Feeder = { feederId: number; [key: string]: any };
const byFeeder = (body: { feeders: Feeder[] }): Record<number, Feeder> => Object.fromEntries(body.feeders.map((f) => [f.feederId, f]));

beforeAll(async () => {
  app = await startTestApp(db, { clock: () => clock });
  worker = await startTestWorker(db);
});
afterAll(async () => {
  await worker?.stop();
  await app?.close();
});

let theftId: number;

describe('events reflected in the KPIs', () => {
  it('shows a clean interval before any event: every feeder near baseline, all reporting, no sag, all current', async () => {
    await publish(t(0));
    clock = t(2);
    const body = await quickcheck();
    expect(body.latestInterval).toBe(t(0).toISOString());
    expect(body.reportingSummary).toEqual({ expectedMeters: 5000, reportingMeters: 5000, missingMeters: 0, reportingRatePct: 100 });
    expect(body.staleMetersBuckets).toEqual({ current: 5000, staleOver15m: 0, staleOver1h: 0, staleOver4h: 0, staleOver24h: 0, neverReported: 0 });
    expect(body.feeders).toHaveLength(5);
    for (const feeder of body.feeders) {
      expect(feeder).toMatchObject({ expectedMeters: 1000, reportingMeters: 1000, reportingRatePct: 100, under114: 0, activeEvents: [] });
      expect(Math.abs(feeder.kwhDeviationPct)).toBeLessThan(5);
      expect(feeder.minVoltage).toBeGreaterThanOrEqual(114);
      // Voltages are read to 0.1 V and shown so (no float4 noise such as 118.0999984741211).
      expect(String(feeder.minVoltage)).toMatch(/^\d+(\.\d)?$/);
    }
    expect(String(body.voltage.min)).toMatch(/^\d+(\.\d)?$/);
    expect(String(body.voltage.max)).toMatch(/^\d+(\.\d)?$/);
    // Totals are the feeders' sums.
    const sum = body.feeders.reduce((total: number, f: Feeder) => total + f.totalKwh, 0);
    expect(body.energy.totalKwh).toBeCloseTo(sum, 3);
    expect(body.energy.meanKwh).toBeCloseTo(body.energy.totalKwh / 5000, 4);
    expect(body.voltage.under114).toBe(0);
  });

  it('shows theft, an outage and a sag each on its own feeder from their first interval, and at once in activeEvents', async () => {
    clock = t(5);
    theftId = await inject({ feederId: 1, type: 'theft', severity: 0.5 });
    await inject({ feederId: 2, type: 'comms-outage', severity: 0.8 });
    await inject({ feederId: 3, type: 'voltage-sag', severity: 0.9 });

    // Before the next interval is published, the events show as in force, not yet in the figures.
    clock = t(6);
    const early = await quickcheck();
    expect(early.latestInterval).toBe(t(0).toISOString());
    expect(
      early.activeEvents.map((e: { feederId: number; affectsInterval: boolean; activeNow: boolean }) => [e.feederId, e.affectsInterval, e.activeNow]),
    ).toEqual([
      [1, false, true],
      [2, false, true],
      [3, false, true],
    ]);
    expect(byFeeder(early)[1]!.activeEvents).toHaveLength(1);

    await publish(t(15));
    clock = t(16);
    const body = await quickcheck();
    expect(body.latestInterval).toBe(t(15).toISOString());
    const feeders = byFeeder(body);

    // Theft 0.5: kWh about half of the load model on feeder 1 only.
    expect(feeders[1]!.kwhDeviationPct).toBeGreaterThanOrEqual(-55);
    expect(feeders[1]!.kwhDeviationPct).toBeLessThanOrEqual(-45);
    for (const id of [2, 3, 4, 5]) expect(Math.abs(feeders[id]!.kwhDeviationPct), `feeder ${id}`).toBeLessThanOrEqual(5);

    // Outage 0.8: about 20 % of feeder 2 reports; its dark meters are stale; elsewhere all report.
    expect(feeders[2]!.reportingRatePct).toBeGreaterThanOrEqual(15);
    expect(feeders[2]!.reportingRatePct).toBeLessThanOrEqual(25);
    for (const id of [1, 3, 4, 5]) {
      expect(feeders[id]!.reportingRatePct, `feeder ${id}`).toBe(100);
      expect(feeders[id]!.staleMeters, `feeder ${id}`).toBe(0);
    }
    expect(feeders[2]!.staleMeters).toBe(feeders[2]!.missingMeters);
    expect(body.staleMetersBuckets).toEqual({
      current: body.reportingSummary.reportingMeters,
      staleOver15m: feeders[2]!.missingMeters,
      staleOver1h: 0,
      staleOver4h: 0,
      staleOver24h: 0,
      neverReported: 0,
    });
    expect(body.reportingSummary.missingMeters).toBe(feeders[2]!.missingMeters);

    // Sag 0.9: every reporting meter of feeder 3 under 114 V, none elsewhere.
    expect(feeders[3]!.under114).toBe(feeders[3]!.reportingMeters);
    expect(feeders[3]!.under114).toBe(1000);
    expect(feeders[3]!.minVoltage).toBeLessThan(114);
    for (const id of [1, 2, 4, 5]) expect(feeders[id]!.under114, `feeder ${id}`).toBe(0);
    expect(body.voltage.under114).toBe(1000);

    expect(body.activeEvents.map((e: { feederId: number; type: string; affectsInterval: boolean }) => [e.feederId, e.type, e.affectsInterval])).toEqual([
      [1, 'theft', true],
      [2, 'comms-outage', true],
      [3, 'voltage-sag', true],
    ]);
    expect(feeders[4]!.activeEvents).toEqual([]);
  });

  it('stops applying an event ended early to later intervals, and keeps an outage dark meters aging', async () => {
    clock = t(20);
    const ended = await postJson(`${app.url}/api/ami/events/${theftId}/end`, {});
    expect(ended.status).toBe(200);
    expect(ended.body.event.endsAt).toBe(t(20).toISOString());

    await publish(t(30));
    clock = t(31);
    const body = await quickcheck();
    const feeders = byFeeder(body);
    expect(Math.abs(feeders[1]!.kwhDeviationPct)).toBeLessThanOrEqual(5);
    // The ended theft affected neither the interval nor now: it is gone from activeEvents.
    expect(body.activeEvents.map((e: { type: string }) => e.type)).toEqual(['comms-outage', 'voltage-sag']);
    // The interval it did affect still shows it.
    const then = await quickcheck(t(15));
    expect(byFeeder(then)[1]!.kwhDeviationPct).toBeLessThanOrEqual(-45);
    expect(then.activeEvents.map((e: { type: string }) => e.type)).toEqual(['theft', 'comms-outage', 'voltage-sag']);

    // The same meters stay dark for the whole outage: last read at 10:00, now 75 minutes old.
    await publish(t(75));
    const aged = await quickcheck();
    expect(aged.latestInterval).toBe(t(75).toISOString());
    expect(aged.staleMetersBuckets.staleOver1h).toBe(byFeeder(aged)[2]!.missingMeters);
    expect(aged.staleMetersBuckets.staleOver15m).toBe(0);
  });

  it('applies an event of the past to a catch-up of that past interval, and only to it', async () => {
    clock = t(80);
    // A sag on feeder 4 from 09:00 to 09:30, injected after the fact; 09:15 was never published.
    await inject({ feederId: 4, type: 'voltage-sag', severity: 0.5, startsAt: t(-60).toISOString(), endsAt: t(-30).toISOString() });
    await publish(t(-45), 'catch-up');

    const past = await quickcheck(t(-45));
    expect(past.latestInterval).toBe(t(-45).toISOString());
    const feeders = byFeeder(past);
    expect(feeders[4]!.under114).toBe(feeders[4]!.reportingMeters);
    expect(feeders[4]!.reportingMeters).toBe(1000);
    for (const id of [1, 2, 3, 5]) expect(feeders[id]!.under114, `feeder ${id}`).toBe(0);
    // Before the other events started: nothing else shows in that interval.
    expect(Math.abs(feeders[1]!.kwhDeviationPct)).toBeLessThanOrEqual(5);
    expect(feeders[2]!.reportingRatePct).toBe(100);
    expect(past.activeEvents.map((e: { type: string; feederId: number }) => [e.feederId, e.type])).toEqual([[4, 'voltage-sag']]);

    // The newest interval is unaffected by the past sag.
    const latest = await quickcheck();
    expect(latest.latestInterval).toBe(t(75).toISOString());
    expect(byFeeder(latest)[4]!.under114).toBe(0);
  });
});
