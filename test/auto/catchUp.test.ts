import type { WorkerHandle as Runner } from '../../src/worker/runner.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { startAuto } from '../../src/auto/autoMode.ts';
import { loadConfig } from '../../src/config.ts';
import { startWorker } from '../../src/worker/runner.ts';
import { eventually, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
// The real crontab must not fire during these simulated-time tests.
const env = { AMI_TICK_CRON: '0 0 1 1 *' };
const runners: Runner[] = [];
afterAll(async () => {
  for (const runner of runners) await runner.stop();
});

async function worker(clock: () => Date): Promise<Runner> {
  const runner = await startWorker({ pool: db.pool, config: loadConfig({ DATABASE_URL: db.url, ...env }), logger: db.logger, clock, connectionString: db.url });
  runners.push(runner);
  return runner;
}

const at = (iso: string) => new Date(iso);
/** The domain's deps with the clock set at `now`. */
const deps = (now: Date) => testDeps(db, { env, clock: () => now });

async function ticks(tenantId: string) {
  const { rows } = await db.pool.query(`select read_at, status, requested_by, rows_written, enqueued_at from ami_ticks where tenant_id = $1 order by read_at`, [
    tenantId,
  ]);
  return rows as Array<{ read_at: Date; status: string; requested_by: string; rows_written: number; enqueued_at: Date }>;
}

async function allComplete(tenantId: string, count: number) {
  const rows = await ticks(tenantId);
  return rows.length === count && rows.every((t) => t.status === 'complete') ? rows : undefined;
}

describe('catch-up', () => {
  it('on auto start, publishes the last catchUpIntervals intervals up to the current one', async () => {
    const first = await worker(() => at('2026-11-28T10:07:00Z'));
    await startAuto(deps(at('2026-11-28T10:07:00Z')), {
      tenantId: 'CU',
      meterCount: 2_000,
      feederCount: 4,
      batchSize: 500,
      intervalMinutes: 15,
      catchUpIntervals: 4,
    });
    const rows = await eventually(() => allComplete('CU', 4), 'four complete intervals');
    expect(rows.map((t) => t.read_at.toISOString())).toEqual([
      '2026-11-28T09:15:00.000Z',
      '2026-11-28T09:30:00.000Z',
      '2026-11-28T09:45:00.000Z',
      '2026-11-28T10:00:00.000Z',
    ]);
    expect(rows.every((t) => t.requested_by === 'catch-up' && t.rows_written === 2_000)).toBe(true);
    await first.stop();
    runners.splice(runners.indexOf(first), 1);
  });

  it('after the workers were down for three intervals, one new worker publishes exactly the missing ones, oldest first, each whole', async () => {
    // Simulated time: the worker comes back at 10:50, three boundaries later; the
    // clock moves a millisecond per reading, as time passes between the ledger's writes.
    let readings = 0;
    await worker(() => new Date(at('2026-11-28T10:50:00Z').getTime() + readings++));
    const rows = await eventually(() => allComplete('CU', 7), 'seven complete intervals');
    const caughtUp = rows.slice(4);
    expect(caughtUp.map((t) => t.read_at.toISOString())).toEqual(['2026-11-28T10:15:00.000Z', '2026-11-28T10:30:00.000Z', '2026-11-28T10:45:00.000Z']);
    // Oldest first: each was enqueued after the one before it.
    expect(caughtUp[0]!.enqueued_at < caughtUp[1]!.enqueued_at && caughtUp[1]!.enqueued_at < caughtUp[2]!.enqueued_at).toBe(true);
    const { rows: reads } = await db.pool.query(
      `select read_at, count(*)::int as n, count(distinct meter_id)::int as meters from meter_reads_electric
        where tenant_id = 'CU' group by read_at order by read_at`,
    );
    expect(reads).toHaveLength(7);
    expect(reads.every((r: { n: number; meters: number }) => r.n === 2_000 && r.meters === 2_000)).toBe(true);
  });

  it('completes an interval a dead worker left half written, filling only the missing batches', async () => {
    // A tick whose ledger says enqueued, with 2 of its 4 batches landed and no job left in the queue:
    // what a worker killed mid-tick leaves once its locks are gone.
    await db.pool.query(
      `insert into ami_ticks (tenant_id, read_at, requested_by, status, meter_count, feeder_count, batch_size, batch_count, attempts, jobs_enqueued, enqueued_at)
       values ('CU', '2026-11-28T11:00:00Z', 'cron', 'enqueued', 2000, 4, 500, 4, 1, 4, now())`,
    );
    const { publishBatch } = await import('../../src/ingest/publishBatch.ts');
    for (const batchIndex of [0, 2]) {
      await publishBatch(testDeps(db), {
        tenantId: 'CU',
        readAt: '2026-11-28T11:00:00.000Z',
        batchIndex,
        firstMeterId: batchIndex * 500 + 1,
        lastMeterId: batchIndex * 500 + 500,
        intervalMinutes: 15,
      });
    }
    const { catchUp } = await import('../../src/auto/catchUp.ts');
    const result = await catchUp(deps(at('2026-11-28T11:05:00Z')), 'CU');
    expect(result.published.map((d) => d.toISOString())).toEqual(['2026-11-28T11:00:00.000Z']);
    const { rows: jobs } = await db.pool.query(`select key from graphile_worker.jobs where task_identifier = 'ami_publish_batch' order by key`);
    // Only the two batches that never landed were queued again (or already ran).
    expect(jobs.every((j: { key: string }) => /:(1|3)$/.test(j.key))).toBe(true);
    const done = await eventually(async () => {
      const { rows } = await db.pool.query(
        `select status, batches_done, rows_written, jobs_enqueued from ami_ticks where tenant_id = 'CU' and read_at = '2026-11-28T11:00:00Z'`,
      );
      return rows[0].status === 'complete' ? rows[0] : undefined;
    }, 'the half-written interval to complete');
    expect(done).toEqual({ status: 'complete', batches_done: 4, rows_written: 2_000, jobs_enqueued: 6 });
  });

  it('proceeds in waves when the backlog is larger than the backpressure limit, never queueing more than 500 batch jobs', async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    const { catchUp } = await import('../../src/auto/catchUp.ts');
    const now = at('2026-11-28T10:50:00Z');
    // 20 intervals x 50 jobs = 1,000 jobs wanted, twice the limit. No worker runs yet,
    // so the first wave stops exactly at the limit.
    await startAuto(deps(now), { tenantId: 'WAVES', meterCount: 5_000, feederCount: 5, batchSize: 100, intervalMinutes: 15, catchUpIntervals: 20 });
    const firstWave = await catchUp(deps(now), 'WAVES');
    expect(firstWave.published).toHaveLength(10);
    expect(firstWave.deferred).toBe(true);
    expect(firstWave.published[0]!.toISOString()).toBe('2026-11-28T06:00:00.000Z'); // 10:45 - 19 x 15 min

    const depth = async () => {
      const { rows } = await db.pool.query(
        `select count(*)::int as n from graphile_worker.jobs
          where task_identifier = 'ami_publish_batch' and locked_at is null and attempts < max_attempts`,
      );
      return rows[0].n as number;
    };
    expect(await depth()).toBe(500);
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxDepth = Math.max(maxDepth, await depth());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await worker(() => now);
    const rows = await eventually(() => allComplete('WAVES', 20), 'twenty complete intervals', 120_000);
    sampling = false;
    await sampler;
    expect(rows.every((t) => t.rows_written === 5_000)).toBe(true);
    expect(maxDepth).toBeLessThanOrEqual(500);
    // The ledger proves it for every decision: depth seen + jobs added never passed the limit.
    const { rows: decisions } = await db.pool.query(
      `select max(queue_depth_at_request + jobs_enqueued)::int as worst, count(*)::int as n from ami_ticks where tenant_id = 'WAVES'`,
    );
    expect(decisions[0]).toEqual({ worst: 500, n: 20 });
  }, 150_000);

  it('never publishes an interval older than the retention keeps (it would be deleted within the hour)', async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    const { catchUp } = await import('../../src/auto/catchUp.ts');
    const now = at('2026-11-28T12:07:00Z');
    // A week of catch-up asked, two days of reads kept: the intervals before 2026-11-26T12:07 are left alone.
    const kept = (n: Date) =>
      testDeps(db, { env: { ...env, AMI_RETENTION_DAYS: '2', AMI_MAX_QUEUE_DEPTH: '100000', AMI_MAX_JOBS_PER_TICK: '50' }, clock: () => n });
    await startAuto(kept(now), { tenantId: 'RETAINED', meterCount: 10, feederCount: 1, batchSize: 10, intervalMinutes: 60, catchUpIntervals: 168 });
    await db.pool.query(`delete from graphile_worker._private_jobs where key = 'ami_catch_up:RETAINED'`);
    const result = await catchUp(kept(now), 'RETAINED');
    expect(result.published[0]!.toISOString()).toBe('2026-11-26T13:00:00.000Z');
    expect(result.published).toHaveLength(48);
    const { rows } = await db.pool.query(`select min(read_at) as oldest from ami_ticks where tenant_id = 'RETAINED'`);
    expect(rows[0].oldest).toEqual(at('2026-11-26T13:00:00Z'));
    await db.pool.query(`delete from graphile_worker._private_jobs where key like 'ami_publish_batch:RETAINED:%'`);
  });
});
