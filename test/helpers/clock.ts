import type { Clock } from '../../src/clock.ts';

/** A clock a test sets and moves by hand: the service reads it, nothing waits for the wall clock. */
export interface TestClock extends Clock {
  set(instant: Date | string): void;
  advance(ms: number): void;
}

export function testClock(start: Date | string): TestClock {
  let current = new Date(start);
  const clock = (() => new Date(current)) as TestClock;
  clock.set = (instant) => {
    current = new Date(instant);
  };
  clock.advance = (ms) => {
    current = new Date(current.getTime() + ms);
  };
  return clock;
}
