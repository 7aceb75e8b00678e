import { describe, expect, it } from 'vitest';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { useTestApp } from '../helpers/app.ts';
import { testClock } from '../helpers/clock.ts';

/**
 * Quickcheck of a past interval (readAt=): measured against the fleet that
 * interval was published for, and with the stale buckets of that time, found
 * without searching the whole history (a gap of days answers at once).
 */
const clock = testClock('2026-11-30T12:00:00Z');
const { db, app, deps } = useTestApp({ clock });

/** Publishes one interval and lands every batch in this process, as the worker would. */
async function publish(tenantId: string, readAt: Date, meterCount: number): Promise<void> {
  const result = await publishTick(deps, tenantId, readAt, meterCount, 2, 100, { requestedBy: 'manual', onBackpressure: 'refuse' });
  expect(result.outcome).toBe('enqueued');
  const { rows } = await db.pool.query(`select payload from graphile_worker._private_jobs where key like $1`, [
    `ami_publish_batch:${tenantId}:${readAt.toISOString()}:%`,
  ]);
  for (const { payload } of rows) await publishBatch(deps, payload);
  await db.pool.query(`delete from graphile_worker._private_jobs where key like $1`, [`ami_publish_batch:${tenantId}:%`]);
}

async function quickcheck(tenantId: string, readAt: Date) {
  const res = await fetch(`${app.url}/api/ami/kpi/quickcheck?tenantId=${tenantId}&readAt=${readAt.toISOString()}`);
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('quickcheck of a past interval', () => {
  it('measures it against the fleet its tick was published for, not the fleet of today', async () => {
    const before = new Date('2026-11-30T08:00:00Z');
    const after = new Date('2026-11-30T08:15:00Z');
    await publish('GROWN', before, 100);
    await publish('GROWN', after, 200);
    const past = await quickcheck('GROWN', before);
    expect(past.reportingSummary).toEqual({ expectedMeters: 100, reportingMeters: 100, missingMeters: 0, reportingRatePct: 100 });
    expect(past.staleMetersBuckets).toMatchObject({ current: 100, staleOver15m: 0, neverReported: 0 });
    expect(past.feeders.map((f: { expectedMeters: number }) => f.expectedMeters)).toEqual([50, 50]);
    const latest = await quickcheck('GROWN', after);
    expect(latest.reportingSummary).toEqual({ expectedMeters: 200, reportingMeters: 200, missingMeters: 0, reportingRatePct: 100 });
  });

  it('answers an interval inside a two-day gap with every meter stale by its last read before the gap, and the meters added since as never reported', async () => {
    const lastBeforeGap = new Date('2026-11-27T23:45:00Z');
    for (let i = 3; i >= 0; i--) await publish('GAP', new Date(lastBeforeGap.getTime() - i * 900_000), 400);
    // Two days later the fleet comes back, grown by 50 meters.
    await publish('GAP', new Date('2026-11-30T00:00:00Z'), 450);

    const twoHoursIn = await quickcheck('GAP', new Date('2026-11-28T01:45:00Z'));
    expect(twoHoursIn.reportingSummary).toMatchObject({ reportingMeters: 0, expectedMeters: 450 });
    expect(twoHoursIn.staleMetersBuckets).toEqual({ current: 0, staleOver15m: 0, staleOver1h: 400, staleOver4h: 0, staleOver24h: 0, neverReported: 50 });

    const dayIn = await quickcheck('GAP', new Date('2026-11-29T00:00:00Z'));
    expect(dayIn.staleMetersBuckets).toEqual({ current: 0, staleOver15m: 0, staleOver1h: 0, staleOver4h: 0, staleOver24h: 400, neverReported: 50 });
    const feeders = dayIn.feeders.map((f: { feederId: number; staleMeters: number; neverReported: number }) => [f.feederId, f.staleMeters, f.neverReported]);
    expect(feeders).toEqual([
      [1, 200, 25],
      [2, 200, 25],
    ]);
  });
});
