import { z } from 'zod';
import { EVENT_TYPES } from '../emulator/index.ts';
import { tenantIdSchema } from './tenant.ts';
import { instantSchema, positiveInt, queryInt } from './values.ts';

/** Longest event given by durationMinutes: a year. */
export const MAX_DURATION_MINUTES = 525_600;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

const eventFields = {
  tenantId: tenantIdSchema,
  feederId: positiveInt(),
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  severity: z
    .number({ error: 'must be a number in (0, 1]' })
    .gt(0, 'must be greater than 0 (severity is in (0, 1])')
    .max(1, 'must be at most 1 (severity is in (0, 1])'),
  startsAt: instantSchema.optional().meta({ description: 'When the event starts; now by default.' }),
  endsAt: instantSchema.optional().meta({ description: 'When it ends (exclusive); open-ended when neither endsAt nor durationMinutes is given.' }),
  durationMinutes: positiveInt(MAX_DURATION_MINUTES).optional().meta({ description: 'Instead of endsAt: the event ends this many minutes after startsAt.' }),
  backfill: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .meta({ description: 'comms-outage only: send the withheld reads once it ends (true, the default) or lose them (false).' }),
};

/** POST /api/ami/events. */
export const eventCreateSchema = z.strictObject(eventFields).superRefine((value, ctx) => {
  if (value.endsAt !== undefined && value.durationMinutes !== undefined) {
    for (const path of ['endsAt', 'durationMinutes']) {
      ctx.addIssue({ code: 'custom', path: [path], message: 'give endsAt or durationMinutes, not both' });
    }
  }
  if (value.backfill !== undefined && value.type !== 'comms-outage') {
    ctx.addIssue({ code: 'custom', path: ['backfill'], message: 'applies to comms-outage only (whether its withheld reads are sent once it ends)' });
  }
});

/** GET /api/ami/events. */
export const eventListQuerySchema = z.strictObject({
  tenantId: tenantIdSchema,
  active: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().meta({ description: 'true: only the events in force now.' }),
  feederId: queryInt(positiveInt()).optional(),
  limit: queryInt(positiveInt(MAX_LIST_LIMIT))
    .optional()
    .meta({ description: `Most events returned, newest first (default ${DEFAULT_LIST_LIMIT}, at most ${MAX_LIST_LIMIT}).` }),
});

/** The path of POST /api/ami/events/:id/end. */
export const eventIdParamsSchema = z.strictObject({
  id: queryInt(positiveInt(), { digits: 10, message: 'must be a positive whole number (the event id)' }),
});

/** The optional body of POST /api/ami/events/:id/end: a tenant that must own the event. */
export const eventEndSchema = z.strictObject({ tenantId: tenantIdSchema.optional() });
