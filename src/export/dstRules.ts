/**
 * ESPI `LocalTimeParameters` (schema type TimeConfiguration) for an IANA time zone:
 * the standard offset, the DST offset, and the DST start and end rules encoded as ESPI
 * `DstRuleType` bit fields. The rules are derived from the transitions the runtime's
 * time zone data actually has (found with `Intl`), not from a table of zones.
 *
 * `DstRuleType` layout (usage.xsd), a 32-bit value written as 8 hex digits:
 *
 * | bits  | field                                              |
 * | ----- | -------------------------------------------------- |
 * | 0-11  | seconds after the hour, 0-3599                     |
 * | 12-16 | hour, 0-23                                         |
 * | 17-19 | day of the week, 1 Monday ... 7 Sunday (0 = n/a)   |
 * | 20-24 | day of the month, 1-31 (0 = n/a)                   |
 * | 25-27 | operator (below)                                   |
 * | 28-31 | month, 1-12                                        |
 *
 * Operators: 0 on the day of the month; 1 on the first day-of-week on or after the day of
 * the month; 2-6 on the first to fifth day-of-week of the month; 7 on the last day-of-week
 * of the month. 0xFFFFFFFF means "no DST correction".
 *
 * The time of day is the local wall-clock time in force just before the change (standard
 * time for the start, daylight time for the end), which is how the rules are stated: the
 * US changes at 02:00 both ways (start 0x360E2000 "second Sunday of March 02:00", end
 * 0xB40E2000 "first Sunday of November 02:00", the values of the Green Button sample
 * feed and of the utilities' feeds), the EU at 02:00 CET and 03:00 CEST (01:00 UTC).
 */

import { localDayStart, offsetTransitions, type OffsetTransition, utcOffsetSeconds, wallClockAt } from './localTime.ts';

/** The rule value that switches DST correction off (usage.xsd, DstRuleType). */
export const DST_RULE_DISABLED = 0xffffffff;

/** DstRuleType operators (bits 25-27). */
export const DstRuleOperator = {
  dayOfMonth: 0,
  dayOfWeekOnOrAfter: 1,
  first: 2,
  second: 3,
  third: 4,
  fourth: 5,
  fifth: 6,
  last: 7,
} as const;

export interface DstRule {
  /** 1-12 */
  month: number;
  /** {@link DstRuleOperator} */
  operator: number;
  /** 1-31, or 0 when the operator does not use it */
  dayOfMonth: number;
  /** 1 Monday ... 7 Sunday, or 0 when the operator does not use it */
  dayOfWeek: number;
  /** 0-23, local wall clock before the change */
  hour: number;
  /** 0-3599 seconds after the hour */
  seconds: number;
}

export interface LocalTimeParameters {
  /** The year whose changes the rules were derived from. */
  year: number;
  /** Standard time offset from UTC, seconds (the smaller of the zone's two offsets that year). */
  tzOffset: number;
  /** Daylight saving offset added to tzOffset while DST is in force, seconds; 0 without DST. */
  dstOffset: number;
  /** DstRuleType value; {@link DST_RULE_DISABLED} without DST. */
  dstStartRule: number;
  /** DstRuleType value; {@link DST_RULE_DISABLED} without DST. */
  dstEndRule: number;
}

function checkField(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`DST rule ${name} must be a whole number in ${min}-${max}; got ${String(value)}`);
  }
}

/** Packs a rule into its 32-bit DstRuleType value. */
export function encodeDstRule(rule: DstRule): number {
  checkField('month', rule.month, 1, 12);
  checkField('operator', rule.operator, 0, 7);
  checkField('dayOfMonth', rule.dayOfMonth, 0, 31);
  checkField('dayOfWeek', rule.dayOfWeek, 0, 7);
  checkField('hour', rule.hour, 0, 23);
  checkField('seconds', rule.seconds, 0, 3599);
  return ((rule.month << 28) | (rule.operator << 25) | (rule.dayOfMonth << 20) | (rule.dayOfWeek << 17) | (rule.hour << 12) | rule.seconds) >>> 0;
}

