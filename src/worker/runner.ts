import { run, type Runner, type TaskList } from 'graphile-worker';
import { queueCatchUp } from '../auto/catchUp.ts';
import type { Config } from '../config.ts';
import { enabledTenants } from '../db/autoConfig.ts';
import { workerLogger } from '../db/migrate.ts';
import type { Pool } from '../db/pool.ts';
import { TASKS } from '../db/queue.ts';
import type { Logger } from '../logger.ts';
import { cronItems } from './crontab.ts';
import { catchUpTask } from './tasks/catchUp.ts';
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
  return {
    [TASKS.publishBatch]: publishBatchTask(ingest),
    [TASKS.tick]: tickTask(ingest),
    [TASKS.catchUp]: catchUpTask({ ...ingest, now: deps.now ?? (() => new Date()) }),
  };
}

/**
 * Graphile Worker as a library in this process, with the scheduler's crontab.
 * The app owns the signals and calls `stop()`, which waits for running jobs.
 * Completions are written at once (batch delay 0): with the default (-1) a
 * job finishing during a graceful shutdown stays locked for 4 hours.
 * On start it queues a catch-up of every tenant in automatic mode.
 */
export async function startWorker(deps: WorkerDeps): Promise<Runner> {
  const runner = await run({
    pgPool: deps.pool,
    taskList: taskList(deps),
    parsedCronItems: cronItems(deps.config.tickCron),
    concurrency: deps.config.workerConcurrency,
    noHandleSignals: true,
    logger: workerLogger(deps.logger),
    preset: {
      worker: {
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  });
  try {
    const tenants = await enabledTenants(deps.pool);
    await queueCatchUp(deps, tenants.map((t) => t.tenantId));
    deps.logger.info({ concurrency: deps.config.workerConcurrency, schedule: deps.config.tickCron, catchUpTenants: tenants.length }, 'worker started');
  } catch (error) {
    await runner.stop();
    throw error;
  }
  return runner;
}
