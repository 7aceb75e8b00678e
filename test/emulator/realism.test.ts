import { describe, expect, it } from 'vitest';
import { realismFigures } from '../../bench/realism/figures.ts';
import { TEST_PLAN } from '../../bench/realism/plans.ts';

// The figures of `npm run realism`, computed by the same code on a smaller sample: four
// 4-week windows (winter, April, August, autumn) of 400 meters, and three feeders of 1,000
// meters for the feeder deviation.
describe('realism figures (small sample)', () => {
  const result = realismFigures(TEST_PLAN);

  it.each(result.figures.filter((f) => f.pass !== undefined).map((f) => [f.name, f] as const))('%s is in range', (_name, figure) => {
    expect({ value: figure.value, target: figure.target, pass: figure.pass }).toEqual({ value: figure.value, target: figure.target, pass: true });
  });

  it('computes every figure of the table', () => {
    expect(result.figures.length).toBeGreaterThanOrEqual(20);
    // Local days: the autumn window holds 2026-11-01, the 25-hour day (100 quarter hours).
    expect(result.sample.reads).toBe(400 * (4 * 28 * 96 + 4));
  });
});
