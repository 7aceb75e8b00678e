import { describe, expect, it } from 'vitest';
import { fleetProfiles, type MeterProfile } from '../../src/emulator/fleet.ts';
import { expectedKwh } from '../../src/emulator/load.ts';
import { dayTypeOf, epochDay, federalHolidayOn, federalHolidays, localTime } from '../../src/emulator/localTime.ts';
import { canonicalTimeZone, isValidTimeZone, tenantModel } from '../../src/emulator/tenant.ts';

const CHICAGO = 'America/Chicago';
const at = (iso: string) => new Date(iso);

/** How many 15-minute intervals START on a local calendar date. */
function quarterHoursOfLocalDay(timeZone: string, year: number, month: number, day: number): number {
  let count = 0;
  const from = Date.UTC(year, month - 1, day) - 36 * 3_600_000;
  for (let ms = from; ms < from + 72 * 3_600_000; ms += 900_000) {
    const local = localTime(timeZone, new Date(ms));
    if (local.year === year && local.month === month && local.day === day) count++;
  }
  return count;
}

describe('localTime', () => {
  it('reads the wall clock, offset and DST of the zone', () => {
    expect(localTime(CHICAGO, at('2026-01-15T18:30:00.000Z'))).toEqual({
      year: 2026,
      month: 1,
      day: 15,
      hour: 12,
      minute: 30,
      dayOfWeek: 4,
      utcOffsetMinutes: -360,
      isDst: false,
      dayType: 'weekday',
    });
    const july = localTime(CHICAGO, at('2026-07-15T18:30:00.000Z'));
    expect([july.hour, july.utcOffsetMinutes, july.isDst]).toEqual([13, -300, true]);
  });

  it('switches to daylight saving at 2:00 local on 2026-03-08 and back on 2026-11-01', () => {
    expect(localTime(CHICAGO, at('2026-03-08T07:59:59.000Z'))).toMatchObject({ hour: 1, minute: 59, utcOffsetMinutes: -360, isDst: false });
    expect(localTime(CHICAGO, at('2026-03-08T08:00:00.000Z'))).toMatchObject({ hour: 3, minute: 0, utcOffsetMinutes: -300, isDst: true });
    expect(localTime(CHICAGO, at('2026-11-01T06:59:59.000Z'))).toMatchObject({ hour: 1, minute: 59, utcOffsetMinutes: -300, isDst: true });
    expect(localTime(CHICAGO, at('2026-11-01T07:00:00.000Z'))).toMatchObject({ hour: 1, minute: 0, utcOffsetMinutes: -360, isDst: false });
  });

  it('gives the DST days 92 and 100 quarter hours, an ordinary day 96', () => {
    expect(quarterHoursOfLocalDay(CHICAGO, 2026, 3, 8)).toBe(92);
    expect(quarterHoursOfLocalDay(CHICAGO, 2026, 11, 1)).toBe(100);
    expect(quarterHoursOfLocalDay(CHICAGO, 2026, 3, 9)).toBe(96);
    expect(quarterHoursOfLocalDay('Asia/Kolkata', 2026, 3, 8)).toBe(96);
  });

  it('knows zones without DST, half-hour offsets and the southern hemisphere', () => {
    expect(localTime('America/Phoenix', at('2026-07-15T18:00:00.000Z'))).toMatchObject({ hour: 11, utcOffsetMinutes: -420, isDst: false });
    expect(localTime('Asia/Kolkata', at('2026-07-15T18:00:00.000Z'))).toMatchObject({ hour: 23, minute: 30, utcOffsetMinutes: 330, isDst: false });
    expect(localTime('Australia/Sydney', at('2026-01-15T00:00:00.000Z'))).toMatchObject({ hour: 11, isDst: true });
    expect(localTime('Australia/Sydney', at('2026-07-15T00:00:00.000Z'))).toMatchObject({ hour: 10, isDst: false });
  });

  it('takes weekday and weekend from the LOCAL date', () => {
    // Friday 21:00 in Chicago is already Saturday in UTC: still a weekday.
    const friday = localTime(CHICAGO, at('2026-12-05T03:00:00.000Z'));
    expect([friday.dayOfWeek, friday.dayType]).toEqual([5, 'weekday']);
    expect(new Date('2026-12-05T03:00:00.000Z').getUTCDay()).toBe(6);
    // Sunday 23:30 local is Monday in UTC: still the weekend.
    const sunday = localTime(CHICAGO, at('2026-12-07T05:30:00.000Z'));
    expect([sunday.dayOfWeek, sunday.dayType]).toEqual([0, 'weekend']);
  });

  it('marks US federal holidays by their observed local date', () => {
    expect(localTime(CHICAGO, at('2026-11-26T18:00:00.000Z')).dayType).toBe('holiday'); // Thanksgiving
    expect(localTime(CHICAGO, at('2026-11-27T04:00:00.000Z')).dayType).toBe('holiday'); // 22:00 on Thanksgiving, Friday in UTC
    expect(localTime(CHICAGO, at('2026-11-27T18:00:00.000Z')).dayType).toBe('weekday');
    // July 4th 2026 is a Saturday: observed on Friday July 3; the Saturday stays a weekend day.
    expect(localTime(CHICAGO, at('2026-07-03T17:00:00.000Z')).dayType).toBe('holiday');
    expect(localTime(CHICAGO, at('2026-07-04T17:00:00.000Z')).dayType).toBe('weekend');
    expect(federalHolidayOn(2026, 7, 3)).toBe('Independence Day');
    expect(federalHolidayOn(2026, 7, 4)).toBeUndefined();
  });

  it('lists the eleven holidays of 2026 and moves Saturday and Sunday holidays', () => {
    const dates = [...federalHolidays(2026).keys()].map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10)).sort();
    expect(dates).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-10-12',
      '2026-11-11',
      '2026-11-26',
      '2026-12-25',
    ]);
    // New Year's Day 2022 was a Saturday: observed on Friday 31 December 2021; Juneteenth 2022 (Sunday) on Monday 20 June.
    expect(federalHolidayOn(2021, 12, 31)).toBe("New Year's Day");
    expect(federalHolidayOn(2022, 1, 1)).toBeUndefined();
    expect(federalHolidayOn(2022, 6, 20)).toBe('Juneteenth National Independence Day');
    expect(federalHolidayOn(2020, 6, 19)).toBeUndefined(); // not a federal holiday before 2021
    expect(dayTypeOf(epochDay(2027, 12, 24))).toBe('holiday'); // Christmas 2027 is a Saturday
  });

  it('refuses an unknown zone and an invalid instant', () => {
    expect(() => localTime('Mars/Olympus', at('2026-01-01T00:00:00.000Z'))).toThrow(RangeError);
    expect(() => localTime(CHICAGO, new Date('nope'))).toThrow(RangeError);
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names Node knows, in any case, and nothing else', () => {
    expect(['America/Chicago', 'Europe/Berlin', 'UTC', 'Asia/Kolkata', 'america/chicago', 'US/Central'].every(isValidTimeZone)).toBe(true);
    expect(['Mars/Olympus', '', '+05:00', '-0600', 'America/Chicago ', 'x'.repeat(100)].some(isValidTimeZone)).toBe(false);
    expect(canonicalTimeZone('america/chicago')).toBe('America/Chicago');
    expect(canonicalTimeZone('US/Central')).toBe('America/Chicago');
  });
});

