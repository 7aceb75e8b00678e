import type { Task } from 'graphile-worker';
import type { Pool } from '../../db/pool.ts';
import { pruneReads, retentionCutoff } from '../../db/retention.ts';
import type { Logger } from '../../logger.ts';

/**
 * `ami_prune` (crontab, hourly): deletes the reads older than
 * AMI_RETENTION_DAYS, so a service left running does not fill its disk
 * (a 25,000-meter fleet writes about 290 MB of reads and index a day).
 */
export function pruneTask(deps: { pool: Pool; logger: Logger; retentionDays: number; now: () => Date }): Task {
  return async () => {
    const before = retentionCutoff(deps.now(), deps.retentionDays);
    if (!before) return;
    const started = performance.now();
    const result = await pruneReads(deps.pool, before);
    if (result.readsDeleted > 0 || result.batchRowsDeleted > 0) {
      deps.logger.info({ ...result, retentionDays: deps.retentionDays, ms: Math.round(performance.now() - started) }, 'old reads pruned');
    }
  };
}
