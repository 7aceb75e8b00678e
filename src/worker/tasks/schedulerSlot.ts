import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runSlot } from '../../auto/scheduler.ts';
import { TASKS } from '../../db/queue.ts';
import type { Deps } from '../../deps.ts';
import { withPayload } from './withPayload.ts';

const slotPayloadSchema = z.object({
  crontabId: z.string().min(1).default('ami_tick'),
  _cron: z.object({ ts: z.iso.datetime({ offset: true }), backfilled: z.boolean().default(false) }),
});

/**
 * `ami_tick`, the crontab entry: one scheduler slot (it publishes a tick, a
 * ledger row, per enabled tenant). The interval is the slot's scheduled time
 * (`_cron.ts`), never the clock when the job happens to run, so a job that
 * runs late still publishes its own slot.
 */
export function schedulerSlotTask(deps: Deps): Task {
  return withPayload(
    TASKS.tick,
    slotPayloadSchema,
    (payload, helpers) =>
      runSlot(deps, { crontabId: payload.crontabId, ts: new Date(payload._cron.ts), backfilled: payload._cron.backfilled, workerId: helpers.job.locked_by }),
    'it must come from the crontab (_cron.ts)',
  );
}
