import { describe, expect, it } from 'vitest';
import { TASKS } from '../../src/db/queue.ts';
import { getAlignedIntervalTimestamp } from '../../src/emulator/index.ts';
import { eventually, getJson, postJson, useTestApp } from '../helpers/app.ts';

const { db, app } = useTestApp({ worker: true });

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.pool.query(sql, params);
  return Number(rows[0].n);
}

/** Jobs in the queue other than the crontab's tasks (the worker's per-minute sweep comes and goes meanwhile). */
const CRON_TASKS = [TASKS.tick, TASKS.prune, TASKS.collect];
const jobsNotCron = () => count(`select count(*) as n from graphile_worker.jobs where task_identifier <> all($1)`, [CRON_TASKS]);
const batchJobs = () => count(`select count(*) as n from graphile_worker.jobs where task_identifier = 'ami_publish_batch'`);

describe('POST /api/ami/publish-once', () => {
  it('publishes 25,000 meters as exactly 25,000 reads at one aligned read_at, completes the ledger and empties the queue', async () => {
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'DEMO_TENANT', meterCount: 25_000, feederCount: 25, batchSize: 500 });
    expect(res.status).toBe(202);
    const current = getAlignedIntervalTimestamp(15, new Date());
    expect(res.body).toMatchObject({ ok: true, tenantId: 'DEMO_TENANT', jobs: 50, alreadyPublished: false });
    // The interval is the boundary at or before the call (a boundary may pass during the test).
    const readAt = new Date(res.body.readAt);
    expect(current.getTime() - readAt.getTime()).toBeLessThanOrEqual(15 * 60_000);
    expect(readAt.getTime() % (15 * 60_000)).toBe(0);

    const tick = await eventually(async () => {
      const { rows } = await db.pool.query(`select * from ami_ticks where tenant_id = 'DEMO_TENANT' and read_at = $1 and status = 'complete'`, [readAt]);
      return rows[0];
    }, 'the tick to complete');
    expect(tick).toMatchObject({ requested_by: 'manual', batch_count: 50, batches_done: 50, rows_written: 25_000, jobs_enqueued: 50 });

    const { rows } = await db.pool.query(
      `select count(*)::int as reads, count(distinct meter_id)::int as meters, count(distinct read_at)::int as intervals,
              min(read_at) as read_at, count(distinct feeder_id)::int as feeders
         from meter_reads_electric where tenant_id = 'DEMO_TENANT'`,
    );
    expect(rows[0]).toEqual({ reads: 25_000, meters: 25_000, intervals: 1, read_at: readAt, feeders: 25 });
    expect(await count(`select count(*) as n from ami_meter_last_reads where tenant_id = 'DEMO_TENANT' and last_read_at = $1`, [readAt])).toBe(25_000);
    expect(await batchJobs()).toBe(0);
  });

  it('publishing the same interval again adds no row and no job', async () => {
    const first = await db.pool.query(`select read_at from ami_ticks where tenant_id = 'DEMO_TENANT'`);
    const readAt: Date = first.rows[0].read_at;
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'DEMO_TENANT', readAt: readAt.toISOString() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, jobs: 0, alreadyPublished: true, tick: { status: 'complete', rowsWritten: 25_000 } });
    expect(await batchJobs()).toBe(0);
    expect(await count(`select count(*) as n from meter_reads_electric where tenant_id = 'DEMO_TENANT'`)).toBe(25_000);
    expect(await count(`select count(*) as n from ami_ticks`)).toBe(1);
  });

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const before = await Promise.all([
      count('select count(*) as n from ami_ticks'),
      count('select count(*) as n from ami_fleets'),
      jobsNotCron(),
      count('select count(*) as n from meter_reads_electric'),
    ]);
    const future = new Date(getAlignedIntervalTimestamp(15, new Date()).getTime() + 30 * 60_000);
    const cases: Array<[unknown, string, RegExp]> = [
      [{ tenantId: 'T_BAD', batchSize: 501 }, 'batchSize', /at most 500.*maxBatchSize/],
      [{ tenantId: 'T_BAD', meterCount: 25_001 }, 'meterCount', /at most 25000.*maxMeterCount/],
      [{ tenantId: 'T_BAD', meterCount: 25_000, batchSize: 100 }, 'batchSize', /250 jobs per tick.*cap of 50/],
      [{ tenantId: 'T_BAD', intervalMinutes: 7 }, 'intervalMinutes', /15, 30, 60/],
      [{ tenantId: 'T_BAD', readAt: '2026-11-27T10:07:00Z' }, 'readAt', /boundary/],
      [{ tenantId: 'T_BAD', readAt: '2026-11-27T10:15:00.001Z' }, 'readAt', /boundary/],
      [{ tenantId: 'T_BAD', readAt: future.toISOString() }, 'readAt', /future/],
      [{ tenantId: 'T_BAD', readAt: 'yesterday' }, 'readAt', /ISO 8601/],
      [{ tenantId: 'T_BAD', intervalMinutes: 30, readAt: '2026-11-27T10:15:00Z' }, 'readAt', /30-minute boundary \(UTC\), e.g. 10:00, 10:30$/],
      [{ tenantId: 'T_BAD', colour: 'blue' }, 'colour', /unknown field/],
      [{ tenantId: 'bad tenant!' }, 'tenantId', /letters, digits/],
      [{ tenantId: "x'; drop table meter_reads_electric; --" }, 'tenantId', /letters, digits/],
      [{ meterCount: 10 }, 'tenantId', /./],
      [{ tenantId: 'T_BAD', meterCount: 0 }, 'meterCount', /at least 1/],
      [{ tenantId: 'T_BAD', meterCount: 10.5 }, 'meterCount', /whole number/],
      [{ tenantId: 'T_BAD', meterCount: '100' }, 'meterCount', /whole number/],
      [{ tenantId: 'T_BAD', meterCount: 10, feederCount: 11, batchSize: 10 }, 'feederCount', /at most meterCount/],
      [[1, 2, 3], '(body)', /object/],
    ];
    for (const [body, field, message] of cases) {
      const res = await postJson(`${app.url}/api/ami/publish-once`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.ok).toBe(false);
      expect(res.body.error.code).toBe('VALIDATION');
      const named = res.body.error.fields.find((f: { field: string }) => f.field === field);
      expect(named, `${JSON.stringify(body)} -> ${JSON.stringify(res.body.error.fields)}`).toBeDefined();
      expect(named.message).toMatch(message);
    }
    const malformed = await postJson(`${app.url}/api/ami/publish-once`, '{"tenantId": "T_BAD",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION');

    const after = await Promise.all([
      count('select count(*) as n from ami_ticks'),
      count('select count(*) as n from ami_fleets'),
      jobsNotCron(),
      count('select count(*) as n from meter_reads_electric'),
    ]);
    expect(after).toEqual(before);
  });

  it('refuses a different feederCount for a registered tenant with 409, writing nothing', async () => {
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'DEMO_TENANT', feederCount: 30 });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'CONFLICT', fields: [{ field: 'feederCount' }] });
    expect(await count(`select count(*) as n from ami_ticks where tenant_id = 'DEMO_TENANT'`)).toBe(1);
  });
});

