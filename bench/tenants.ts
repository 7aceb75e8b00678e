/**
 * The `tenants` section of `npm run bench`: many tenants in automatic mode on
 * one machine (SPEC section 14). 40 tenants of 25,000 meters are started, then
 * the scheduler's slot function runs for successive boundaries, as the
 * crontab would fire it, without waiting 15 minutes between them: the
 * service's clock is the wall clock moved to each boundary. For every slot:
 * when each tenant's interval was complete (seconds after the slot fired), the
 * queue's depth sampled every 100 ms against the cap, the slot claimed once
 * and one tick per (tenant, interval). First with the worker in this process
 * (one worker process), then with two worker processes (`node src/start.mjs
 * worker`) on the same database.
 *
 *   TENANTS_COUNT, TENANTS_METERS, TENANTS_SLOTS   (default 40, 25000, 3)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { startAuto } from '../src/auto/autoMode.ts';
import { runSlot } from '../src/auto/scheduler.ts';
import { loadConfig } from '../src/config.ts';
import { writeJobsPending } from '../src/db/queue.ts';
import type { Deps } from '../src/deps.ts';
import { getAlignedIntervalTimestamp } from '../src/emulator/index.ts';
import { startWorker } from '../src/worker/runner.ts';
import { fmt, logger, scratchDatabase, target } from './scratch.ts';

const TENANTS = Number(process.env.TENANTS_COUNT ?? 40);
const METERS = Number(process.env.TENANTS_METERS ?? 25_000);
const SLOTS = Number(process.env.TENANTS_SLOTS ?? 3);
/** 10 jobs per tenant: 40 tenants put 400 jobs in the queue per slot, within the default cap of 500. */
const BATCH_SIZE = 2_500;
const QUARTER = 900_000;

interface SlotFigures {
  slot: Date;
  /** Seconds from the slot firing to each tenant's interval complete. */
  completeS: number[];
  maxQueue: number;
  ticks: number;
  reads: number;
}

