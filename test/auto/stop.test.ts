import { describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.ts';
import { startAuto, stopAuto } from '../../src/auto/autoMode.ts';
import { catchUp } from '../../src/auto/catchUp.ts';
import { runSlot } from '../../src/auto/scheduler.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const deps = (now?: Date) => testDeps(db, { ...(now ? { clock: () => now } : {}) });
const at = (iso: string) => new Date(iso);

/**
 * The test pool, except that `beforeConnect(n)` runs before its n-th
 * `connect()` (publishTick opens its transaction with one): a way to stop
 * auto mode while a catch-up or a scheduler slot is between two ticks.
 */
function poolWithHook(beforeConnect: (n: number) => Promise<void>): Pool {
  let connects = 0;
  return new Proxy(db.pool, {
    get(target, property, receiver) {
      if (property === 'connect') {
        return async () => {
          await beforeConnect(++connects);
          return target.connect();
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function ticks(tenantId: string) {
  const { rows } = await db.pool.query(`select read_at, requested_by, status from ami_ticks where tenant_id = $1 order by read_at`, [tenantId]);
  return rows as Array<{ read_at: Date; requested_by: string; status: string }>;
}

async function queuedBatches(tenantId: string): Promise<number> {
  const { rows } = await db.pool.query(`select count(*)::int as n from graphile_worker._private_jobs where key like $1`, [`ami_publish_batch:${tenantId}:%`]);
  return rows[0].n;
}

describe('stop auto mode', () => {
  it('stops a catch-up that is already running: no interval is enqueued after stop returned', async () => {
    const now = at('2026-01-01T10:20:00Z');
    await startAuto(deps(now), { tenantId: 'STOP_CU', meterCount: 1_000, feederCount: 5, batchSize: 500, intervalMinutes: 15, catchUpIntervals: 8 });
    let stopped = false;
    // The catch-up publishes two intervals, then the operator stops auto mode.
    const pool = poolWithHook(async (n) => {
      if (n === 3) {
        const { wasEnabled } = await stopAuto(deps(), 'STOP_CU');
        expect(wasEnabled).toBe(true);
        stopped = true;
      }
    });
    const result = await catchUp({ ...deps(now), pool }, 'STOP_CU');
    expect(stopped).toBe(true);
    expect(result.published.map((d) => d.toISOString())).toEqual(['2026-01-01T08:30:00.000Z', '2026-01-01T08:45:00.000Z']);
    expect(result.deferred).toBe(false);
    expect((await ticks('STOP_CU')).map((t) => t.read_at.toISOString())).toEqual(['2026-01-01T08:30:00.000Z', '2026-01-01T08:45:00.000Z']);
    expect(await queuedBatches('STOP_CU')).toBe(4);
  });

  it('a scheduler slot that read the tenant as enabled before stop enqueues nothing for it after stop', async () => {
    await startAuto(deps(at('2026-01-01T11:00:00Z')), {
      tenantId: 'STOP_CRON',
      meterCount: 1_000,
      feederCount: 5,
      batchSize: 500,
      intervalMinutes: 15,
      catchUpIntervals: 4,
    });
    await db.pool.query(`delete from graphile_worker._private_jobs where key = 'ami_catch_up:STOP_CRON'`);
    const pool = poolWithHook(async (n) => {
      if (n === 1) await stopAuto(deps(), 'STOP_CRON');
    });
    const before = await ticks('STOP_CRON');
    const slot = await runSlot({ ...deps(), pool }, { crontabId: 'ami_tick', ts: at('2026-01-01T11:15:00Z'), backfilled: false, workerId: null });
    expect(slot).toEqual({ claimed: true, due: 1, enqueued: 0, skipped: 0, failed: 0 });
    expect(await ticks('STOP_CRON')).toEqual(before);
    // Nor is a catch-up queued for the stopped tenant.
    const { rows } = await db.pool.query(`select count(*)::int as n from graphile_worker._private_jobs where key = 'ami_catch_up:STOP_CRON'`);
    expect(rows[0].n).toBe(0);
    const { rows: runs } = await db.pool.query(`select tenants_due, tenants_enqueued, tenants_skipped from ami_scheduler_runs where slot = $1`, [
      at('2026-01-01T11:15:00Z'),
    ]);
    expect(runs).toEqual([{ tenants_due: 1, tenants_enqueued: 0, tenants_skipped: 0 }]);
  });

  it('publishTick answers disabled to the scheduler and catch-up of a stopped tenant, and writes nothing; a manual publish still goes through', async () => {
    const readAt = at('2026-01-01T12:00:00Z');
    for (const requestedBy of ['cron', 'catch-up'] as const) {
      const outcome = await publishTick(deps(), 'STOP_CRON', readAt, 1_000, 5, 500, { requestedBy, onBackpressure: 'record' });
      expect(outcome).toMatchObject({ outcome: 'disabled', jobs: 0 });
    }
    // A tenant that never had auto mode is not enabled either.
    const never = await publishTick(deps(), 'NEVER_AUTO', readAt, 100, 5, 100, { requestedBy: 'cron', onBackpressure: 'record' });
    expect(never).toMatchObject({ outcome: 'disabled', jobs: 0 });
    const { rows } = await db.pool.query(`select count(*)::int as n from ami_fleets where tenant_id = 'NEVER_AUTO'`);
    expect(rows[0].n).toBe(0);
    expect(await ticks('STOP_CRON')).toEqual([]);

    const manual = await publishTick(deps(), 'STOP_CRON', readAt, 1_000, 5, 500, { requestedBy: 'manual', onBackpressure: 'refuse' });
    expect(manual).toMatchObject({ outcome: 'enqueued', jobs: 2 });
  });

  it('stop, start and scheduled publishes of one tenant running together neither deadlock nor enqueue after a stop', async () => {
    const config = { tenantId: 'STOP_RACE', meterCount: 200, feederCount: 2, batchSize: 100, intervalMinutes: 15 as const, catchUpIntervals: 0 };
    await startAuto(deps(at('2026-01-02T00:00:00Z')), config);
    const publishes = Array.from({ length: 40 }, (_, i) =>
      publishTick(deps(), 'STOP_RACE', new Date(at('2026-01-02T00:00:00Z').getTime() + i * 15 * 60_000), 200, 2, 100, {
        requestedBy: 'cron',
        onBackpressure: 'record',
      }),
    );
    const toggles = (async () => {
      for (let i = 0; i < 10; i++) {
        await stopAuto(deps(), 'STOP_RACE');
        await startAuto(deps(at('2026-01-02T00:00:00Z')), config);
      }
      await stopAuto(deps(), 'STOP_RACE');
    })();
    const outcomes = await Promise.all(publishes);
    await toggles;
    expect(outcomes.every((o) => o.outcome === 'enqueued' || o.outcome === 'disabled')).toBe(true);
    const after = await publishTick(deps(), 'STOP_RACE', at('2026-01-03T00:00:00Z'), 200, 2, 100, { requestedBy: 'cron', onBackpressure: 'record' });
    expect(after.outcome).toBe('disabled');
  });
});