describe('GET /api/ami/scale/status', () => {
  it('reports the caps, concurrency, queue depth, throughput of the ledger and row counts', async () => {
    const res = await getJson(`${app.url}/api/ami/scale/status`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      caps: { maxBatchSize: 500, maxMeterCount: 25_000, maxJobsPerTick: 50, maxQueueDepth: 500 },
      workerConcurrency: 8,
      queueDepth: { ami_publish_batch: { waiting: 0, delayed: 0, running: 0 } },
      throughput: { ticks: 1 },
      rows: { tenants: 1, meters: 25_000, ticks: 1 },
    });
    expect(res.body.throughput.readsPerSecond).toBeGreaterThan(0);
    // One tick measured: its median, p95 and max are its own duration in the ledger.
    const { rows } = await db.pool.query(`select (extract(epoch from completed_at - enqueued_at) * 1000)::int as ms from ami_ticks`);
    expect(res.body.throughput.enqueueToCompleteMs).toEqual({ p50: rows[0].ms, p95: rows[0].ms, max: rows[0].ms });
  });
});

// After the status checks above, which count the tenants and ticks of this file.
describe('instants and interval lengths of publish-once', () => {
  it('takes instants without seconds, refuses one a microsecond off a boundary, and records the interval length of each tick', async () => {
    const noSeconds = await postJson(`${app.url}/api/ami/publish-once`, {
      tenantId: 'SHAPES',
      meterCount: 100,
      feederCount: 2,
      batchSize: 50,
      readAt: '2026-11-27T10:15Z',
    });
    expect(noSeconds.status).toBe(202);
    expect(noSeconds.body).toMatchObject({ readAt: '2026-11-27T10:15:00.000Z', tick: { intervalMinutes: 15 } });
    const before = await count('select count(*) as n from ami_ticks');
    const micro = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'SHAPES', readAt: '2026-11-27T10:30:00.000001Z' });
    expect(micro.status).toBe(400);
    expect(micro.body.error.fields).toEqual([{ field: 'readAt', message: expect.stringMatching(/finer than a millisecond/) }]);
    expect(await count('select count(*) as n from ami_ticks')).toBe(before);
  });

  it("refuses a publish-once of another interval length than the tenant's with 409 (its energy would not add up), writing nothing", async () => {
    const before = await count('select count(*) as n from ami_ticks');
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'SHAPES', intervalMinutes: 60, readAt: '2026-11-27T11:00:00Z' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'CONFLICT',
      fields: [{ field: 'intervalMinutes', message: expect.stringMatching(/^must be 15 for this tenant/) }],
    });
    expect(await count('select count(*) as n from ami_ticks')).toBe(before);
    expect(await count(`select count(*) as n from meter_reads_electric where tenant_id = 'SHAPES' and read_at = '2026-11-27T11:00:00Z'`)).toBe(0);
  });
});
