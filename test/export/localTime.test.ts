import { describe, expect, it } from 'vitest';
import { assertTimeZone, localDays, offsetTransitions, utcOffsetSeconds } from '../../src/export/localTime.ts';
import { offsetFromIntl } from './dstDecode.ts';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso).getTime();

/** The local date and time at `ms`, computed from Intl's offset name (independently of the module). */
function localIso(timeZone: string, ms: number): string {
  return new Date(ms + offsetFromIntl(timeZone, ms) * 1000).toISOString().slice(0, 19);
}

describe('local time through Intl', () => {
  it('reads offsets in seconds east of UTC', () => {
    expect(utcOffsetSeconds('America/Chicago', at('2026-01-15T12:00:00Z'))).toBe(-6 * 3600);
    expect(utcOffsetSeconds('America/Chicago', at('2026-07-15T12:00:00Z'))).toBe(-5 * 3600);
    expect(utcOffsetSeconds('Asia/Kathmandu', at('2026-07-15T12:00:00Z'))).toBe(5 * 3600 + 45 * 60);
    expect(utcOffsetSeconds('UTC', at('2026-07-15T12:00:00Z'))).toBe(0);
  });

  it('finds the two Chicago changes of 2026 to the second', () => {
    expect(offsetTransitions('America/Chicago', at('2026-01-01T06:00:00Z'), at('2027-01-01T06:00:00Z'))).toEqual([
      { atMs: at('2026-03-08T08:00:00Z'), offsetBefore: -21600, offsetAfter: -18000 },
      { atMs: at('2026-11-01T07:00:00Z'), offsetBefore: -18000, offsetAfter: -21600 },
    ]);
  });

  it('gives a 23-hour day when DST starts and a 25-hour day when it ends, each starting at local midnight', () => {
    const spring = localDays('America/Chicago', at('2026-03-07T12:00:00Z'), at('2026-03-09T12:00:00Z'));
    expect(spring.map((day) => [day.date, (day.endMs - day.startMs) / HOUR])).toEqual([
      ['2026-03-07', 24],
      ['2026-03-08', 23],
      ['2026-03-09', 24],
    ]);
    const fall = localDays('America/Chicago', at('2026-10-31T12:00:00Z'), at('2026-11-02T12:00:00Z'));
    expect(fall.map((day) => [day.date, (day.endMs - day.startMs) / HOUR])).toEqual([
      ['2026-10-31', 24],
      ['2026-11-01', 25],
      ['2026-11-02', 24],
    ]);
    for (const day of [...spring, ...fall]) {
      expect(localIso('America/Chicago', day.startMs)).toBe(`${day.date}T00:00:00`);
      expect(localIso('America/Chicago', day.startMs - 1000).slice(11)).toBe('23:59:59');
    }
  });

  it('tiles time without gaps where midnight is skipped, repeated or the offset is not whole hours', () => {
    const cases = [
      // Havana springs forward at midnight: 2026-03-08 starts at 01:00.
      { timeZone: 'America/Havana', from: '2026-03-06T12:00:00Z', to: '2026-03-10T12:00:00Z', firstLocal: { '2026-03-08': '01:00:00' } },
      // Beirut falls back at midnight: Saturday 2026-10-24 runs to 24:00 twice, 25 hours.
      { timeZone: 'Asia/Beirut', from: '2026-10-22T12:00:00Z', to: '2026-10-27T12:00:00Z', firstLocal: {} },
      { timeZone: 'Asia/Kolkata', from: '2026-03-06T12:00:00Z', to: '2026-03-10T12:00:00Z', firstLocal: {} },
    ];
    for (const { timeZone, from, to, firstLocal } of cases) {
      const days = localDays(timeZone, at(from), at(to));
      expect(days[0]!.startMs).toBeLessThanOrEqual(at(from));
      expect(days.at(-1)!.endMs).toBeGreaterThanOrEqual(at(to));
      for (const [i, day] of days.entries()) {
        if (i > 0) expect(day.startMs, `${timeZone} ${day.date}`).toBe(days[i - 1]!.endMs);
        const expectedStart = (firstLocal as Record<string, string>)[day.date] ?? '00:00:00';
        expect(localIso(timeZone, day.startMs), `${timeZone} ${day.date}`).toBe(`${day.date}T${expectedStart}`);
      }
    }
    const beirut = localDays('Asia/Beirut', at('2026-10-23T12:00:00Z'), at('2026-10-24T12:00:00Z'));
    expect(beirut.find((day) => day.date === '2026-10-24')!.endMs - beirut.find((day) => day.date === '2026-10-24')!.startMs).toBe(25 * HOUR);
  });

  it('leaves out a date the zone skipped (Samoa crossed the date line: no 2011-12-30 in Pacific/Apia)', () => {
    const days = localDays('Pacific/Apia', at('2011-12-28T12:00:00Z'), at('2012-01-01T12:00:00Z'));
    expect(days.map((day) => day.date)).toEqual(['2011-12-28', '2011-12-29', '2011-12-31', '2012-01-01', '2012-01-02']);
    for (const [i, day] of days.entries()) if (i > 0) expect(day.startMs).toBe(days[i - 1]!.endMs);
  });

  it('refuses an unknown zone with a message that says what is expected', () => {
    expect(() => assertTimeZone('Mars/Olympus_Mons')).toThrow('timeZone must be an IANA time zone name such as America/Chicago; got "Mars/Olympus_Mons"');
  });
});
