import { EventEmitter } from 'node:events';
import { run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import { queueCatchUp } from '../auto/catchUp.ts';
import type { Config } from '../config.ts';
import { enabledTenants } from '../db/autoConfig.ts';
import { workerLogger } from '../db/migrate.ts';
import type { Pool } from '../db/pool.ts';
import { TASKS } from '../db/queue.ts';
import type { Logger } from '../logger.ts';
import { cronItems } from './crontab.ts';
import { Liveness } from './liveness.ts';
import { catchUpTask } from './tasks/catchUp.ts';
import { pruneTask } from './tasks/prune.ts';
import { publishBatchTask } from './tasks/publishBatch.ts';
import { tickTask } from './tasks/tick.ts';

export interface WorkerDeps {
  pool: Pool;
  config: Config;
  logger: Logger;
  /** The wall clock, for catch-up; tests pass a simulated one. */
  now?: () => Date;
}

export function taskList(deps: WorkerDeps): TaskList {
  const ingest = { pool: deps.pool, logger: deps.logger, caps: deps.config.caps };
  const now = deps.now ?? (() => new Date());
  return {
    [TASKS.publishBatch]: publishBatchTask(ingest),
    [TASKS.tick]: tickTask(ingest),
    [TASKS.catchUp]: catchUpTask({ ...ingest, now }),
    [TASKS.prune]: pruneTask({ pool: deps.pool, logger: deps.logger, retentionDays: deps.config.retentionDays, now }),
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
 * release this one's locks if it dies (see Liveness). On start it queues a
 * catch-up of every tenant in automatic mode.
 */
export async function startWorker(deps: WorkerDeps): Promise<WorkerHandle> {
  const { pool, logger, config } = deps;
  const liveness = new Liveness(pool, logger);
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
      logger: workerLogger(logger),
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

  await launch();
  liveness.start();
  try {
    await liveness.reap();
    const tenants = await enabledTenants(pool);
    await queueCatchUp(deps, tenants.map((t) => t.tenantId));
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
