import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { tenantIdSchema } from '../../api/schemas.ts';
import { publishBatch } from '../../ingest/publishBatch.ts';
import type { IngestDeps } from '../../ingest/publishTick.ts';

// Jobs can be old or inserted by hand in SQL: check the payload at run time.
export const batchPayloadSchema = z
  .strictObject({
    tenantId: tenantIdSchema,
    readAt: z.iso.datetime({ offset: true }),
    batchIndex: z.int().min(0),
    firstMeterId: z.int().min(1),
    lastMeterId: z.int().min(1),
    intervalMinutes: z.union([z.literal(15), z.literal(30), z.literal(60)]),
  })
  .refine((p) => p.lastMeterId >= p.firstMeterId, { message: 'lastMeterId must be >= firstMeterId', path: ['lastMeterId'] });

/** `ami_publish_batch`: one slice of the fleet for one interval. */
export function publishBatchTask(deps: Pick<IngestDeps, 'pool' | 'logger'>): Task {
  return async (payload, helpers) => {
    const parsed = batchPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      // Retrying cannot fix a malformed payload: log it and drop the job.
      helpers.logger.error(`dropping ami_publish_batch job ${helpers.job.id}: invalid payload: ${z.prettifyError(parsed.error)}`);
      return;
    }
    await publishBatch(deps, parsed.data);
  };
}