export async function tenantsSection(): Promise<void> {
  console.log(`\n## Many tenants: ${TENANTS} x ${fmt(METERS)} meters in automatic mode, ${SLOTS} successive slots\n`);
  const env = {
    ...process.env,
    AMI_MAX_BATCH_SIZE: String(BATCH_SIZE),
    // The real crontab stays quiet: the bench fires the slots itself.
    AMI_TICK_CRON: '0 0 1 1 *',
  };
  const db = await scratchDatabase('tenants', 30);
  const config = loadConfig({ ...env, DATABASE_URL: db.url });
  // The service's clock: the wall clock moved so that "now" is the slot being fired.
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const deps: Deps = { pool: db.pool, caps: config.caps, logger, clock, retentionDays: 0 };
  const first = new Date(getAlignedIntervalTimestamp(15, new Date()).getTime() + QUARTER);
  const processes: ChildProcess[] = [];
  try {
    const registerStarted = performance.now();
    for (let t = 0; t < TENANTS; t++) {
      await startAuto(deps, {
        tenantId: `TENANT_${String(t + 1).padStart(2, '0')}`,
        meterCount: METERS,
        feederCount: 25,
        batchSize: BATCH_SIZE,
        intervalMinutes: 15,
        catchUpIntervals: 0,
      });
    }
    // The partitions the slots write into, as the worker's maintenance makes them.
    await db.pool.query('select ami_private.maintain_read_partitions($1, 3)', [first]);
    await db.pool.query('vacuum analyze');
    console.log(`registered ${TENANTS} fleets (${fmt(TENANTS * METERS)} meters) in ${fmt((performance.now() - registerStarted) / 1000, 1)} s`);

    const runSlots = async (from: number, workers: string): Promise<SlotFigures[]> => {
      const figures: SlotFigures[] = [];
      for (let n = from; n < from + SLOTS; n++) {
        const slot = new Date(first.getTime() + n * QUARTER);
        offsetMs = slot.getTime() - Date.now();
        const fired = performance.now();
        let maxQueue = 0;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            maxQueue = Math.max(maxQueue, await writeJobsPending(db.pool));
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })();
        const outcome = await runSlot(deps, { crontabId: 'ami_tick', ts: slot, backfilled: false, workerId: null });
        if (!outcome.claimed || outcome.enqueued !== TENANTS) throw new Error(`slot ${slot.toISOString()}: ${JSON.stringify(outcome)}`);
        const completeS = new Map<string, number>();
        while (completeS.size < TENANTS) {
          const { rows } = await db.pool.query<{ tenant_id: string }>(`select tenant_id from ami_ticks where read_at = $1 and status = 'complete'`, [slot]);
          for (const row of rows) if (!completeS.has(row.tenant_id)) completeS.set(row.tenant_id, (performance.now() - fired) / 1000);
          if (performance.now() - fired > 300_000) throw new Error(`slot ${slot.toISOString()}: ${completeS.size} of ${TENANTS} tenants complete after 300 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        sampling = false;
        await sampler;
        const { rows } = await db.pool.query<{ ticks: number; reads: number; runs: number }>(
          `select (select count(*)::int from ami_ticks where read_at = $1) as ticks,
                  (select count(*)::int from meter_reads_electric where read_at = $1) as reads,
                  (select count(*)::int from ami_scheduler_runs where slot = $1) as runs`,
          [slot],
        );
        const { ticks, reads, runs } = rows[0]!;
        if (runs !== 1 || ticks !== TENANTS || reads !== TENANTS * METERS)
          throw new Error(`slot ${slot.toISOString()}: runs ${runs}, ticks ${ticks}, reads ${reads}`);
        figures.push({ slot, completeS: [...completeS.values()], maxQueue, ticks, reads });
        console.log(
          `${workers}, slot ${slot.toISOString().slice(11, 16)}: ${ticks} ticks, ${fmt(reads)} reads; slowest tenant complete ${fmt(Math.max(...completeS.values()), 1)} s after the slot fired, fastest ${fmt(Math.min(...completeS.values()), 1)} s; queue at most ${maxQueue} of ${config.caps.maxQueueDepth}`,
        );
      }
      return figures;
    };

    // One worker process (the bench's own, as `npm start` runs it).
    const worker = await startWorker({ pool: db.pool, config, logger, clock, connectionString: db.url });
    let one: SlotFigures[];
    try {
      one = await runSlots(0, '1 worker process');
    } finally {
      await worker.stop();
    }

    // Two worker processes, the API off, on the same database.
    const spawnedAt = new Date(Date.now() - 1_000);
    for (let i = 0; i < 2; i++) {
      processes.push(
        spawn(process.execPath, ['src/start.mjs', 'worker'], {
          env: { ...env, DATABASE_URL: db.url, LOG_LEVEL: 'warn', LOG_PRETTY: 'false' },
          stdio: ['ignore', 'inherit', 'inherit'],
        }),
      );
    }
    // Both have started when both beat.
    for (let i = 0; ; i++) {
      const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from ami_worker_heartbeats where started_at >= $1`, [spawnedAt]);
      if (rows[0]!.n >= 2) break;
      if (i > 600) throw new Error('the two worker processes did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const two = await runSlots(SLOTS, '2 worker processes');

    const slowest = (figures: SlotFigures[]) => Math.max(...figures.flatMap((f) => f.completeS));
    const reads = TENANTS * METERS;
    console.log(
      '\n| workers | slots | slowest tenant complete after the slot | reads per slot | reads/s (slot fired to last tenant complete, median slot) | queue at most |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const [label, figures] of [
      ['1 process', one],
      ['2 processes', two],
    ] as const) {
      const perSlot = figures.map((f) => Math.max(...f.completeS)).sort((a, b) => a - b);
      const median = perSlot[Math.floor(perSlot.length / 2)]!;
      console.log(
        `| ${label} | ${figures.length} | ${fmt(slowest(figures), 1)} s | ${fmt(reads)} | ${fmt(reads / median)} | ${Math.max(...figures.map((f) => f.maxQueue))} of ${config.caps.maxQueueDepth} |`,
      );
    }
    target(
      `${TENANTS} tenants x ${fmt(METERS)} meters, ${SLOTS} slots: slowest tenant's interval complete after the boundary (1 worker process)`,
      '< 60 s',
      `${fmt(slowest(one), 1)} s`,
      slowest(one) < 60,
    );
    target('the same, 2 worker processes', '< 60 s', `${fmt(slowest(two), 1)} s`, slowest(two) < 60);
    const maxQueue = Math.max(...[...one, ...two].map((f) => f.maxQueue));
    target(
      'write jobs waiting, delayed or running, sampled every 100 ms',
      `<= cap ${config.caps.maxQueueDepth}`,
      String(maxQueue),
      maxQueue <= config.caps.maxQueueDepth,
    );
  } finally {
    for (const child of processes) child.kill('SIGTERM');
    await Promise.all(processes.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await db.drop();
  }
}
