import { describe, expect, it } from 'vitest';
import { getAlignedIntervalTimestamp, isAlignedTo, isAllowedIntervalMinutes, nextIntervalBoundary, recentIntervals } from '../../src/emulator/time.ts';

const align = (minutes: number, iso: string) => getAlignedIntervalTimestamp(minutes, new Date(iso)).toISOString();

describe('getAlignedIntervalTimestamp', () => {
  it.each([
    ['2026-11-28T10:00:00.000Z', '2026-11-28T10:00:00.000Z'],
    ['2026-11-28T10:14:59.999Z', '2026-11-28T10:00:00.000Z'],
    ['2026-11-28T10:15:00.000Z', '2026-11-28T10:15:00.000Z'],
    ['2026-11-28T10:15:00.001Z', '2026-11-28T10:15:00.000Z'],
    ['2026-11-28T10:29:59.999Z', '2026-11-28T10:15:00.000Z'],
    ['2026-11-28T10:30:00.000Z', '2026-11-28T10:30:00.000Z'],
    ['2026-11-28T10:44:59.999Z', '2026-11-28T10:30:00.000Z'],
    ['2026-11-28T10:45:00.000Z', '2026-11-28T10:45:00.000Z'],
    ['2026-11-28T10:59:59.999Z', '2026-11-28T10:45:00.000Z'],
    ['2026-11-28T00:00:00.000Z', '2026-11-28T00:00:00.000Z'],
    ['2026-11-28T23:59:59.999Z', '2026-11-28T23:45:00.000Z'],
    ['2028-02-29T12:07:00.000Z', '2028-02-29T12:00:00.000Z'],
    ['2028-02-29T23:59:59.999Z', '2028-02-29T23:45:00.000Z'],
    ['2026-11-30T23:59:59.999Z', '2026-11-30T23:45:00.000Z'],
  ])('15 min: %s -> %s', (now, expected) => {
    expect(align(15, now)).toBe(expected);
  });

  it.each([
    [15, '2026-12-31T23:45:00.000Z'],
    [30, '2026-12-31T23:30:00.000Z'],
    [60, '2026-12-31T23:00:00.000Z'],
  ])('year rollover, %i min: 2026-12-31T23:59:59.999Z -> %s', (minutes, expected) => {
    expect(align(minutes, '2026-12-31T23:59:59.999Z')).toBe(expected);
    expect(align(minutes, '2027-01-01T00:00:00.000Z')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('30 and 60 minutes floor to their own boundaries', () => {
    expect(align(30, '2026-11-28T10:29:59.999Z')).toBe('2026-11-28T10:00:00.000Z');
    expect(align(30, '2026-11-28T10:45:00.000Z')).toBe('2026-11-28T10:30:00.000Z');
    expect(align(60, '2026-11-28T10:59:59.999Z')).toBe('2026-11-28T10:00:00.000Z');
    expect(align(60, '2026-11-28T11:00:00.000Z')).toBe('2026-11-28T11:00:00.000Z');
  });

  it('accepts other divisors of a day (1, 5 minutes) for tests', () => {
    expect(align(1, '2026-11-28T10:14:59.999Z')).toBe('2026-11-28T10:14:00.000Z');
    expect(align(5, '2026-11-28T10:14:59.999Z')).toBe('2026-11-28T10:10:00.000Z');
  });

  it.each([7, 0, -15, Number.NaN, 15.5, 1441])('rejects %s minutes naming the allowed values', (minutes) => {
    expect(() => getAlignedIntervalTimestamp(minutes, new Date('2026-11-28T10:00:00Z'))).toThrow(RangeError);
    expect(() => getAlignedIntervalTimestamp(minutes, new Date('2026-11-28T10:00:00Z'))).toThrow(/15, 30, 60/);
  });

  it('rejects an invalid Date', () => {
    expect(() => getAlignedIntervalTimestamp(15, new Date('not a date'))).toThrow(RangeError);
  });

  it('does not mutate the given Date', () => {
    const now = new Date('2026-11-28T10:14:59.999Z');
    getAlignedIntervalTimestamp(15, now);
    expect(now.toISOString()).toBe('2026-11-28T10:14:59.999Z');
  });
});

describe('isAlignedTo', () => {
  it('is true exactly on boundaries', () => {
    expect(isAlignedTo(new Date('2026-11-28T10:15:00.000Z'), 15)).toBe(true);
    expect(isAlignedTo(new Date('2026-11-28T10:15:00.001Z'), 15)).toBe(false);
    expect(isAlignedTo(new Date('2026-11-28T10:14:59.999Z'), 15)).toBe(false);
    expect(isAlignedTo(new Date('2026-11-28T10:15:00.000Z'), 30)).toBe(false);
    expect(isAlignedTo(new Date('2026-11-28T10:30:00.000Z'), 30)).toBe(true);
    expect(isAlignedTo(new Date('2026-11-28T10:30:00.000Z'), 60)).toBe(false);
    expect(isAlignedTo(new Date('2027-01-01T00:00:00.000Z'), 60)).toBe(true);
    expect(isAlignedTo(new Date('invalid'), 15)).toBe(false);
  });

  it('rejects a bad interval', () => {
    expect(() => isAlignedTo(new Date('2026-11-28T10:15:00.000Z'), 7)).toThrow(RangeError);
  });
});

describe('isAllowedIntervalMinutes', () => {
  it('allows 15, 30, 60 only', () => {
    expect([15, 30, 60].every(isAllowedIntervalMinutes)).toBe(true);
    expect([1, 5, 7, 45, '15', null].some(isAllowedIntervalMinutes)).toBe(false);
  });
});

describe('nextIntervalBoundary', () => {
  it('is strictly after now', () => {
    const next = (minutes: number, iso: string) => nextIntervalBoundary(minutes, new Date(iso)).toISOString();
    expect(next(15, '2026-11-28T10:14:59.999Z')).toBe('2026-11-28T10:15:00.000Z');
    expect(next(15, '2026-11-28T10:15:00.000Z')).toBe('2026-11-28T10:30:00.000Z');
    expect(next(15, '2026-12-31T23:50:00.000Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next(60, '2028-02-28T23:00:00.000Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next(30, '2026-11-28T10:29:59.999Z')).toBe('2026-11-28T10:30:00.000Z');
  });
});

describe('recentIntervals', () => {
  it('lists count intervals ending at latest, oldest first', () => {
    const intervals = recentIntervals(new Date('2027-01-01T00:15:00.000Z'), 4, 15).map((d) => d.toISOString());
    expect(intervals).toEqual(['2026-12-31T23:30:00.000Z', '2026-12-31T23:45:00.000Z', '2027-01-01T00:00:00.000Z', '2027-01-01T00:15:00.000Z']);
    expect(recentIntervals(new Date('2026-11-28T10:00:00.000Z'), 3, 60).map((d) => d.toISOString())).toEqual([
      '2026-11-28T08:00:00.000Z',
      '2026-11-28T09:00:00.000Z',
      '2026-11-28T10:00:00.000Z',
    ]);
    expect(recentIntervals(new Date('2026-11-28T10:00:00.000Z'), 1, 15)).toHaveLength(1);
    expect(recentIntervals(new Date('2026-11-28T10:00:00.000Z'), 0, 15)).toEqual([]);
  });

  it('refuses an unaligned latest or a bad count', () => {
    expect(() => recentIntervals(new Date('2026-11-28T10:05:00.000Z'), 4, 15)).toThrow(/aligned/);
    expect(() => recentIntervals(new Date('2026-11-28T10:15:00.000Z'), 4, 30)).toThrow(/aligned/);
    expect(() => recentIntervals(new Date('2026-11-28T10:15:00.000Z'), -1, 15)).toThrow(RangeError);
    expect(() => recentIntervals(new Date('2026-11-28T10:15:00.000Z'), 1.5, 15)).toThrow(RangeError);
  });
});
