import { run, type Runner, type TaskList } from 'graphile-worker';
import type { Config } from '../config.ts';
import { workerLogger } from '../db/migrate.ts';
import type { Pool } from '../db/pool.ts';
import { TASKS } from '../db/queue.ts';
import type { Logger } from '../logger.ts';
import { publishBatchTask } from './tasks/publishBatch.ts';

export interface WorkerDeps {
  pool: Pool;
  config: Config;
  logger: Logger;
}

export function taskList(deps: WorkerDeps): TaskList {
  const ingest = { pool: deps.pool, logger: deps.logger, caps: deps.config.caps };
  return {
    [TASKS.publishBatch]: publishBatchTask(ingest),
  };
}

/**
 * Graphile Worker as a library in this process. The app owns the signals
 * and calls `stop()`, which waits for running jobs. Completions are written
 * at once (batch delay 0): with the default (-1) a job finishing during a
 * graceful shutdown stays locked for 4 hours.
 */
export async function startWorker(deps: WorkerDeps): Promise<Runner> {
  const runner = await run({
    pgPool: deps.pool,
    taskList: taskList(deps),
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
  deps.logger.info({ concurrency: deps.config.workerConcurrency }, 'worker started');
  return runner;
}
