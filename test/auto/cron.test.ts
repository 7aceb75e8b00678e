import { afterAll, describe, expect, it } from 'vitest';
import { startAuto } from '../../src/auto/autoMode.ts';
import { eventually, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { killServiceProcesses, startServiceProcess, type ServiceProcess } from '../helpers/process.ts';

const db = useTestDatabase();
afterAll(async () => {
  await killServiceProcesses();
});

// The real crontab machinery, three worker processes on one database, a
// per-minute schedule so that a slot boundary passes within the test.
describe('exactly one scheduler', () => {
  it('fires each crontab slot once across three worker processes, one tick per tenant and interval, no duplicate reads', async () => {
    const deps = testDeps(db);
    await startAuto(deps, { tenantId: 'ONE', meterCount: 1_000, feederCount: 5, batchSize: 100, intervalMinutes: 15, catchUpIntervals: 2 });
    await startAuto(deps, { tenantId: 'TWO', meterCount: 600, feederCount: 3, batchSize: 200, intervalMinutes: 15, catchUpIntervals: 2 });

    const env = { DATABASE_URL: db.url, AMI_TICK_CRON: '* * * * *' };
    const workers: ServiceProcess[] = [0, 1, 2].map(() => startServiceProcess('worker', env));
    for (const worker of workers) await eventually(async () => (worker.output().includes('worker started') ? true : undefined), 'a worker to start');
    const startedAt = new Date();

    // The first slot boundary after all three are up, plus time for a second firing to show.
    const run = await eventually(
      async () => {
        const { rows } = await db.pool.query(`select slot from ami_scheduler_runs where slot > $1 order by slot limit 1`, [startedAt]);
        return rows[0];
      },
      'the scheduler to fire',
      90_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const { rows: runs } = await db.pool.query(
      `select slot, count(*)::int as n, count(distinct worker_id)::int as workers from ami_scheduler_runs group by slot`,
    );
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.every((r: { n: number }) => r.n === 1)).toBe(true);
    expect(runs.map((r: { slot: Date }) => r.slot.getTime())).toContain(run.slot.getTime());
    const { rows: known } = await db.pool.query(`select identifier from graphile_worker._private_known_crontabs`);
    expect(known.map((row: { identifier: string }) => row.identifier).sort()).toEqual(['ami_collect', 'ami_prune', 'ami_tick']);

    await eventually(async () => {
      const { rows } = await db.pool.query(`select count(*)::int as n from ami_ticks where status <> 'complete'`);
      return rows[0].n === 0 ? true : undefined;
    }, 'every tick to complete');
    const { rows: reads } = await db.pool.query(
      `select tenant_id, read_at, count(*)::int as n, count(distinct meter_id)::int as meters
         from meter_reads_electric group by 1, 2 order by 1, 2`,
    );
    const { rows: ticks } = await db.pool.query(`select tenant_id, read_at, rows_written from ami_ticks order by 1, 2`);
    // Every interval in the ledger is whole and single: reads = fleet, no meter twice.
    expect(reads.map((r: { tenant_id: string; read_at: Date }) => `${r.tenant_id}@${r.read_at.toISOString()}`)).toEqual(
      ticks.map((t: { tenant_id: string; read_at: Date }) => `${t.tenant_id}@${t.read_at.toISOString()}`),
    );
    for (const r of reads) expect(r.n).toBe(r.tenant_id === 'ONE' ? 1_000 : 600);
    for (const r of reads) expect(r.meters).toBe(r.n);

    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 150_000);
});
