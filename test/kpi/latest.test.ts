import { describe, expect, it } from 'vitest';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { getJson, testDeps, useTestApp } from '../helpers/app.ts';

// Ticks are enqueued for real, but no worker runs: the test lands their
// batches itself, one at a time, to look at the KPIs between two batches.
const TENANT = 'LATEST';
const A = new Date('2026-11-28T09:00:00Z');
const B = new Date('2026-11-28T09:15:00Z');
const C = new Date('2026-11-28T09:30:00Z');
const { db, app } = useTestApp({ clock: () => new Date('2026-11-28T09:40:00Z') });

const deps = () => testDeps(db);

async function enqueue(readAt: Date, meterCount: number): Promise<void> {
  const result = await publishTick(deps(), TENANT, readAt, meterCount, 4, 100, { requestedBy: 'manual', onBackpressure: 'refuse' });
  expect(result.outcome).toBe('enqueued');
}

/** Runs batch `index` of the tick at `readAt` with the payload publishTick queued for it, as the worker would. */
async function land(readAt: Date, index: number): Promise<void> {
  const { rows } = await db.pool.query(
    `select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'ami_publish_batch' and j.payload->>'tenantId' = $1 and (j.payload->>'readAt')::timestamptz = $2 and (j.payload->>'batchIndex')::int = $3`,
    [TENANT, readAt, index],
  );
  expect(rows).toHaveLength(1);
  await publishBatch(deps(), rows[0].payload);
}

async function quickcheck() {
  const res = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=${TENANT}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe('the latest interval', () => {
  it('is the newest interval fully published: one whose batches are still landing does not show as an outage', async () => {
    await enqueue(A, 200);
    await land(A, 0);
    await land(A, 1);
    await enqueue(B, 200);
    await land(B, 0); // half of B has landed; its tick is still enqueued

    const during = await quickcheck();
    expect(during.latestInterval).toBe(A.toISOString());
    expect(during.reportingSummary).toMatchObject({ expectedMeters: 200, reportingMeters: 200, reportingRatePct: 100 });
    expect(during.staleMetersBuckets).toMatchObject({ current: 200, staleOver15m: 0 });
    const view = await db.pool.query('select read_at, reporting_rate_pct from ami_kpi.latest_interval_kpis where tenant_id = $1', [TENANT]);
    expect(view.rows).toEqual([{ read_at: A, reporting_rate_pct: 100 }]);
    const series = await getJson(`${app.url}/api/ami/kpi/series?tenantId=${TENANT}`);
    expect(series.body.to).toBe(A.toISOString());
    expect(series.body.points.map((p: { readAt: string }) => p.readAt)).toEqual([A.toISOString()]);

    await land(B, 1); // B complete
    const after = await quickcheck();
    expect(after.latestInterval).toBe(B.toISOString());
    expect(after.reportingSummary).toMatchObject({ reportingMeters: 200, reportingRatePct: 100 });
  });

  it('measures each past interval against the fleet it was published for, after the fleet shrinks', async () => {
    await enqueue(C, 150); // the fleet shrinks to 150 meters
    await land(C, 0);
    await land(C, 1);
    const series = await getJson(`${app.url}/api/ami/kpi/series?tenantId=${TENANT}`);
    expect(series.body.to).toBe(C.toISOString());
    expect(
      series.body.points.map((p: { readAt: string; expectedMeters: number; reportingMeters: number; reportingRatePct: number }) => [
        p.readAt,
        p.expectedMeters,
        p.reportingMeters,
        p.reportingRatePct,
      ]),
    ).toEqual([
      [A.toISOString(), 200, 200, 100],
      [B.toISOString(), 200, 200, 100],
      [C.toISOString(), 150, 150, 100],
    ]);
    const history = await db.pool.query(
      'select read_at, fleet_meters, reporting_rate_pct from ami_kpi.interval_history where tenant_id = $1 order by read_at',
      [TENANT],
    );
    expect(history.rows).toEqual([
      { read_at: A, fleet_meters: 200, reporting_rate_pct: 100 },
      { read_at: B, fleet_meters: 200, reporting_rate_pct: 100 },
      { read_at: C, fleet_meters: 150, reporting_rate_pct: 100 },
    ]);
  });
});
