import { z } from 'zod';
import { MAX_SERIES_HOURS } from '../kpi/series.ts';
import { tenantIdSchema } from './tenant.ts';
import { instantSchema, queryInt } from './values.ts';

/** GET /api/ami/kpi/quickcheck. */
export const quickcheckQuerySchema = z.strictObject({
  tenantId: tenantIdSchema,
  readAt: instantSchema.optional().meta({ description: 'A past interval (its end, on the tenant’s boundary); the latest by default.' }),
  asOf: instantSchema
    .optional()
    .meta({ description: 'Answer as the data stood at this instant (only the reads received by then); without readAt, the interval then newest.' }),
});

/** GET /api/ami/kpi/series. */
export const seriesQuerySchema = z.strictObject({
  tenantId: tenantIdSchema,
  hours: queryInt(z.int().min(1, 'must be at least 1').max(MAX_SERIES_HOURS, `must be at most ${MAX_SERIES_HOURS}`), {
    digits: 3,
    message: 'must be a whole number of hours',
  })
    .default(24)
    .meta({ description: `Hours back from the latest interval (1-${MAX_SERIES_HOURS}, default 24).` }),
});
