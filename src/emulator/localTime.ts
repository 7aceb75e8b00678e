/**
 * The tenant's local clock and calendar: wall-clock fields, UTC offset, daylight saving and the
 * day type (weekday, weekend, US federal holiday by its observed date), all by LOCAL date.
 * `read_at` stays UTC; only the load model looks at local time.
 *
 * Intl.DateTimeFormat is slow to build and a few microseconds per call, so there is one
 * formatter per time zone (cached) and the generator calls it a few times per batch, never per meter.
 */
import { canonicalTimeZone } from './tenant.ts';

export type DayType = 'weekday' | 'weekend' | 'holiday';

/** Wall-clock time in a time zone at one instant. */
export interface LocalTime {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** 0..23 */
  hour: number;
  /** 0..59 */
  minute: number;
  /** 0 = Sunday .. 6 = Saturday */
  dayOfWeek: number;
  /** Local minus UTC, minutes (America/Chicago: -360 in winter, -300 in summer). */
  utcOffsetMinutes: number;
  /** Daylight saving time in force (the offset is above the zone's standard offset that year). */
  isDst: boolean;
  dayType: DayType;
}

const DAY_MS = 86_400_000;
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  // Keyed by the canonical name, so spellings of one zone share a formatter and the cache stays small.
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) throw new RangeError(`timeZone must be an IANA time zone name; got ${String(timeZone)}`);
  let formatter = formatters.get(canonical);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: canonical,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(canonical, formatter);
  }
  return formatter;
}

/** What a clock in a time zone shows at one instant, with its weekday and UTC offset. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  dayOfWeek: number;
  utcOffsetMinutes: number;
}

/**
 * The wall clock of `timeZone` at `ms` (whole seconds), through one cached formatter per zone: the one place
 * that reads local time from Intl (the Green Button export's days and offsets come through it too).
 * @throws RangeError for a time zone Intl does not know.
 */
export function wallClock(timeZone: string, ms: number): WallClock {
  const clock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, dayOfWeek: 0, utcOffsetMinutes: 0 };
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case 'year':
        clock.year = Number(part.value);
        break;
      case 'month':
        clock.month = Number(part.value);
        break;
      case 'day':
        clock.day = Number(part.value);
        break;
      case 'hour':
        clock.hour = Number(part.value);
        break;
      case 'minute':
        clock.minute = Number(part.value);
        break;
      case 'second':
        clock.second = Number(part.value);
        break;
      case 'weekday':
        clock.dayOfWeek = WEEKDAYS[part.value] ?? 0;
        break;
    }
  }
  const wallMs = Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
  clock.utcOffsetMinutes = Math.round((wallMs - Math.floor(ms / 1000) * 1000) / 60_000);
  return clock;
}

const standardOffsets = new Map<string, number>();

/** The zone's standard (winter) offset in `year`: the smaller of its January and July offsets. */
export function standardOffsetMinutes(timeZone: string, year: number): number {
  const key = `${timeZone}|${year}`;
  let offset = standardOffsets.get(key);
  if (offset === undefined) {
    offset = Math.min(wallClock(timeZone, Date.UTC(year, 0, 1)).utcOffsetMinutes, wallClock(timeZone, Date.UTC(year, 6, 1)).utcOffsetMinutes);
    if (standardOffsets.size > 10_000) standardOffsets.clear();
    standardOffsets.set(key, offset);
  }
  return offset;
}