describe('the load model on the local clock', () => {
  const tenant = tenantModel('DEMO_TENANT');
  const fleet = fleetProfiles(tenant, 1, 5_000, 25);
  const firstOf = (archetype: string) => fleet.find((p) => p.archetype === archetype)!;
  const dayEnergy = (profile: MeterProfile, day: string) => {
    let sum = 0;
    for (let h = 1; h <= 24; h++) sum += expectedKwh(tenant, profile, new Date(Date.parse(`${day}T06:00:00.000Z`) + h * 3_600_000), 60);
    return sum;
  };

  it('starts a one-shift plant at 06:00 local in winter and in summer (one hour apart in UTC)', () => {
    const plant = firstOf('ind-one-shift');
    expect(expectedKwh(tenant, plant, at('2027-01-13T14:00:00.000Z'))).toBeGreaterThan(2 * expectedKwh(tenant, plant, at('2027-01-13T11:00:00.000Z')));
    expect(expectedKwh(tenant, plant, at('2026-07-15T13:00:00.000Z'))).toBeGreaterThan(2 * expectedKwh(tenant, plant, at('2026-07-15T10:00:00.000Z')));
    // 11:00Z is 05:00 CST but 06:00 CDT: the plant is ramping in July at that UTC hour, not in January.
    const rampJuly = expectedKwh(tenant, plant, at('2026-07-15T11:30:00.000Z')) / expectedKwh(tenant, plant, at('2026-07-15T09:30:00.000Z'));
    const rampJanuary = expectedKwh(tenant, plant, at('2027-01-13T11:30:00.000Z')) / expectedKwh(tenant, plant, at('2027-01-13T09:30:00.000Z'));
    expect(rampJuly).toBeGreaterThan(rampJanuary * 1.3);
  });

  it('runs offices at weekend level on a holiday and at weekday level on the day before', () => {
    const office = firstOf('com-office');
    expect(dayEnergy(office, '2026-11-26')).toBeLessThan(0.6 * dayEnergy(office, '2026-11-25')); // Thanksgiving
    expect(dayEnergy(office, '2026-07-03')).toBeLessThan(0.6 * dayEnergy(office, '2026-07-02')); // July 4th observed
    expect(dayEnergy(office, '2026-12-05')).toBeLessThan(0.6 * dayEnergy(office, '2026-12-04')); // a Saturday
  });
});
