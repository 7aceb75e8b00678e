import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { tenantIdSchema } from '../../api/schemas.ts';
import { catchUp } from '../../auto/catchUp.ts';
import type { IngestDeps } from '../../ingest/publishTick.ts';

const catchUpPayloadSchema = z.strictObject({ tenantId: tenantIdSchema });

/** `ami_catch_up`: re-publish one tenant's missing recent intervals, oldest first. */
export function catchUpTask(deps: IngestDeps & { now: () => Date }): Task {
  return async (payload, helpers) => {
    const parsed = catchUpPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      helpers.logger.error(`dropping ami_catch_up job ${helpers.job.id}: invalid payload: ${z.prettifyError(parsed.error)}`);
      return;
    }
    await catchUp(deps, parsed.data.tenantId, deps.now());
  };
}
