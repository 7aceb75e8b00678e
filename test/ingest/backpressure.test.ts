import { describe, expect, it } from 'vitest';
import { postJson, useTestApp } from '../helpers/app.ts';

// No worker runs in this file: queued jobs stay queued, so the queue depth
// seen at the end is the highest it ever was.
const { db, app } = useTestApp();

async function queued(): Promise<number> {
  const { rows } = await db.pool.query(
    `select count(*)::int as n from graphile_worker.jobs
      where task_identifier = 'ami_publish_batch' and locked_at is null and attempts < max_attempts`,
  );
  return rows[0].n;
}

const intervalAgo = (n: number) => new Date(Math.floor(Date.now() / 900_000) * 900_000 - n * 900_000).toISOString();

describe('backpressure', () => {
  it('refuses a 50-job tick whole with 429 when 480 batch jobs are waiting', async () => {
    await db.pool.query(`select graphile_worker.add_job('ami_publish_batch', json_build_object('filler', g)) from generate_series(1, 480) g`);
    expect(await queued()).toBe(480);

    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'BP', readAt: intervalAgo(1) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ ok: false, error: { code: 'BACKPRESSURE', queueDepth: 480, limit: 500, jobs: 50 } });
    expect(res.body.error.message).toMatch(/480/);

    expect(await queued()).toBe(480);
    const { rows } = await db.pool.query(`select (select count(*) from ami_ticks)::int as ticks, (select count(*) from ami_fleets)::int as fleets`);
    expect(rows[0]).toEqual({ ticks: 0, fleets: 0 });
  });

  it('lets 20 concurrent publishers fill the queue to the limit and no further', async () => {
    await db.pool.query(`delete from graphile_worker._private_jobs`);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'BP', readAt: intervalAgo(i + 1) })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect(await queued()).toBe(500);
    const { rows } = await db.pool.query(`select status, count(*)::int as n, sum(jobs_enqueued)::int as jobs from ami_ticks group by status`);
    // Refused REST publishes leave no ledger row; the accepted ones are whole.
    expect(rows).toEqual([{ status: 'enqueued', n: 10, jobs: 500 }]);
  });

  it('counts running jobs toward the limit: 480 waiting and 8 running leave no room for a 20-job tick, since a running job that fails comes back', async () => {
    await db.pool.query(`delete from graphile_worker._private_jobs`);
    await db.pool.query(`select graphile_worker.add_job('ami_publish_batch', json_build_object('filler', g)) from generate_series(1, 488) g`);
    // Eight of them taken by a worker (locked), as during a tick.
    await db.pool.query(
      `update graphile_worker._private_jobs set locked_at = now(), locked_by = 'worker-x', attempts = 1
        where id in (select id from graphile_worker._private_jobs order by id limit 8)`,
    );
    const refused = await postJson(`${app.url}/api/ami/publish-once`, {
      tenantId: 'BP_RUN',
      meterCount: 2_000,
      feederCount: 2,
      batchSize: 100,
      readAt: intervalAgo(40),
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'BACKPRESSURE', queueDepth: 488, jobs: 20, limit: 500 });
    // The running eight fail and go back to waiting: the queue is then 488, never above 500.
    await db.pool.query(`update graphile_worker._private_jobs set locked_at = null, locked_by = null where locked_by = 'worker-x'`);
    expect(await queued()).toBe(488);
    const fits = await postJson(`${app.url}/api/ami/publish-once`, {
      tenantId: 'BP_RUN',
      meterCount: 1_200,
      feederCount: 2,
      batchSize: 100,
      readAt: intervalAgo(41),
    });
    expect(fits.status).toBe(202);
    expect(await queued()).toBe(500);
  });
});
