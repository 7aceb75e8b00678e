import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { runSlot } from '../../auto/scheduler.ts';
import type { IngestDeps } from '../../ingest/publishTick.ts';

const tickPayloadSchema = z.object({
  crontabId: z.string().min(1).default('ami_tick'),
  _cron: z.object({ ts: z.iso.datetime({ offset: true }), backfilled: z.boolean().default(false) }),
});

/**
 * `ami_tick`: the crontab entry. The interval is the slot's scheduled time
 * (`_cron.ts`), never the clock when the job happens to run, so a job that
 * runs late still publishes its own slot.
 */
export function tickTask(deps: IngestDeps): Task {
  return async (payload, helpers) => {
    const parsed = tickPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      helpers.logger.error(`dropping ami_tick job ${helpers.job.id}: it must come from the crontab (_cron.ts): ${z.prettifyError(parsed.error)}`);
      return;
    }
    await runSlot(deps, {
      crontabId: parsed.data.crontabId,
      ts: new Date(parsed.data._cron.ts),
      backfilled: parsed.data._cron.backfilled,
      workerId: helpers.job.locked_by,
    });
  };
}
