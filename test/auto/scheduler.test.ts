import type { WorkerHandle as Runner } from '../../src/worker/runner.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuto, stopAuto } from '../../src/auto/autoMode.ts';
import { runSlot } from '../../src/auto/scheduler.ts';
import { loadConfig } from '../../src/config.ts';
import { expectedKwh, tenantModel } from '../../src/emulator/index.ts';
import { startWorker } from '../../src/worker/runner.ts';
import { eventually, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const env = { AMI_TICK_CRON: '0 0 1 1 *' }; // the real crontab stays quiet here
const deps = (now?: Date) => testDeps(db, { env, ...(now ? { clock: () => now } : {}) });
const at = (iso: string) => new Date(iso);
let runner: Runner;

beforeAll(async () => {
  // catchUpIntervals 0: only the scheduler publishes, so every tick below is the slot's own.
  const start = at('2026-11-28T08:50:00Z');
  await startAuto(deps(start), { tenantId: 'Q15', meterCount: 400, feederCount: 4, batchSize: 200, intervalMinutes: 15, catchUpIntervals: 0 });
  await startAuto(deps(start), { tenantId: 'H30', meterCount: 400, feederCount: 4, batchSize: 200, intervalMinutes: 30, catchUpIntervals: 0 });
  await startAuto(deps(start), { tenantId: 'H60', meterCount: 400, feederCount: 4, batchSize: 200, intervalMinutes: 60, catchUpIntervals: 0 });
  runner = await startWorker({
    pool: db.pool,
    config: loadConfig({ DATABASE_URL: db.url, ...env }),
    logger: db.logger,
    clock: () => start,
    connectionString: db.url,
  });
});
let stopped = false;
afterAll(async () => {
  if (!stopped) await runner?.stop();
});

async function tickTimes(tenantId: string): Promise<string[]> {
  const { rows } = await db.pool.query(`select read_at from ami_ticks where tenant_id = $1 order by read_at`, [tenantId]);
  return rows.map((r: { read_at: Date }) => r.read_at.toISOString().slice(11, 16));
}

describe('the scheduler slot (ami_tick with _cron.ts given)', () => {
  it('publishes a 15-minute tenant on every slot, a 30-minute one on :00 and :30 only, a 60-minute one on :00 only', async () => {
    for (const ts of ['09:00', '09:15', '09:30', '09:45', '10:00']) {
      await runSlot(deps(), { crontabId: 'test', ts: at(`2026-11-28T${ts}:00Z`), backfilled: false, workerId: null });
    }
    expect(await tickTimes('Q15')).toEqual(['09:00', '09:15', '09:30', '09:45', '10:00']);
    expect(await tickTimes('H30')).toEqual(['09:00', '09:30', '10:00']);
    expect(await tickTimes('H60')).toEqual(['09:00', '10:00']);
    const { rows } = await db.pool.query(`select requested_by, count(*)::int as n from ami_ticks group by 1`);
    expect(rows).toEqual([{ requested_by: 'cron', n: 10 }]);
    const runs = await db.pool.query(
      `select to_char(slot at time zone 'UTC', 'HH24:MI') as slot, tenants_due, tenants_enqueued from ami_scheduler_runs order by slot`,
    );
    expect(runs.rows).toEqual([
      { slot: '09:00', tenants_due: 3, tenants_enqueued: 3 },
      { slot: '09:15', tenants_due: 1, tenants_enqueued: 1 },
      { slot: '09:30', tenants_due: 2, tenants_enqueued: 2 },
      { slot: '09:45', tenants_due: 1, tenants_enqueued: 1 },
      { slot: '10:00', tenants_due: 3, tenants_enqueued: 3 },
    ]);
    // A 30-minute tenant's reads carry 30 minutes of energy: intervalMinutes reaches the batch jobs.
    await eventually(async () => {
      const { rows: open } = await db.pool.query(`select count(*)::int as n from ami_ticks where status <> 'complete'`);
      return open[0].n === 0 ? true : undefined;
    }, 'all ticks complete');
    const { rows: reads } = await db.pool.query(
      `select m.meter_id as "meterId", m.feeder_id as "feederId", m.service_class as "serviceClass", m.scale,
              m.archetype, m.heating, m.has_ev as "hasEv", m.pv_kw as "pvKw", m.position, r.baseline_kwh
         from meter_reads_electric r join ami_meters m using (tenant_id, meter_id)
        where r.tenant_id = 'H30' and r.read_at = '2026-11-28T09:30:00Z'`,
    );
    expect(reads).toHaveLength(400);
    for (const { baseline_kwh, ...profile } of reads) {
      expect(baseline_kwh).toBeCloseTo(expectedKwh(tenantModel('H30'), profile, at('2026-11-28T09:30:00Z'), 30), 3);
    }
  });

  it('a tick job that runs late still publishes the interval of its slot, not of the clock', async () => {
    // The job Graphile Worker's cron would have added for the 07:45 slot, run hours late by the real worker.
    await db.pool.query(
      `select graphile_worker.add_job('ami_tick', json_build_object('crontabId', 'ami_tick', '_cron', json_build_object('ts', '2026-11-28T07:45:00.000Z', 'backfilled', false)))`,
    );
    const tick = await eventually(async () => {
      const { rows } = await db.pool.query(`select read_at, status, rows_written from ami_ticks where tenant_id = 'Q15' and read_at = '2026-11-28T07:45:00Z'`);
      return rows[0]?.status === 'complete' ? rows[0] : undefined;
    }, 'the late slot to be published');
    expect(tick).toEqual({ read_at: at('2026-11-28T07:45:00Z'), status: 'complete', rows_written: 400 });
    const { rows } = await db.pool.query(`select distinct read_at from meter_reads_electric where tenant_id = 'Q15' and read_at < '2026-11-28T09:00:00Z'`);
    expect(rows).toEqual([{ read_at: at('2026-11-28T07:45:00Z') }]);
    // 07:45 is not a boundary of the 30- and 60-minute tenants.
    expect(await tickTimes('H30')).not.toContain('07:45');
  });

  it('records a tick refused by backpressure as skipped in the ledger and queues a catch-up', async () => {
    await runner.stop();
    stopped = true;
    await db.pool.query(`select graphile_worker.add_job('ami_publish_batch', json_build_object('filler', g)) from generate_series(1, 499) g`);
    await runSlot(deps(), { crontabId: 'test', ts: at('2026-11-28T10:15:00Z'), backfilled: false, workerId: null });
    const { rows } = await db.pool.query(
      `select status, skip_reason, requested_by, queue_depth_at_request from ami_ticks where tenant_id = 'Q15' and read_at = '2026-11-28T10:15:00Z'`,
    );
    expect(rows[0]).toMatchObject({ status: 'skipped', requested_by: 'cron', queue_depth_at_request: 499 });
    expect(rows[0].skip_reason).toMatch(/backpressure: 499 write jobs waiting, delayed or running/);
    const catchUps = await db.pool.query(`select key from graphile_worker.jobs where task_identifier = 'ami_catch_up'`);
    expect(catchUps.rows).toEqual([{ key: 'ami_catch_up:Q15' }]);
    await db.pool.query(`delete from graphile_worker._private_jobs`);
  });

  it('publishes nothing for a tenant whose auto mode was stopped', async () => {
    await stopAuto(deps(), 'Q15');
    const result = await runSlot(deps(), { crontabId: 'test', ts: at('2026-11-28T10:30:00Z'), backfilled: false, workerId: null });
    expect(result.due).toBe(1); // H30 only
    expect(await tickTimes('Q15')).not.toContain('10:30');
    expect(await tickTimes('H30')).toContain('10:30');
  });

  it('claims each slot once: of two runs of one slot at once, one publishes and the other does nothing, and a run waking up later finds it taken', async () => {
    const slot = { crontabId: 'test', ts: at('2026-11-28T11:00:00Z'), backfilled: false };
    const [a, b] = await Promise.all([runSlot(deps(), { ...slot, workerId: 'worker-a' }), runSlot(deps(), { ...slot, workerId: 'worker-b' })]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    const winner = a.claimed ? a : b;
    expect(winner).toMatchObject({ due: 2, enqueued: 2, failed: 0 });
    expect(a.claimed ? b : a).toEqual({ claimed: false, due: 0, enqueued: 0, skipped: 0, failed: 0 });
    // A process that stalled in this slot and wakes up now: nothing more.
    const late = await runSlot(deps(), { ...slot, workerId: 'worker-stalled' });
    expect(late.claimed).toBe(false);
    const runs = await db.pool.query(`select worker_id, tenants_enqueued, finished_at is not null as finished from ami_scheduler_runs where slot = $1`, [
      slot.ts,
    ]);
    expect(runs.rows).toEqual([{ worker_id: a.claimed ? 'worker-a' : 'worker-b', tenants_enqueued: 2, finished: true }]);
    const ticks = await db.pool.query(`select tenant_id, count(*)::int as n from ami_ticks where read_at = $1 group by 1 order by 1`, [slot.ts]);
    expect(ticks.rows).toEqual([
      { tenant_id: 'H30', n: 1 },
      { tenant_id: 'H60', n: 1 },
    ]);
    await db.pool.query(`delete from graphile_worker._private_jobs`);
  });

  it('runs each tenant of a slot on its own: one whose configuration no longer fits the caps is recorded as failed, the others publish, the slot does not fail', async () => {
    // A tenant stored before the caps were lowered: 30,000 meters, above AMI_MAX_METER_COUNT (25,000).
    await db.pool.query(`insert into ami_fleets (tenant_id, meter_count, feeder_count) values ('TOO_BIG', 30000, 3)`);
    await db.pool.query(
      `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals) values ('TOO_BIG', true, 30000, 3, 500, 15, 0)`,
    );
    const slot = { crontabId: 'test', ts: at('2026-11-28T11:30:00Z'), backfilled: false, workerId: null };
    const outcome = await runSlot(deps(), slot);
    expect(outcome).toEqual({ claimed: true, due: 2, enqueued: 1, skipped: 0, failed: 1 });
    const { rows } = await db.pool.query(`select tenant_id, status, skip_reason from ami_ticks where read_at = $1 order by tenant_id`, [slot.ts]);
    expect(rows).toEqual([
      { tenant_id: 'H30', status: 'enqueued', skip_reason: null },
      { tenant_id: 'TOO_BIG', status: 'failed', skip_reason: expect.stringMatching(/meterCount: must be at most 25000/) },
    ]);
    const runs = await db.pool.query(`select tenants_due, tenants_enqueued, tenants_failed from ami_scheduler_runs where slot = $1`, [slot.ts]);
    expect(runs.rows).toEqual([{ tenants_due: 2, tenants_enqueued: 1, tenants_failed: 1 }]);
    // auto/status shows the failure and its reason.
    const { autoStatus } = await import('../../src/auto/autoMode.ts');
    const status = await autoStatus(deps(at('2026-11-28T11:31:00Z')), 'TOO_BIG');
    expect(status.recentTicks[0]).toMatchObject({ status: 'failed', skipReason: expect.stringMatching(/AMI_MAX_METER_COUNT/), intervalMinutes: 15 });
    // The same slot is never retried whole: a second run does nothing.
    expect((await runSlot(deps(), slot)).claimed).toBe(false);
    await db.pool.query(`delete from graphile_worker._private_jobs`);
  });
});
