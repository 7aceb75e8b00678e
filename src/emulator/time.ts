/**
 * Interval alignment in UTC. Every `read_at` is the END of an interval and sits on a
 * boundary that is a whole multiple of the interval length since the Unix epoch; because
 * the interval divides a day and JavaScript time has no leap seconds, these are the same
 * boundaries as "multiples of the interval since midnight UTC".
 */

/** Interval lengths the product accepts from operators (spec section 2). */
export const ALLOWED_INTERVAL_MINUTES = [15, 30, 60] as const;
export type IntervalMinutes = 15 | 30 | 60;

export const MINUTE_MS = 60_000;
export const QUARTER_HOUR_MS = 15 * MINUTE_MS;
const MINUTES_PER_DAY = 1440;

/** True for the interval lengths an operator may configure (15, 30, 60). */
export function isAllowedIntervalMinutes(value: unknown): value is IntervalMinutes {
  return (ALLOWED_INTERVAL_MINUTES as readonly unknown[]).includes(value);
}

/**
 * Length of an interval in milliseconds. Any positive whole divisor of a day is accepted
 * here (tests use 1 or 5 minutes); the API narrows that to {@link ALLOWED_INTERVAL_MINUTES}.
 * @throws RangeError naming the allowed values otherwise.
 */
export function intervalMs(intervalMinutes: number): number {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes <= 0 || MINUTES_PER_DAY % intervalMinutes !== 0) {
    throw new RangeError(
      `intervalMinutes must be one of ${ALLOWED_INTERVAL_MINUTES.join(', ')} ` +
        `(or another whole number of minutes that divides a day); got ${String(intervalMinutes)}`,
    );
  }
  return intervalMinutes * MINUTE_MS;
}

function timeOf(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid Date; got ${String(date)}`);
  return ms;
}

/**
 * The newest interval boundary at or before `now` (floor, UTC):
 * 10:14:59.999 -> 10:00, 10:15:00.000 -> 10:15 for 15-minute intervals.
 */
export function getAlignedIntervalTimestamp(intervalMinutes: number, now: Date): Date {
  const step = intervalMs(intervalMinutes);
  const ms = timeOf(now, 'now');
  return new Date(Math.floor(ms / step) * step);
}

/** Whether `readAt` lies exactly on a boundary of `intervalMinutes` (false for an invalid Date). */
export function isAlignedTo(readAt: Date, intervalMinutes: number): boolean {
  const step = intervalMs(intervalMinutes);
  const ms = readAt instanceof Date ? readAt.getTime() : Number.NaN;
  return Number.isFinite(ms) && ms % step === 0;
}

/** The first boundary strictly after `now` (an aligned `now` gives the next one). */
export function nextIntervalBoundary(intervalMinutes: number, now: Date): Date {
  const step = intervalMs(intervalMinutes);
  const ms = timeOf(now, 'now');
  return new Date(Math.floor(ms / step) * step + step);
}

/**
 * The `count` intervals ending at `latest`, oldest first, `latest` included
 * (what a catch-up of `count` intervals revisits).
 * @throws RangeError when `latest` is not aligned or `count` is not a whole number >= 0.
 */
export function recentIntervals(latest: Date, count: number, intervalMinutes: number): Date[] {
  const step = intervalMs(intervalMinutes);
  const latestMs = timeOf(latest, 'latest');
  if (latestMs % step !== 0) {
    throw new RangeError(`latest must be aligned to ${intervalMinutes} minutes; got ${latest.toISOString()}`);
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a whole number >= 0; got ${String(count)}`);
  }
  const intervals: Date[] = [];
  for (let i = count - 1; i >= 0; i--) intervals.push(new Date(latestMs - i * step));
  return intervals;
}
