/**
 * Wall-clock arithmetic in an IANA time zone through `Intl` (the runtime's ICU time zone
 * data, no library): the UTC offset in force at an instant, the instants where it
 * changes, and where each local day starts. Pure: no clock, every instant is a parameter.
 * Instants are epoch milliseconds; offsets are seconds east of UTC (Chicago in winter is
 * -21600), as ESPI writes them. The wall clock itself is the emulator's (one formatter cache).
 */
import { type WallClock, wallClock } from '../emulator/localTime.ts';
import { canonicalTimeZone } from '../emulator/tenant.ts';

/** The local date and time shown by a clock in `timeZone` at `ms` (whole seconds). */
export { type WallClock, wallClock as wallClockAt };

/** One change of the UTC offset: the offset is `offsetBefore` until `atMs`, `offsetAfter` from it. */
export interface OffsetTransition {
  atMs: number;
  offsetBefore: number;
  offsetAfter: number;
}

/** A local calendar day: [startMs, endMs), 23 or 25 hours long on a DST change. */
export interface LocalDay {
  /** The local date, `YYYY-MM-DD`. */
  date: string;
  startMs: number;
  endMs: number;
}

const SECOND_MS = 1000;
const HOUR_S = 3600;
const DAY_MS = 86_400_000;
/** Probe step when looking for offset changes: shorter than any gap between two changes in the tz database since 1970. */
const TRANSITION_PROBE_MS = 6 * HOUR_S * SECOND_MS;

/** @throws RangeError when the runtime does not know `timeZone` as an IANA time zone name. */
export function assertTimeZone(timeZone: string): void {
  if (canonicalTimeZone(timeZone) === undefined) {
    throw new RangeError(`timeZone must be an IANA time zone name such as America/Chicago; got ${JSON.stringify(timeZone)}`);
  }
}

/** The UTC offset in force at `ms`, in seconds east of UTC. */
export function utcOffsetSeconds(timeZone: string, ms: number): number {
  const c = wallClock(timeZone, ms);
  const wallMs = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second);
  return Math.round((wallMs - Math.floor(ms / SECOND_MS) * SECOND_MS) / SECOND_MS);
}

/** The offset changes in [startMs, endMs), oldest first, each located to the second. */
export function offsetTransitions(timeZone: string, startMs: number, endMs: number): OffsetTransition[] {
  const transitions: OffsetTransition[] = [];
  let probeMs = startMs;
  let probeOffset = utcOffsetSeconds(timeZone, probeMs);
  while (probeMs < endMs) {
    const nextMs = Math.min(probeMs + TRANSITION_PROBE_MS, endMs);
    const nextOffset = utcOffsetSeconds(timeZone, nextMs);
    if (nextOffset !== probeOffset) {
      // Bisect on whole seconds: the offset is probeOffset at lo, something else at hi.
      let lo = Math.floor(probeMs / SECOND_MS);
      let hi = Math.ceil(nextMs / SECOND_MS);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (utcOffsetSeconds(timeZone, mid * SECOND_MS) === probeOffset) lo = mid;
        else hi = mid;
      }
      const atMs = hi * SECOND_MS;
      if (atMs < endMs) transitions.push({ atMs, offsetBefore: probeOffset, offsetAfter: utcOffsetSeconds(timeZone, atMs) });
    }
    probeMs = nextMs;
    probeOffset = nextOffset;
  }
  return transitions;
}

function dateKey(year: number, month: number, day: number): number {
  return year * 10_000 + month * 100 + day;
}

/** `YYYY-MM-DD` for a calendar date. */
export function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The first instant whose local date is `year-month-day` (local midnight, or the end of
 * the gap where a zone skips midnight). Bisects between 16 hours before midnight UTC of
 * that date (local time is then still the day before, as no offset exceeds +14:00) and
 * 16 hours after it (local time is then that day or later, as none is below -12:00).
 */
export function localDayStart(timeZone: string, year: number, month: number, day: number): number {
  const target = dateKey(year, month, day);
  const isOnOrAfter = (seconds: number) => {
    const c = wallClock(timeZone, seconds * SECOND_MS);
    return dateKey(c.year, c.month, c.day) >= target;
  };
  const midnightUtcS = Date.UTC(year, month - 1, day) / SECOND_MS;
  let lo = midnightUtcS - 16 * HOUR_S;
  let hi = midnightUtcS + 16 * HOUR_S;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (isOnOrAfter(mid)) hi = mid;
    else lo = mid;
  }
  return hi * SECOND_MS;
}

/**
 * The local days that overlap [startMs, endMs), oldest first. They tile time: each day
 * ends where the next starts. A date a zone skipped altogether (Pacific/Apia, 2011-12-30)
 * is left out.
 */
export function localDays(timeZone: string, startMs: number, endMs: number): LocalDay[] {
  const days: LocalDay[] = [];
  const first = wallClock(timeZone, startMs);
  let date = new Date(Date.UTC(first.year, first.month - 1, first.day));
  let dayStartMs = localDayStart(timeZone, first.year, first.month, first.day);
  while (dayStartMs < endMs) {
    const next = new Date(date.getTime() + DAY_MS);
    const nextStartMs = localDayStart(timeZone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
    if (nextStartMs > dayStartMs) {
      days.push({
        date: formatDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()),
        startMs: dayStartMs,
        endMs: nextStartMs,
      });
    }
    date = next;
    dayStartMs = nextStartMs;
  }
  return days;
}
