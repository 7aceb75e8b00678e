import { EventEmitter } from 'node:events';
import { run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import { queueCatchUp } from '../auto/catchUp.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { enabledTenants } from '../db/autoConfig.ts';
import { maintainPartitions } from '../db/retention.ts';
import type { Pool } from '../db/pool.ts';
import { TASKS } from '../db/queue.ts';
import type { Deps } from '../deps.ts';
import { graphileWorkerLogger, type Logger } from '../logger.ts';
import { cronItems } from './crontab.ts';
import { Liveness } from './liveness.ts';
import { catchUpTask } from './tasks/catchUp.ts';
import { collectTask } from './tasks/collect.ts';
import { deliverTask } from './tasks/deliver.ts';
import { pruneTask } from './tasks/prune.ts';
import { publishBatchTask } from './tasks/publishBatch.ts';
import { schedulerSlotTask } from './tasks/schedulerSlot.ts';

export interface WorkerDeps {
  pool: Pool;
  config: Config;
  logger: Logger;
  /** The service's clock; tests pass a set one. */
  clock?: Clock;
  /** For the heartbeat thread's own connection. */
  connectionString: string;
}

export function taskList(workerDeps: Omit<WorkerDeps, 'connectionString'>): TaskList {
  const deps: Deps = {
    pool: workerDeps.pool,
    logger: workerDeps.logger,
    caps: workerDeps.config.caps,
    clock: workerDeps.clock ?? systemClock,
    retentionDays: workerDeps.config.retentionDays,
  };
  return {
    [TASKS.publishBatch]: publishBatchTask(deps),
    [TASKS.tick]: schedulerSlotTask(deps),
    [TASKS.catchUp]: catchUpTask(deps),
    [TASKS.prune]: pruneTask(deps),
    [TASKS.deliver]: deliverTask(deps),
    [TASKS.collect]: collectTask(deps),
  };
}

export interface WorkerHandle {
  /** Graceful: no new jobs, running ones finish, locks released. */
  stop(): Promise<void>;
}

const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;

/**
 * Graphile Worker as a library in this process, with the scheduler's crontab.
 * The app owns the signals and calls `stop()`, which waits for running jobs.
 * Completions are written at once (batch delay 0): with the default (-1) a
 * job finishing during a graceful shutdown stays locked for 4 hours.
 *
 * Supervised: Graphile Worker shuts its pool down when it cannot record
 * completions for minutes (a long database outage); the pool is then
 * started again, with backoff, after releasing its own locks, so the
 * service recovers without a restart. Heartbeats let other processes
 * release this one's locks if it dies (see Liveness). On start it makes the
 * reads' partitions of the coming days and queues a catch-up of every tenant
 * in automatic mode.
 */
export async function startWorker(deps: WorkerDeps): Promise<WorkerHandle> {
  const { pool, logger, config } = deps;
  const liveness = new Liveness(pool, deps.connectionString, logger);
  let stopping = false;
  let runner: Runner | undefined;
  let poolId: string | undefined;
  let restartDelay = RESTART_MIN_MS;

  const launch = async (): Promise<void> => {
    const events = new EventEmitter() as WorkerEvents;
    events.on('pool:create', ({ workerPool }) => {
      poolId = workerPool.id;
      void liveness.add(workerPool.id);
    });
    const started = await run({
      pgPool: pool,
      taskList: taskList(deps),
      parsedCronItems: cronItems(config.tickCron),
      concurrency: config.workerConcurrency,
      noHandleSignals: true,
      logger: graphileWorkerLogger(logger),
      events,
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    runner = started;
    const ended = (error?: unknown) => {
      if (stopping || runner !== started) return;
      logger.error({ err: error, workerId: poolId }, 'worker pool ended unexpectedly; restarting it');
      void relaunch(poolId);
    };
    started.promise.then(() => ended(), ended);
  };

  const relaunch = async (deadPoolId: string | undefined): Promise<void> => {
    while (!stopping) {
      await new Promise((resolve) => setTimeout(resolve, restartDelay));
      restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS);
      try {
        if (deadPoolId) {
          await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [[deadPoolId]]);
          await liveness.remove(deadPoolId);
          deadPoolId = undefined;
        }
        await launch();
        if (stopping) {
          // stop() ran while this pool was starting: it saw the dead one.
          await stopRunner();
          return;
        }
        restartDelay = RESTART_MIN_MS;
        logger.info({ workerId: poolId }, 'worker pool restarted');
        return;
      } catch (error) {
        logger.warn({ err: error, retryInMs: restartDelay }, 'worker pool restart failed');
      }
    }
  };

  /** Stops the current pool; one that already ended (waiting for its restart) has nothing to stop. */
  const stopRunner = async (): Promise<void> => {
    try {
      await runner?.stop();
    } catch (error) {
      if (!/already stopped/i.test(String((error as Error)?.message))) throw error;
    }
  };

  // The heartbeat thread first: a new pool beats before it takes its first job.
  liveness.start();
  try {
    await launch();
  } catch (error) {
    await liveness.stop();
    throw error;
  }
  try {
    await liveness.reap();
    // The partitions of today and the coming days, before the first tick lands (then hourly, ami_prune).
    await maintainPartitions(pool, (deps.clock ?? systemClock)()).catch((error: unknown) =>
      logger.warn({ err: error }, 'read partitions not made at start; the hourly maintenance tries again (reads land in the default partition meanwhile)'),
    );
    const tenants = await enabledTenants(pool);
    await queueCatchUp(
      deps,
      tenants.map((t) => t.tenantId),
    );
    logger.info({ concurrency: config.workerConcurrency, schedule: config.tickCron, catchUpTenants: tenants.length, workerId: poolId }, 'worker started');
  } catch (error) {
    stopping = true;
    await stopRunner();
    await liveness.stop();
    throw error;
  }

  return {
    async stop() {
      stopping = true;
      await stopRunner();
      await liveness.stop();
    },
  };
}
