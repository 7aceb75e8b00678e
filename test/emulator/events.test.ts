import { describe, expect, it } from 'vitest';
import { type GridEvent, effectsByFeeder, effectsForFeeder, eventsForFeeder, isInForce, outageDraw } from '../../src/emulator/events.ts';
import { startKey } from '../../src/emulator/random.ts';

const event = (overrides: Partial<GridEvent>): GridEvent => ({
  id: 1,
  feederId: 3,
  type: 'theft',
  severity: 0.5,
  startsAt: new Date('2026-11-28T10:00:00.000Z'),
  endsAt: new Date('2026-11-28T11:00:00.000Z'),
  ...overrides,
});

describe('isInForce', () => {
  it('includes the start and excludes the end', () => {
    const e = event({});
    expect(isInForce(e, new Date('2026-11-28T09:45:00.000Z'))).toBe(false);
    expect(isInForce(e, new Date('2026-11-28T09:59:59.999Z'))).toBe(false);
    expect(isInForce(e, new Date('2026-11-28T10:00:00.000Z'))).toBe(true);
    expect(isInForce(e, new Date('2026-11-28T10:59:59.999Z'))).toBe(true);
    expect(isInForce(e, new Date('2026-11-28T11:00:00.000Z'))).toBe(false);
  });

  it('keeps an open-ended event active forever after its start', () => {
    const e = event({ endsAt: null });
    expect(isInForce(e, new Date('2030-01-01T00:00:00.000Z'))).toBe(true);
    expect(isInForce(e, new Date('2026-11-28T09:45:00.000Z'))).toBe(false);
  });
});

describe('eventsForFeeder', () => {
  it('filters by feeder and by time', () => {
    const events = [
      event({ id: 1 }),
      event({ id: 2, feederId: 4 }),
      event({ id: 3, startsAt: new Date('2026-11-28T12:00:00.000Z'), endsAt: null }),
      event({ id: 4, type: 'voltage-sag' }),
    ];
    expect(eventsForFeeder(events, 3, new Date('2026-11-28T10:15:00.000Z')).map((e) => e.id)).toEqual([1, 4]);
    expect(eventsForFeeder(events, 3, new Date('2026-11-28T12:15:00.000Z')).map((e) => e.id)).toEqual([3]);
    expect(eventsForFeeder(events, 5, new Date('2026-11-28T10:15:00.000Z'))).toEqual([]);
  });
});

describe('effects', () => {
  const readAt = new Date('2026-11-28T10:15:00.000Z');

  it('stacks thefts multiplicatively, keeps the deepest sag and every outage', () => {
    const events = [
      event({ id: 1, severity: 0.5 }),
      event({ id: 2, severity: 0.2 }),
      event({ id: 3, type: 'voltage-sag', severity: 0.3 }),
      event({ id: 4, type: 'voltage-sag', severity: 0.7 }),
      event({ id: 5, type: 'comms-outage', severity: 0.4 }),
      event({ id: 6, type: 'comms-outage', severity: 0.1 }),
      event({ id: 7, feederId: 9, severity: 0.9 }),
      event({ id: 8, severity: 0.9, endsAt: readAt }),
    ];
    const effects = effectsForFeeder(events, 3, readAt)!;
    expect(effects.kwhFactor).toBeCloseTo(0.4, 12);
    expect(effects.sagSeverity).toBe(0.7);
    expect(effects.outages).toEqual([
      { eventId: 5, severity: 0.4, backfill: true },
      { eventId: 6, severity: 0.1, backfill: true },
    ]);
    const byFeeder = effectsByFeeder(events, readAt);
    expect(byFeeder.get(3)).toEqual(effects);
    expect(byFeeder.get(9)!.kwhFactor).toBeCloseTo(0.1, 12);
    expect([...byFeeder.keys()].sort()).toEqual([3, 9]);
    expect(effectsForFeeder(events, 5, readAt)).toBeUndefined();
  });

  it('never lets a severity outside (0, 1] make kWh negative', () => {
    expect(effectsForFeeder([event({ severity: 1.5 })], 3, readAt)!.kwhFactor).toBe(0);
    expect(Object.is(effectsForFeeder([event({ severity: 1 })], 3, readAt)!.kwhFactor, 0)).toBe(true);
  });
});

describe('outageDraw', () => {
  it('depends on tenant, meter and event, not on time', () => {
    const key = startKey('DEMO_TENANT');
    const draw = outageDraw(key, 17, 5);
    expect(outageDraw(key, 17, 5)).toBe(draw);
    expect(outageDraw(key, 18, 5)).not.toBe(draw);
    expect(outageDraw(key, 17, 6)).not.toBe(draw);
    expect(outageDraw(startKey('OTHER'), 17, 5)).not.toBe(draw);
  });
});
