import { z } from 'zod';
import { intervalMinutesSchema } from '../domain/interval.ts';
import { tenantIdSchema } from '../domain/tenant.ts';

/**
 * What `ami_publish_batch` receives: one slice of the fleet for one interval.
 * Jobs can be old or inserted by hand in SQL, so the task checks this at run time.
 */
export const batchPayloadSchema = z
  .strictObject({
    tenantId: tenantIdSchema,
    readAt: z.iso.datetime({ offset: true }),
    batchIndex: z.int().min(0),
    firstMeterId: z.int().min(1),
    lastMeterId: z.int().min(1),
    intervalMinutes: intervalMinutesSchema,
  })
  .refine((p) => p.lastMeterId >= p.firstMeterId, { message: 'lastMeterId must be >= firstMeterId', path: ['lastMeterId'] });
export type BatchPayload = z.infer<typeof batchPayloadSchema>;

/** What `ami_catch_up` receives. */
export const catchUpPayloadSchema = z.strictObject({ tenantId: tenantIdSchema });
