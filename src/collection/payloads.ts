import { z } from 'zod';
import { tenantIdSchema } from '../domain/tenant.ts';

/** What `ami_deliver` receives: the reads of one interval of one tenant that are due. */
export const deliverPayloadSchema = z.strictObject({
  tenantId: tenantIdSchema,
  readAt: z.iso.datetime({ offset: true }),
});
export type DeliverPayload = z.infer<typeof deliverPayloadSchema>;
