import { z } from 'zod';

/** A query string with no parameters (any parameter is refused as unknown). */
export const noQuerySchema = z.strictObject({});

/** Largest PostgreSQL `integer`: every count and id here is stored as one. */
export const MAX_INT4 = 2_147_483_647;

/** A positive whole number; in a query string, its decimal form. */
export const positiveInt = (max = MAX_INT4) => z.int({ error: 'must be a whole number' }).min(1, 'must be at least 1').max(max, `must be at most ${max}`);

/** A whole number written in a query string (at most `digits` digits), parsed and then checked by `then`. */
export const queryInt = <T extends z.ZodType<unknown, number>>(then: T, options: { digits?: number; message?: string } = {}) =>
  z
    .string()
    .regex(new RegExp(`^\\d{1,${options.digits ?? 9}}$`), options.message ?? 'must be a whole number')
    .transform(Number)
    .pipe(then);

// Date and time with a zone: seconds and their fraction optional (2026-11-28T10:15Z is an instant too).
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,9}))?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const INSTANT_EXAMPLE = 'e.g. 2026-11-28T10:15:00Z or 2026-11-28T04:15-06:00';

/**
 * An ISO 8601 instant with Z or an offset, as a Date. A fraction finer than a
 * millisecond is refused rather than cut off: a readAt 1 microsecond after
 * 10:15 is not 10:15.
 */
export const instantSchema = z.string({ error: `must be an ISO 8601 date-time with a time zone, ${INSTANT_EXAMPLE}` }).transform((value, ctx) => {
  const match = INSTANT.exec(value);
  const date = match ? new Date(value) : undefined;
  if (!match || !date || Number.isNaN(date.getTime()) || !sameCalendarDate(value, date)) {
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 date-time with a time zone, ${INSTANT_EXAMPLE}` });
    return z.NEVER;
  }
  if (/[1-9]/.test(match[1]?.slice(3) ?? '')) {
    ctx.addIssue({ code: 'custom', message: 'has a fraction finer than a millisecond; instants here are exact to the millisecond' });
    return z.NEVER;
  }
  return date;
});

/** Refuses dates the parser would roll over (2026-02-30 as March 2). */
function sameCalendarDate(text: string, date: Date): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const offsetMatch = /(Z|[+-]\d{2}:\d{2})$/i.exec(text)![1]!;
  const offsetMinutes =
    offsetMatch.toUpperCase() === 'Z' ? 0 : (offsetMatch.startsWith('-') ? -1 : 1) * (Number(offsetMatch.slice(1, 3)) * 60 + Number(offsetMatch.slice(4)));
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  return local.getUTCFullYear() === year && local.getUTCMonth() + 1 === month && local.getUTCDate() === day;
}
