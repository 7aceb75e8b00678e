import { parseCronItems, type ParsedCronItem } from 'graphile-worker';
import { TASKS } from '../db/queue.ts';

/**
 * The one crontab entry of the service. Its identifier is pinned: Graphile
 * Worker records each (identifier, slot) it fires in one statement with the
 * job, so however many worker processes run, each slot fires once. Changing
 * the identifier would make it a new entry.
 */
export const TICK_CRONTAB_ID = 'ami_tick';

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
  ]);
}
