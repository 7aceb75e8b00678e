import { describe, expect, it } from 'vitest';
import { startAuto } from '../../src/auto/autoMode.ts';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import type { BatchPayload } from '../../src/ingest/payloads.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { postJson, testDeps, useTestApp } from '../helpers/app.ts';

const deps = () => testDeps(db);
const { db, app } = useTestApp();

/** Runs the queued batch jobs of one interval in this process, as a worker would. */
async function runBatches(tenantId: string, readAt: Date): Promise<number> {
  const { rows } = await db.pool.query<{ payload: BatchPayload }>(`select payload from graphile_worker._private_jobs where key like $1 order by id`, [
    `ami_publish_batch:${tenantId}:${readAt.toISOString()}:%`,
  ]);
  for (const { payload } of rows) await publishBatch(deps(), payload);
  await db.pool.query(`delete from graphile_worker._private_jobs where key like $1`, [`ami_publish_batch:${tenantId}:${readAt.toISOString()}:%`]);
  return rows.length;
}

async function tickAndReads(tenantId: string, readAt: Date) {
  const { rows } = await db.pool.query(
    `select t.status, t.meter_count, t.batch_count, t.batches_done, t.rows_written,
            (select count(*)::int from meter_reads_electric r where r.tenant_id = t.tenant_id and r.read_at = t.read_at) as reads,
            (select count(distinct meter_id)::int from meter_reads_electric r where r.tenant_id = t.tenant_id and r.read_at = t.read_at) as meters
       from ami_ticks t where t.tenant_id = $1 and t.read_at = $2`,
    [tenantId, readAt],
  );
  return rows[0];
}

async function fleet(tenantId: string) {
  const { rows } = await db.pool.query(
    `select f.meter_count, f.feeder_count, (select count(*)::int from ami_meters m where m.tenant_id = f.tenant_id and m.active) as active
       from ami_fleets f where f.tenant_id = $1`,
    [tenantId],
  );
  return rows[0];
}

describe('fleet resize while an interval is in flight', () => {
  it('the batches of a 1,000-meter tick write all 1,000 meters after a 100-meter publish of another interval shrank the fleet', async () => {
    const inFlight = new Date('2026-01-01T10:15:00Z');
    const other = new Date('2026-01-01T10:00:00Z');
    const first = await publishTick(deps(), 'SHRINK', inFlight, 1_000, 5, 500, { requestedBy: 'manual', onBackpressure: 'refuse' });
    expect(first.outcome).toBe('enqueued');
    // Before its batches run, an operator publishes another interval with a smaller fleet.
    const second = await publishTick(deps(), 'SHRINK', other, 100, 5, 100, { requestedBy: 'manual', onBackpressure: 'refuse' });
    expect(second.outcome).toBe('enqueued');
    expect(await fleet('SHRINK')).toEqual({ meter_count: 100, feeder_count: 5, active: 100 });

    expect(await runBatches('SHRINK', inFlight)).toBe(2);
    expect(await tickAndReads('SHRINK', inFlight)).toEqual({
      status: 'complete',
      meter_count: 1_000,
      batch_count: 2,
      batches_done: 2,
      rows_written: 1_000,
      reads: 1_000,
      meters: 1_000,
    });
    // The smaller interval gets its own 100 meters, no more.
    expect(await runBatches('SHRINK', other)).toBe(1);
    expect(await tickAndReads('SHRINK', other)).toMatchObject({ status: 'complete', rows_written: 100, reads: 100, meters: 100 });
  });
});

describe('publish-once defaults for a registered tenant', () => {
  it('without meterCount, feederCount or batchSize, a tenant in auto mode is published with its own fleet and batch size, not resized to 25,000', async () => {
    await startAuto(deps(), { tenantId: 'AUTO_FLEET', meterCount: 1_000, feederCount: 25, batchSize: 250, intervalMinutes: 15, catchUpIntervals: 0 });
    const readAt = '2026-01-01T09:00:00.000Z';
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'AUTO_FLEET', readAt });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ ok: true, jobs: 4, tick: { meterCount: 1_000, feederCount: 25, batchSize: 250 } });
    expect(await fleet('AUTO_FLEET')).toEqual({ meter_count: 1_000, feeder_count: 25, active: 1_000 });
  });

  it('a tenant registered by hand (no auto mode) keeps its meterCount and feederCount; batchSize falls back to 500', async () => {
    const first = await postJson(`${app.url}/api/ami/publish-once`, {
      tenantId: 'HAND',
      meterCount: 1_200,
      feederCount: 3,
      batchSize: 100,
      readAt: '2026-01-01T09:00:00Z',
    });
    expect(first.status).toBe(202);
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'HAND', readAt: '2026-01-01T09:15:00Z' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ jobs: 3, tick: { meterCount: 1_200, feederCount: 3, batchSize: 500 } });
    expect(await fleet('HAND')).toEqual({ meter_count: 1_200, feeder_count: 3, active: 1_200 });
  });

  it('an unknown tenant still gets the contract defaults, and the caps apply to the effective values', async () => {
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'FRESH', readAt: '2026-01-01T09:00:00Z' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ jobs: 50, tick: { meterCount: 25_000, feederCount: 25, batchSize: 500 } });
    await db.pool.query(`delete from graphile_worker._private_jobs where key like 'ami_publish_batch:FRESH:%'`);

    // HAND has 1,200 meters: batches of 20 would be 60 jobs, above the cap of 50.
    const capped = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'HAND', batchSize: 20, readAt: '2026-01-01T09:30:00Z' });
    expect(capped.status).toBe(400);
    expect(capped.body.error.fields).toEqual([{ field: 'batchSize', message: expect.stringMatching(/60 jobs per tick.*cap of 50/) }]);
    // A registered auto tenant's intervalMinutes is the default the readAt is checked against.
    await startAuto(deps(), { tenantId: 'HOURLY', meterCount: 100, feederCount: 2, batchSize: 50, intervalMinutes: 60, catchUpIntervals: 0 });
    const misaligned = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'HOURLY', readAt: '2026-01-01T09:15:00Z' });
    expect(misaligned.status).toBe(400);
    expect(misaligned.body.error.fields).toEqual([{ field: 'readAt', message: expect.stringMatching(/60-minute boundary/) }]);
    expect(await fleet('HAND')).toEqual({ meter_count: 1_200, feeder_count: 3, active: 1_200 });
  });
});
