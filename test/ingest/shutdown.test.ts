import { afterAll, describe, expect, it } from 'vitest';
import { eventually, postJson, useTestApp } from '../helpers/app.ts';
import { killServiceProcesses, startServiceProcess } from '../helpers/process.ts';

const { db, app } = useTestApp();

afterAll(async () => {
  await killServiceProcesses();
});

async function tickState(readAt: string) {
  const { rows } = await db.pool.query(`select status, batches_done, rows_written from ami_ticks where tenant_id = 'STOP' and read_at = $1`, [readAt]);
  return rows[0] as { status: string; batches_done: number; rows_written: number } | undefined;
}

describe('a worker stopped with SIGTERM in the middle of a tick', () => {
  it('exits cleanly leaving no job locked, and the next worker completes the interval with exactly 25,000 reads', async () => {
    const readAt = new Date(Math.floor(Date.now() / 900_000) * 900_000 - 900_000).toISOString();
    // One job at a time, so the tick takes long enough to be interrupted.
    const env = { DATABASE_URL: db.url, AMI_WORKER_CONCURRENCY: '1' };
    const first = startServiceProcess('worker', env);
    await eventually(async () => (first.output().includes('worker started') ? true : undefined), 'the worker to start');

    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'STOP', readAt });
    expect(res.status).toBe(202);
    await eventually(async () => ((await tickState(readAt))!.batches_done > 0 ? true : undefined), 'the first batch');
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const stopped = (await tickState(readAt))!;
    expect(stopped.status).toBe('enqueued');
    expect(stopped.batches_done).toBeLessThan(50);
    const locked = await db.pool.query(`select count(*)::int as n from graphile_worker.jobs where locked_at is not null`);
    expect(locked.rows[0].n).toBe(0);

    const second = startServiceProcess('worker', env);
    const done = await eventually(
      async () => {
        const state = await tickState(readAt);
        return state?.status === 'complete' ? state : undefined;
      },
      'the interval to complete',
      120_000,
    );
    expect(done).toEqual({ status: 'complete', batches_done: 50, rows_written: 25_000 });
    const { rows } = await db.pool.query(
      `select count(*)::int as reads, count(distinct meter_id)::int as meters from meter_reads_electric where tenant_id = 'STOP' and read_at = $1`,
      [readAt],
    );
    expect(rows[0]).toEqual({ reads: 25_000, meters: 25_000 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
