import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, postJson, useTestApp } from '../helpers/app.ts';
import { holdLedgerRow, intervalIntegrity, intervalsAgo, lockedJobs, tickRow } from '../helpers/integrity.ts';
import { killServiceProcesses, startServiceProcess } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

const { db, app } = useTestApp();
afterAll(async () => {
  await killServiceProcesses();
});

describe('SIGKILL of a worker in the middle of a 25,000-meter tick', () => {
  it("releases the dead worker's locks and completes the interval on a new worker, with every read once", async () => {
    const readAt = intervalsAgo(2);
    const env = { DATABASE_URL: db.url, AMI_WORKER_CONCURRENCY: '1' };
    const victim = startServiceProcess('worker', env);
    await eventually(async () => (victim.output().includes('worker started') ? true : undefined), 'the worker to start');

    expect((await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'KILL', readAt })).status).toBe(202);
    await eventually(async () => ((await tickRow(db.pool, 'KILL', readAt))!.batches_done >= 3 ? true : undefined), 'three batches');
    // Killed while a batch is surely running: the batch waits on the tick's ledger row, held here.
    // (Killed at a random moment, it could fall between one job's end and its completion being
    // recorded, leaving 0 or 2 jobs locked.)
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await holdLedgerRow(blocker, db.pool, 'KILL', readAt);
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const killed = (await tickRow(db.pool, 'KILL', readAt))!;
      expect(killed.status).toBe('enqueued');
      expect(killed.batches_done).toBeLessThan(50);
      expect(await lockedJobs(db.pool)).toBe(1); // the batch it died in
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await blocker.end();
    }

    const started = Date.now();
    const survivor = startServiceProcess('worker', { DATABASE_URL: db.url });
    const done = await eventually(
      async () => {
        const tick = await tickRow(db.pool, 'KILL', readAt);
        return tick?.status === 'complete' ? tick : undefined;
      },
      'the interval to complete',
      120_000,
    );
    expect(done).toMatchObject({ batches_done: 50, rows_written: 25_000 });
    // The dead worker's lock is released after the 30 s heartbeat timeout (not Graphile
    // Worker's 4 hours) and its job runs again, idempotently: the queue ends empty.
    await eventually(
      async () => {
        const { rows } = await db.pool.query(`select count(*)::int as n from graphile_worker.jobs`);
        return rows[0].n === 0 ? true : undefined;
      },
      'the queue to be empty',
      120_000,
    );
    const recoveredInMs = Date.now() - started;
    expect(recoveredInMs).toBeLessThan(90_000);
    expect(survivor.output()).toContain('released the job locks of dead workers');
    const integrity = await intervalIntegrity(db.pool, 'KILL', readAt, 25_000);
    expect(integrity).toEqual({ reads: 25_000, meters: 25_000, lost: 0, doubled: 0 });
    expect((await tickRow(db.pool, 'KILL', readAt))!.rows_written).toBe(25_000);

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toEqual({ code: 0, signal: null });
    tally({ 'faults survived': 1, 'rows lost': integrity.lost, 'rows doubled': integrity.doubled });
  });
});
