import { parseCronItems, type ParsedCronItem } from 'graphile-worker';
import { TASKS } from '../db/queue.ts';

/**
 * The crontab of the service: the scheduler, the retention and the
 * collection sweep. Identifiers
 * are pinned: Graphile Worker records each (identifier, slot) it fires in one
 * statement with the job, so however many worker processes run, each slot
 * fires once. Changing an identifier would make it a new entry.
 */
export const TICK_CRONTAB_ID = 'ami_tick';
/** The retention entry: hourly, at minute 7, off the quarter-hour boundaries the ticks take. */
export const PRUNE_CRONTAB_ID = 'ami_prune';
export const PRUNE_CRON = '7 * * * *';
/** The collection sweep: every minute, so meter events and due reads are in within a minute. */
export const COLLECT_CRONTAB_ID = 'ami_collect';
export const COLLECT_CRON = '* * * * *';

export function cronItems(pattern: string): ParsedCronItem[] {
  return parseCronItems([
    {
      task: TASKS.tick,
      match: pattern,
      identifier: TICK_CRONTAB_ID,
      payload: { crontabId: TICK_CRONTAB_ID },
      // Missed slots are not backfilled here: catch-up re-publishes whatever
      // is missing, with the caps and the backpressure rule.
      options: { backfillPeriod: 0, maxAttempts: 5 },
    },
    {
      task: TASKS.prune,
      match: PRUNE_CRON,
      identifier: PRUNE_CRONTAB_ID,
      // One pending prune is enough: a slow one is not stacked behind another.
      options: { backfillPeriod: 0, maxAttempts: 3, jobKey: PRUNE_CRONTAB_ID, jobKeyMode: 'preserve_run_at' },
    },
    {
      task: TASKS.collect,
      match: COLLECT_CRON,
      identifier: COLLECT_CRONTAB_ID,
      // Likewise one pending sweep; a missed minute is caught by the next one.
      options: { backfillPeriod: 0, maxAttempts: 1, jobKey: COLLECT_CRONTAB_ID, jobKeyMode: 'preserve_run_at' },
    },
  ]);
}
