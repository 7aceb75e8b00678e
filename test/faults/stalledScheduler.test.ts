import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAuto, stopAuto } from '../../src/auto/autoMode.ts';
import type { Pool } from '../../src/db/pool.ts';
import { WORKER_DEAD_AFTER_MS } from '../../src/db/workers.ts';
import { getAlignedIntervalTimestamp } from '../../src/emulator/index.ts';
import { eventually, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { intervalIntegrity, lockedJobs, tickRow } from '../helpers/integrity.ts';
import { killServiceProcesses, type ServiceProcess, spawnProcess, startServiceProcess } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

/**
 * Two worker processes on one database, a crontab slot every minute, and one
 * of them stalled (its event loop blocked for longer than the 30 s a
 * heartbeat may age) or frozen (SIGSTOP) while it runs the scheduler's slot.
 * A stalled process is alive and keeps its jobs; a frozen one loses them to
 * the other process, which runs the slot job again and finds the slot
 * claimed. Either way the slot runs once: one ami_scheduler_runs row, one
 * complete tick per tenant, every read once.
 */
const db = useTestDatabase();
afterAll(async () => {
  await killServiceProcesses();
});

const METERS = 400;
const TENANTS = 30; // a slot of 30 tenants lasts long enough to be caught in it
const FLEET = { meterCount: METERS, feederCount: 4, batchSize: 200, catchUpIntervals: 0 };
const STALL_MS = 42_000;
const env = (url: string) => ({ DATABASE_URL: url, AMI_TICK_CRON: '* * * * *', AMI_WORKER_CONCURRENCY: '2' });
const tenants = (prefix: string) => Array.from({ length: TENANTS }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SlotJob {
  id: string;
  lockedBy: string;
  slot: Date;
}

/** The scheduler's job of a slot after `after`, once a worker has locked it (polled every 20 ms). */
async function lockedSlotJob(pool: Pool, after: Date, timeoutMs = 90_000): Promise<SlotJob> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<SlotJob>(
      `select j.id::text as id, j.locked_by as "lockedBy", (j.payload->'_cron'->>'ts')::timestamptz as slot
         from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where t.identifier = 'ami_tick' and j.locked_at is not null and (j.payload->'_cron'->>'ts')::timestamptz > $1`,
      [after],
    );
    if (rows[0]) return rows[0];
    await sleep(20);
  }
  throw new Error(`no scheduler slot job was locked within ${timeoutMs} ms`);
}

async function workerIdOf(pool: Pool, pid: number): Promise<string | undefined> {
  const { rows } = await pool.query<{ worker_id: string }>('select worker_id from ami_worker_heartbeats where pid = $1', [pid]);
  return rows[0]?.worker_id;
}

async function heartbeatOf(pool: Pool, workerId: string): Promise<{ at: Date; ageMs: number } | undefined> {
  const { rows } = await pool.query<{ at: Date; age_ms: number }>(
    `select heartbeat_at as at, (extract(epoch from now() - heartbeat_at) * 1000)::int as age_ms from ami_worker_heartbeats where worker_id = $1`,
    [workerId],
  );
  return rows[0] && { at: rows[0].at, ageMs: rows[0].age_ms };
}

async function jobsLockedBy(pool: Pool, workerId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>('select id::text from graphile_worker.jobs where locked_by = $1 order by id', [workerId]);
  return rows.map((row) => row.id);
}

async function slotJobState(pool: Pool, id: string): Promise<{ lockedBy: string | null } | undefined> {
  const { rows } = await pool.query<{ locked_by: string | null }>('select locked_by from graphile_worker.jobs where id = $1', [id]);
  return rows[0] && { lockedBy: rows[0].locked_by };
}

/** What the slot left behind: its run rows, and each tenant's tick of the slot's interval with its reads. */
async function slotOutcome(pool: Pool, slot: Date, tenantIds: string[]) {
  const { rows: runs } = await pool.query<{ worker_id: string; tenants_due: number; finished_at: Date | null }>(
    `select worker_id, tenants_due, finished_at from ami_scheduler_runs where crontab_id = 'ami_tick' and slot = $1`,
    [slot],
  );
  const interval = getAlignedIntervalTimestamp(15, slot);
  let lost = 0;
  let doubled = 0;
  const ticks: Array<{ tenantId: string; status: string | undefined; rowsWritten: number | undefined; whole: boolean }> = [];
  for (const tenantId of tenantIds) {
    const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from ami_ticks where tenant_id = $1 and read_at = $2', [tenantId, interval]);
    const tick = await tickRow(pool, tenantId, interval);
    const integrity = await intervalIntegrity(pool, tenantId, interval, METERS);
    lost += integrity.lost;
    doubled += integrity.doubled;
    ticks.push({
      tenantId,
      status: rows[0]!.n === 1 ? tick?.status : `${rows[0]!.n} ledger rows`,
      rowsWritten: tick?.rows_written,
      whole: tick !== undefined && tick.batches_done === tick.batch_count && integrity.reads === METERS && integrity.doubled === 0,
    });
  }
  return { runs, interval, ticks, lost, doubled };
}

