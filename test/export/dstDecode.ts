/**
 * An independent reading of ESPI DstRuleType values and of a zone's offsets, for checking
 * the export's LocalTimeParameters: the decoder follows usage.xsd's text (bit fields,
 * operators), and offsets come from Intl's `longOffset` names (GMT-05:00), not from the
 * wall-clock arithmetic the export uses.
 */

export interface DecodedDstRule {
  month: number;
  operator: number;
  dayOfMonth: number;
  dayOfWeek: number;
  hour: number;
  seconds: number;
}

export function decodeDstRule(hex: string): DecodedDstRule | 'disabled' {
  if (!/^[0-9A-F]{8}$/.test(hex)) throw new Error(`DstRuleType must be 8 upper-case hex digits; got ${hex}`);
  const value = Number.parseInt(hex, 16);
  if (value === 0xffffffff) return 'disabled';
  return {
    seconds: value % 4096,
    hour: Math.floor(value / 2 ** 12) % 32,
    dayOfWeek: Math.floor(value / 2 ** 17) % 8,
    dayOfMonth: Math.floor(value / 2 ** 20) % 32,
    operator: Math.floor(value / 2 ** 25) % 8,
    month: Math.floor(value / 2 ** 28),
  };
}

/** The day of the month a decoded rule gives in `year`. Day of week: 1 Monday ... 7 Sunday. */
export function ruleDayOfMonth(rule: DecodedDstRule, year: number): number {
  const lastDay = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  const weekdayOf = (day: number) => {
    const sundayZero = new Date(Date.UTC(year, rule.month - 1, day)).getUTCDay();
    return sundayZero === 0 ? 7 : sundayZero;
  };
  const days = Array.from({ length: lastDay }, (_, i) => i + 1);
  const matching = days.filter((day) => weekdayOf(day) === rule.dayOfWeek);
  switch (rule.operator) {
    case 0:
      return rule.dayOfMonth;
    case 1:
      return matching.find((day) => day >= rule.dayOfMonth)!;
    case 7:
      return matching.at(-1)!;
    default:
      return matching[rule.operator - 2]!;
  }
}

/**
 * The instant a rule names in `year`: its wall-clock time read in the offset in force
 * before the change (standard time for the start rule, daylight time for the end rule).
 */
export function ruleInstant(hex: string, year: number, offsetBeforeSeconds: number): Date {
  const rule = decodeDstRule(hex);
  if (rule === 'disabled') throw new Error('a disabled rule names no instant');
  const day = ruleDayOfMonth(rule, year);
  return new Date(Date.UTC(year, rule.month - 1, day, rule.hour, 0, rule.seconds) - offsetBeforeSeconds * 1000);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset at `ms` in seconds, from Intl's longOffset name ("GMT", "GMT+05:30", "GMT-03:00"). */
export function offsetFromIntl(timeZone: string, ms: number): number {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, formatter);
  }
  const name = formatter.formatToParts(new Date(ms)).find((part) => part.type === 'timeZoneName')!.value;
  const match = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name);
  if (!match) throw new Error(`unexpected offset name ${name}`);
  if (!match[1]) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0);
  return match[1] === '-' ? -seconds : seconds;
}

/** Offset changes in a UTC year, found by 6-hourly probes then bisection to the minute. */
export function intlTransitions(timeZone: string, year: number): Array<{ at: Date; before: number; after: number }> {
  const found: Array<{ at: Date; before: number; after: number }> = [];
  const step = 6 * 3_600_000;
  const end = Date.UTC(year + 1, 0, 1);
  for (let t = Date.UTC(year, 0, 1); t < end; t += step) {
    const before = offsetFromIntl(timeZone, t);
    const after = offsetFromIntl(timeZone, t + step);
    if (before === after) continue;
    let lo = t;
    let hi = t + step;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetFromIntl(timeZone, mid) === before) lo = mid;
      else hi = mid;
    }
    found.push({ at: new Date(hi), before, after });
  }
  return found;
}
