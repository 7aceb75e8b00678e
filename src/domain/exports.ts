import { z } from 'zod';
import { tenantIdSchema } from './tenant.ts';
import { instantSchema, positiveInt, queryInt } from './values.ts';

/**
 * The export endpoints' queries (SPEC section 15): `from` and `to` are ISO
 * instants, `from` exclusive and `to` inclusive on `read_at` (a read names its
 * interval by the interval's end), so `from=D 00:00` to `to=D+1 00:00` is one
 * day of reads. Ranges are bounded so that one request is one bounded read;
 * the bounds are stated in the 400 that refuses a longer one.
 */
export const EXPORT_BOUNDS_DAYS = {
  /** Green Button of one meter: a month of a bill. */
  greenButtonMeter: 31,
  /** Green Button of a feeder (about 1,000 meters): a week, about 700,000 readings. */
  greenButtonFeeder: 7,
  /** CSV of a tenant, a feeder or a meter. */
  csv: 31,
} as const;

const DAY_MS = 86_400_000;

const fromField = instantSchema.meta({
  description: 'Start of the range, exclusive on read_at (an ISO 8601 instant with a zone).',
  example: '2026-11-27T06:00:00Z',
});
const toField = instantSchema.meta({ description: 'End of the range, inclusive on read_at.', example: '2026-11-28T06:00:00Z' });
const meterIdField = queryInt(positiveInt(), { digits: 10, message: 'must be a positive whole number (a meter id)' });
const feederIdField = queryInt(positiveInt(), { digits: 10, message: 'must be a positive whole number (a feeder id)' });

/** Refuses from >= to and a range longer than `maxDays`, naming the bound and what it applies to. */
function checkRange(range: { from: Date; to: Date }, ctx: z.RefinementCtx, maxDays: number, what: string): void {
  const spanMs = range.to.getTime() - range.from.getTime();
  if (spanMs <= 0) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `must be after from (${range.from.toISOString()}): reads are taken in (from, to]` });
  } else if (spanMs > maxDays * DAY_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `is ${(spanMs / DAY_MS).toFixed(2).replace(/\.?0+$/, '')} days after from; ${what} covers at most ${maxDays} days: ask for the range in parts`,
    });
  }
}

/** GET /api/ami/greenbutton: one meter (up to 31 days) or every meter of a feeder (up to 7 days). */
export const greenButtonQuerySchema = z
  .strictObject({
    tenantId: tenantIdSchema,
    meterId: meterIdField.optional().meta({ description: 'One meter; give meterId or feederId, not both.' }),
    feederId: feederIdField.optional().meta({ description: 'Every meter of a feeder, in meter order; give meterId or feederId, not both.' }),
    from: fromField,
    to: toField,
  })
  .superRefine((query, ctx) => {
    if ((query.meterId === undefined) === (query.feederId === undefined)) {
      const message = query.meterId === undefined ? 'give meterId (one meter) or feederId (every meter of a feeder)' : 'give meterId or feederId, not both';
      for (const path of ['meterId', 'feederId']) ctx.addIssue({ code: 'custom', path: [path], message });
      return;
    }
    const meter = query.meterId !== undefined;
    checkRange(
      query,
      ctx,
      meter ? EXPORT_BOUNDS_DAYS.greenButtonMeter : EXPORT_BOUNDS_DAYS.greenButtonFeeder,
      meter ? 'a Green Button export of one meter' : 'a Green Button export of a feeder',
    );
  });
export type GreenButtonQuery = z.output<typeof greenButtonQuerySchema>;

/** GET /api/ami/reads.csv: a tenant's reads, optionally of one feeder and/or one meter, up to 31 days. */
export const readsCsvQuerySchema = z
  .strictObject({
    tenantId: tenantIdSchema,
    from: fromField,
    to: toField,
    feederId: feederIdField.optional().meta({ description: 'Only the reads of this feeder.' }),
    meterId: meterIdField.optional().meta({ description: 'Only the reads of this meter (with feederId: the meter must be on that feeder).' }),
  })
  .superRefine((query, ctx) => checkRange(query, ctx, EXPORT_BOUNDS_DAYS.csv, 'a CSV export'));
export type ReadsCsvQuery = z.output<typeof readsCsvQuerySchema>;