async function allComplete(pool: Pool, slot: Date, tenantIds: string[]): Promise<true | undefined> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from ami_ticks where tenant_id = any($1) and read_at = $2 and status = 'complete'`,
    [tenantIds, getAlignedIntervalTimestamp(15, slot)],
  );
  return rows[0]!.n === tenantIds.length ? true : undefined;
}

function logLines(service: ServiceProcess, message: string): Array<Record<string, unknown>> {
  return service
    .output()
    .split('\n')
    .filter((line) => line.includes(message))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('a stalled or frozen worker process while it runs a scheduler slot, beside a second worker', () => {
  // The database is there once the tests run: Deps are made then.
  const deps = () => testDeps(db);
  let stalling: ServiceProcess | undefined;
  let other: ServiceProcess | undefined;

  it('stalled event loop: its heartbeat keeps beating from its thread, the other process takes none of its locks, and the slot runs once', async () => {
    const stallTenants = tenants('STALL');
    for (const tenantId of stallTenants) await startAuto(deps(), { tenantId, ...FLEET });
    // The frozen case's tenants are registered now (so enabling them later is quick) and left off.
    for (const tenantId of tenants('FROZEN')) {
      await startAuto(deps(), { tenantId, ...FLEET });
      await stopAuto(deps(), tenantId);
    }
    const enabledAt = new Date();

    // Alone at first, so the slot job is certainly the stalling process's.
    const fixture = path.join(import.meta.dirname, 'fixtures', 'stallingWorker.ts');
    stalling = spawnProcess(process.execPath, [fixture], { env: env(db.url), ipc: true });
    await eventually(async () => (stalling!.output().includes('worker started') ? true : undefined), 'the stalling worker to start');
    const stallingId = await eventually(() => workerIdOf(db.pool, stalling!.child.pid!), 'the stalling worker to beat');

    const job = await lockedSlotJob(db.pool, enabledAt);
    expect(job.lockedBy).toBe(stallingId);
    stalling.child.send({ stallMs: STALL_MS });
    const stallStarted = Date.now();
    // The second worker, with its dead-worker reaper (at start, then every 10 s), while the first is stalled.
    other = startServiceProcess('worker', env(db.url));

    await eventually(async () => (stalling!.output().includes('fixture: stalling the event loop') ? true : undefined), 'the stall to start', 5_000);
    const heldAtStall = await jobsLockedBy(db.pool, stallingId);
    expect(heldAtStall, 'the slot job is still running when the stall starts').toContain(job.id);

    const beats = new Set<number>();
    let oldestBeatMs = 0;
    let samples = 0;
    const lockLosses: string[] = [];
    while (!stalling.output().includes('fixture: event loop free again')) {
      if (Date.now() - stallStarted > STALL_MS + 20_000) throw new Error('the stall did not end');
      const beat = await heartbeatOf(db.pool, stallingId);
      expect(beat, 'the stalling worker keeps its heartbeat row').toBeDefined();
      beats.add(beat!.at.getTime());
      oldestBeatMs = Math.max(oldestBeatMs, beat!.ageMs);
      const held = await jobsLockedBy(db.pool, stallingId);
      for (const id of heldAtStall) if (!held.includes(id)) lockLosses.push(id);
      samples++;
      await sleep(1_000);
    }
    const stalledMs = Date.now() - stallStarted;
    expect(stalledMs).toBeGreaterThan(WORKER_DEAD_AFTER_MS + 5_000);
    // A beat every 5 s from the thread, none older than a few seconds, all through the stall.
    expect(beats.size).toBeGreaterThanOrEqual(Math.floor(STALL_MS / 5_000) - 1);
    expect(oldestBeatMs).toBeLessThan(12_000);
    expect(lockLosses).toEqual([]);
    expect(logLines(other, 'released the job locks of dead workers')).toEqual([]);
    // Started during the stall: its reaper ran then (at start and every 10 s), past the 30 s a dead beat may age.
    expect(other.output()).toContain('worker started');

    await eventually(() => allComplete(db.pool, job.slot, stallTenants), 'every tenant of the slot to complete', 60_000);
    const outcome = await slotOutcome(db.pool, job.slot, stallTenants);
    expect(outcome.runs).toEqual([{ worker_id: stallingId, tenants_due: TENANTS, finished_at: expect.any(Date) }]);
    expect(outcome.ticks.filter((tick) => tick.status !== 'complete' || !tick.whole)).toEqual([]);
    expect(outcome.ticks.every((tick) => tick.rowsWritten === METERS)).toBe(true);
    expect({ lost: outcome.lost, doubled: outcome.doubled }).toEqual({ lost: 0, doubled: 0 });
    console.log(
      `stalled ${stalledMs} ms: ${beats.size} distinct heartbeats sampled ${samples} times, oldest ${oldestBeatMs} ms; slot ${job.slot.toISOString()} run once by the stalled process`,
    );
    tally({ 'faults survived': 1, 'rows lost': outcome.lost, 'rows doubled': outcome.doubled });
  }, 240_000);

  it('frozen process (SIGSTOP): the other releases its locks after 30 s, runs the slot job again and finds the slot claimed; after SIGCONT the slot still ran once', async () => {
    // The same two processes: the fixture (its event loop free again) and the service's worker.
    const fixture = stalling!;
    const service = other!;
    expect(fixture.child.exitCode).toBeNull();
    expect(service.child.exitCode).toBeNull();
    for (const tenantId of tenants('STALL')) await stopAuto(deps(), tenantId);
    const frozenTenants = tenants('FROZEN');
    for (const tenantId of frozenTenants) await startAuto(deps(), { tenantId, ...FLEET });
    const enabledAt = new Date();

    const job = await lockedSlotJob(db.pool, enabledAt);
    const fixtureId = await workerIdOf(db.pool, fixture.child.pid!);
    const frozen = job.lockedBy === fixtureId ? fixture : service;
    const alive = frozen === fixture ? service : fixture;
    const frozenId = job.lockedBy;
    expect(await workerIdOf(db.pool, frozen.child.pid!), "the slot job's worker is one of the two processes").toBe(frozenId);
    frozen.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    const claimedBeforeFreeze = (await slotOutcome(db.pool, job.slot, [])).runs.length === 1;

    let releasedAfterMs: number | undefined;
    try {
      await eventually(
        async () =>
          logLines(alive, 'released the job locks of dead workers').some((line) => (line.workers as string[]).includes(frozenId)) ? true : undefined,
        "the other process to release the frozen worker's locks",
        70_000,
      );
      releasedAfterMs = Date.now() - frozenAt;
      // The slot job runs again on the live process and finishes there (gone from the queue).
      await eventually(
        async () => ((await slotJobState(db.pool, job.id)) === undefined ? true : undefined),
        'the slot job to finish on the live process',
        30_000,
      );
    } finally {
      frozen.child.kill('SIGCONT');
    }
    // A live worker with a heartbeat up to 5 s old is never taken for dead.
    expect(releasedAfterMs!).toBeGreaterThanOrEqual(WORKER_DEAD_AFTER_MS - 5_000);

    await eventually(() => allComplete(db.pool, job.slot, frozenTenants), 'every tenant of the slot to complete', 60_000);
    // The slot job ran twice (on the frozen process, then on the live one): one run found the slot claimed and did nothing.
    const claimedNotes = () =>
      [frozen, alive].flatMap((service) =>
        logLines(service, 'scheduler slot already claimed').filter((line) => new Date(line.slot as string).getTime() === job.slot.getTime()),
      );
    await eventually(async () => (claimedNotes().length > 0 ? true : undefined), 'a run of the slot job to find the slot claimed', 30_000);
    const outcome = await slotOutcome(db.pool, job.slot, frozenTenants);
    expect(outcome.runs).toHaveLength(1);
    expect(outcome.runs[0]).toMatchObject({ tenants_due: TENANTS, finished_at: expect.any(Date) });
    expect(outcome.ticks.filter((tick) => tick.status !== 'complete' || !tick.whole)).toEqual([]);
    expect({ lost: outcome.lost, doubled: outcome.doubled }).toEqual({ lost: 0, doubled: 0 });
    expect(claimedNotes()).toHaveLength(1);

    // The thawed process is alive again: it beats under its own id and ends with no job locked.
    await eventually(async () => ((await heartbeatOf(db.pool, frozenId)) ? true : undefined), 'the thawed process to beat again', 15_000);
    await eventually(async () => ((await lockedJobs(db.pool)) === 0 ? true : undefined), 'no job left locked', 30_000);
    console.log(
      `frozen worker ${frozenId} (${frozen === fixture ? 'the fixture' : 'the service process'}), slot ${job.slot.toISOString()} claimed ${claimedBeforeFreeze ? 'before' : 'after'} the freeze; locks released ${releasedAfterMs} ms after SIGSTOP; run row by ${outcome.runs[0]!.worker_id}`,
    );

    service.child.kill('SIGTERM');
    fixture.child.send({ stop: true });
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    tally({ 'faults survived': 1, 'rows lost': outcome.lost, 'rows doubled': outcome.doubled });
  }, 240_000);
});
