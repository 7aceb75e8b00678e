import { z } from 'zod';
import { ALLOWED_INTERVAL_MINUTES } from '../emulator/index.ts';

/**
 * Input shapes shared by several routes and tasks. Objects are strict:
 * an unknown field is an error, not something silently ignored.
 */
export const tenantIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1-64 letters, digits, _ or -, starting with a letter or digit');

export const intervalMinutesSchema = z.union(
  ALLOWED_INTERVAL_MINUTES.map((minutes) => z.literal(minutes)),
  { error: `must be one of ${ALLOWED_INTERVAL_MINUTES.join(', ')}` },
);

/** Largest PostgreSQL `integer`: every count and id here is stored as one. */
export const MAX_INT4 = 2_147_483_647;

/** A positive whole number; in a query string, its decimal form. */
export const positiveInt = (max = MAX_INT4) =>
  z.int({ error: 'must be a whole number' }).min(1, 'must be at least 1').max(max, `must be at most ${max}`);

/** An ISO 8601 instant with an explicit offset or Z, as a Date. */
export const instantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-11-28T10:15:00Z' })
  .transform((value) => new Date(value));
