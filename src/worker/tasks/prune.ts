import type { Task } from 'graphile-worker';
import { maintainPartitions, pruneReads } from '../../db/retention.ts';
import type { Deps } from '../../deps.ts';
import { retentionCutoff } from '../../domain/interval.ts';

/**
 * `ami_prune` (crontab, hourly): the reads' maintenance. It makes the daily
 * partitions of the coming days (and moves in any reads the default partition
 * caught), then drops the days older than AMI_RETENTION_DAYS, so a service
 * left running does not fill its disk.
 */
export function pruneTask(deps: Deps): Task {
  return async () => {
    const started = performance.now();
    const made = await maintainPartitions(deps.pool, deps.clock());
    if (made > 0) deps.logger.info({ partitionsMade: made, ms: Math.round(performance.now() - started) }, 'read partitions made');
    const before = retentionCutoff(deps.clock(), deps.retentionDays);
    if (!before) return;
    const pruneStarted = performance.now();
    const result = await pruneReads(deps.pool, before);
    if (result.readsDeleted > 0 || result.batchRowsDeleted > 0 || result.partitionsDropped.length > 0 || result.tablesDropped.length > 0) {
      deps.logger.info({ ...result, retentionDays: deps.retentionDays, ms: Math.round(performance.now() - pruneStarted) }, 'old reads pruned');
    }
  };
}