/** A DstRuleType value as ESPI writes it: 8 upper-case hex digits. */
export function formatDstRule(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 Monday ... 7 Sunday */
function isoWeekday(year: number, month: number, day: number): number {
  return ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
}

/** The day of the month a rule falls on in `year`, or undefined when it names none (a fifth Sunday a month lacks). */
function ruleDay(rule: DstRule, year: number): number | undefined {
  const length = daysInMonth(year, rule.month);
  const firstWeekday = (from: number) => from + ((rule.dayOfWeek - isoWeekday(year, rule.month, from) + 7) % 7);
  let day: number;
  if (rule.operator === DstRuleOperator.dayOfMonth) day = rule.dayOfMonth;
  else if (rule.operator === DstRuleOperator.dayOfWeekOnOrAfter) day = firstWeekday(rule.dayOfMonth);
  else if (rule.operator === DstRuleOperator.last) day = firstWeekday(length - 6);
  else day = firstWeekday(1) + 7 * (rule.operator - DstRuleOperator.first);
  return day <= length ? day : undefined;
}

/** Whether the zone changes from `change.offsetBefore` to `change.offsetAfter` exactly when `rule` says, in `year`. */
function ruleHolds(timeZone: string, rule: DstRule, change: OffsetTransition, year: number): boolean {
  const day = ruleDay(rule, year);
  if (day === undefined) return false;
  const atMs = Date.UTC(year, rule.month - 1, day, rule.hour, 0, rule.seconds) - change.offsetBefore * 1000;
  return utcOffsetSeconds(timeZone, atMs - 1000) === change.offsetBefore && utcOffsetSeconds(timeZone, atMs) === change.offsetAfter;
}

/** Years a candidate rule is checked against: a full 28-year cycle of weekdays and leap years. */
const RULE_CHECK_YEARS = 28;

/**
 * The rule that reproduces `change` (seen in `year`) in the most consecutive years from
 * `year` on. Candidates, in order of preference on a tie: the n-th weekday of the month
 * (the US form, and the sample's), the last weekday of the month (the EU form), the
 * weekday on or after a day of the month, a fixed day of the month. The weekday-based
 * forms are told apart by the following years (day 25-28 is both "fourth" and "last").
 */
function ruleFor(timeZone: string, change: OffsetTransition, year: number): DstRule {
  // The wall clock just before the change, read in the offset then in force.
  const before = new Date(change.atMs + change.offsetBefore * 1000);
  const month = before.getUTCMonth() + 1;
  const day = before.getUTCDate();
  const weekday = isoWeekday(before.getUTCFullYear(), month, day);
  const time = { hour: before.getUTCHours(), seconds: before.getUTCMinutes() * 60 + before.getUTCSeconds() };
  const occurrence = Math.ceil(day / 7);

  const candidates: DstRule[] = [];
  const nth = { month, dayOfMonth: 0, dayOfWeek: weekday, ...time, operator: DstRuleOperator.first + occurrence - 1 };
  if (occurrence <= 4) candidates.push(nth);
  if (day > daysInMonth(before.getUTCFullYear(), month) - 7)
    candidates.push({ month, dayOfMonth: 0, dayOfWeek: weekday, ...time, operator: DstRuleOperator.last });
  if (occurrence === 5) candidates.push(nth);
  for (let from = day; from > day - 7 && from >= 1; from--) {
    candidates.push({ month, dayOfMonth: from, dayOfWeek: weekday, ...time, operator: DstRuleOperator.dayOfWeekOnOrAfter });
  }
  candidates.push({ month, dayOfMonth: day, dayOfWeek: 0, ...time, operator: DstRuleOperator.dayOfMonth });

  let best = candidates[0]!;
  let bestYears = -1;
  for (const candidate of candidates) {
    let years = 0;
    while (years < RULE_CHECK_YEARS && ruleHolds(timeZone, candidate, change, year + years)) years++;
    if (years > bestYears) {
      best = candidate;
      bestYears = years;
    }
  }
  return best;
}

const cache = new Map<string, LocalTimeParameters>();

/**
 * LocalTimeParameters for `timeZone` in the local year of `at`. A zone with exactly one
 * change to a larger offset and one back by the same amount that year gets DST rules; any
 * other zone (no DST, a permanent change of offset, Morocco's four changes around
 * Ramadan) gets dstOffset 0, both rules {@link DST_RULE_DISABLED} and the offset in force
 * at `at` as tzOffset: ESPI rules cannot express it, and the feed's timestamps are UTC
 * anyway.
 */
export function localTimeParameters(timeZone: string, at: Date): LocalTimeParameters {
  const year = wallClockAt(timeZone, at.getTime()).year;
  const key = `${timeZone}\n${year}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const changes = offsetTransitions(timeZone, localDayStart(timeZone, year, 1, 1), localDayStart(timeZone, year + 1, 1, 1));
  const [first, second] = changes;
  let parameters: LocalTimeParameters;
  if (changes.length === 2 && first && second && first.offsetAfter - first.offsetBefore === second.offsetBefore - second.offsetAfter) {
    const start = first.offsetAfter > first.offsetBefore ? first : second;
    const end = start === first ? second : first;
    parameters = {
      year,
      tzOffset: start.offsetBefore,
      dstOffset: start.offsetAfter - start.offsetBefore,
      dstStartRule: encodeDstRule(ruleFor(timeZone, start, year)),
      dstEndRule: encodeDstRule(ruleFor(timeZone, end, year)),
    };
  } else {
    parameters = { year, tzOffset: utcOffsetSeconds(timeZone, at.getTime()), dstOffset: 0, dstStartRule: DST_RULE_DISABLED, dstEndRule: DST_RULE_DISABLED };
  }
  cache.set(key, parameters);
  return parameters;
}

/** For messages and titles: the rule as words, e.g. "second Sunday of March 02:00". */
export function describeDstRule(value: number): string {
  if (value === DST_RULE_DISABLED) return 'no DST';
  const month = value >>> 28;
  const operator = (value >>> 25) & 0x7;
  const dayOfMonth = (value >>> 20) & 0x1f;
  const dayOfWeek = (value >>> 17) & 0x7;
  const hour = (value >>> 12) & 0x1f;
  const seconds = value & 0xfff;
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const weekdays = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const ordinals = ['first', 'second', 'third', 'fourth', 'fifth'];
  const time = `${String(hour).padStart(2, '0')}:${String(Math.floor(seconds / 60)).padStart(2, '0')}`;
  const monthName = months[month - 1] ?? `month ${month}`;
  let day: string;
  if (operator === DstRuleOperator.dayOfMonth) day = `${monthName} ${dayOfMonth}`;
  else if (operator === DstRuleOperator.dayOfWeekOnOrAfter) day = `${weekdays[dayOfWeek]} on or after ${monthName} ${dayOfMonth}`;
  else if (operator === DstRuleOperator.last) day = `last ${weekdays[dayOfWeek]} of ${monthName}`;
  else day = `${ordinals[operator - DstRuleOperator.first]} ${weekdays[dayOfWeek]} of ${monthName}`;
  return `${day} ${time}`;
}
