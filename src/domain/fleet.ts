import { z } from 'zod';
import { COLLECTION_PROFILES, canonicalTimeZone } from '../emulator/index.ts';
import { intervalMinutesSchema } from './interval.ts';
import { tenantIdSchema } from './tenant.ts';
import { instantSchema, positiveInt } from './values.ts';

/** The contract's defaults of a fleet (SPEC section 5), before the caps and the tenant's own values. */
export const CONTRACT_DEFAULTS = { meterCount: 25_000, feederCount: 25, batchSize: 500, intervalMinutes: 15, catchUpIntervals: 4 } as const;

/** Most feeders a fleet may have. */
export const MAX_FEEDERS = 10_000;
/** At most a week of intervals is re-published by a catch-up. */
export const MAX_CATCH_UP_INTERVALS = 672;

/** An IANA time zone name Node knows, as its canonical name (us/central: America/Chicago). */
export const timeZoneSchema = z.string({ error: 'must be an IANA time zone name such as America/Chicago' }).transform((name, ctx) => {
  const canonical = canonicalTimeZone(name);
  if (canonical === undefined) ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone name such as America/Chicago or Europe/Berlin' });
  return canonical ?? z.NEVER;
});

/** Share of homes with rooftop solar. */
export const solarShareSchema = z.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be at least 0').max(1, 'must be at most 1');

/** How the tenant's reads reach the head-end (src/emulator/collection.ts). */
export const collectionSchema = z.enum(COLLECTION_PROFILES, { error: `must be one of ${COLLECTION_PROFILES.join(', ')}` });

const fleetFields = {
  tenantId: tenantIdSchema,
  meterCount: positiveInt().optional(),
  feederCount: positiveInt(MAX_FEEDERS).optional(),
  batchSize: positiveInt().optional(),
  intervalMinutes: intervalMinutesSchema.optional(),
  /** Given at a tenant's first publish or auto start; fixed afterwards. */
  timeZone: timeZoneSchema.optional(),
  solarShare: solarShareSchema.optional(),
  collection: collectionSchema.optional(),
};

/** POST /api/ami/publish-once: omitted fields come from the tenant, else the contract (src/ingest/fleetDefaults.ts). */
export const publishOnceSchema = z.strictObject({ ...fleetFields, readAt: instantSchema.optional() });
export type PublishOnceInput = z.output<typeof publishOnceSchema>;

/** POST /api/ami/auto/start. */
export const autoStartSchema = z.strictObject({
  ...fleetFields,
  catchUpIntervals: z
    .int({ error: 'must be a whole number' })
    .min(0, 'must be at least 0')
    .max(MAX_CATCH_UP_INTERVALS, `must be at most ${MAX_CATCH_UP_INTERVALS} (a week of 15-minute intervals)`)
    .optional(),
});
export type AutoStartInput = z.output<typeof autoStartSchema>;