/** Days since 1970-01-01 of a calendar date (any time zone: it is a date, not an instant). */
export function epochDay(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** Day of week (0 = Sunday) of an epoch day; 1970-01-01 was a Thursday. */
export function dayOfWeekOf(epochDayNumber: number): number {
  return (((epochDayNumber + 4) % 7) + 7) % 7;
}

/** The nth (1-based) `dayOfWeek` of a month, or the last one for n = -1, as a day of the month. */
function nthWeekday(year: number, month: number, dayOfWeek: number, n: number): number {
  if (n > 0) {
    const first = dayOfWeekOf(epochDay(year, month, 1));
    return 1 + ((dayOfWeek - first + 7) % 7) + (n - 1) * 7;
  }
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = dayOfWeekOf(epochDay(year, month, lastDay));
  return lastDay - ((last - dayOfWeek + 7) % 7);
}

/**
 * A fixed-date holiday moved to its observed date (5 U.S.C. 6103(b)): Saturday to the Friday
 * before, Sunday to the Monday after. Returns the epoch day.
 */
function observed(year: number, month: number, day: number): number {
  const date = epochDay(year, month, day);
  const dow = dayOfWeekOf(date);
  return dow === 6 ? date - 1 : dow === 0 ? date + 1 : date;
}

const holidayCache = new Map<number, Map<number, string>>();

/**
 * US federal holidays observed in `year` (5 U.S.C. 6103), by epoch day: New Year's Day, Martin
 * Luther King Jr. Day (from 1986), Washington's Birthday, Memorial Day, Juneteenth (from 2021),
 * Independence Day, Labor Day, Columbus Day, Veterans Day, Thanksgiving, Christmas. A New Year's
 * Day on a Saturday is observed on Friday 31 December of the year before.
 */
export function federalHolidays(year: number): ReadonlyMap<number, string> {
  let holidays = holidayCache.get(year);
  if (holidays !== undefined) return holidays;
  holidays = new Map<number, string>();
  const add = (date: number, name: string) => {
    const d = new Date(date * DAY_MS);
    if (d.getUTCFullYear() === year) holidays!.set(date, name);
  };
  add(observed(year, 1, 1), "New Year's Day");
  add(observed(year + 1, 1, 1), "New Year's Day"); // may fall on 31 December of this year
  if (year >= 1986) add(epochDay(year, 1, nthWeekday(year, 1, 1, 3)), 'Martin Luther King Jr. Day');
  add(epochDay(year, 2, nthWeekday(year, 2, 1, 3)), "Washington's Birthday");
  add(epochDay(year, 5, nthWeekday(year, 5, 1, -1)), 'Memorial Day');
  if (year >= 2021) add(observed(year, 6, 19), 'Juneteenth National Independence Day');
  add(observed(year, 7, 4), 'Independence Day');
  add(epochDay(year, 9, nthWeekday(year, 9, 1, 1)), 'Labor Day');
  add(epochDay(year, 10, nthWeekday(year, 10, 1, 2)), 'Columbus Day');
  add(observed(year, 11, 11), 'Veterans Day');
  add(epochDay(year, 11, nthWeekday(year, 11, 4, 4)), 'Thanksgiving Day');
  add(observed(year, 12, 25), 'Christmas Day');
  if (holidayCache.size > 500) holidayCache.clear();
  holidayCache.set(year, holidays);
  return holidays;
}

/** The name of the federal holiday observed on this calendar date, or undefined. */
export function federalHolidayOn(year: number, month: number, day: number): string | undefined {
  return federalHolidays(year).get(epochDay(year, month, day));
}

/** Day type of a calendar date given as an epoch day: holiday first, then weekend, else weekday. */
export function dayTypeOf(epochDayNumber: number): DayType {
  const year = new Date(epochDayNumber * DAY_MS).getUTCFullYear();
  if (federalHolidays(year).has(epochDayNumber)) return 'holiday';
  const dow = dayOfWeekOf(epochDayNumber);
  return dow === 0 || dow === 6 ? 'weekend' : 'weekday';
}

/**
 * Wall-clock time, DST and day type in `timeZone` at `instant`.
 * @throws RangeError for a time zone Intl does not know or an invalid Date.
 */
export function localTime(timeZone: string, instant: Date): LocalTime {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`instant must be a valid Date; got ${String(instant)}`);
  return localTimeAt(timeZone, ms);
}

/** {@link localTime} at epoch milliseconds. */
export function localTimeAt(timeZone: string, ms: number): LocalTime {
  const clock = wallClock(timeZone, ms);
  return {
    year: clock.year,
    month: clock.month,
    day: clock.day,
    hour: clock.hour,
    minute: clock.minute,
    dayOfWeek: clock.dayOfWeek,
    utcOffsetMinutes: clock.utcOffsetMinutes,
    isDst: clock.utcOffsetMinutes > standardOffsetMinutes(timeZone, clock.year),
    dayType: dayTypeOf(epochDay(clock.year, clock.month, clock.day)),
  };
}

/** Local wall-clock position of an instant: epoch day of the local date and hour of day (fractional). */
export interface LocalPosition {
  epochDay: number;
  /** 0 <= hour < 24, with minutes and seconds as fractions. */
  hour: number;
  utcOffsetMinutes: number;
}

/** Where `ms` falls on the local calendar and clock of `timeZone` (one Intl call). */
export function localPosition(timeZone: string, ms: number): LocalPosition {
  const clock = wallClock(timeZone, ms);
  const secondsOfMinute = (ms - Math.floor(ms / 60_000) * 60_000) / 1000; // keeps sub-second and fractional seconds
  return {
    epochDay: epochDay(clock.year, clock.month, clock.day),
    hour: clock.hour + clock.minute / 60 + secondsOfMinute / 3600,
    utcOffsetMinutes: clock.utcOffsetMinutes,
  };
}
