import { describe, expect, it } from 'vitest';
import { knotNormals, knotSeed, knotValue, latticePoint, logMeanOfExp, smoothNormal } from '../../src/emulator/noise.ts';
import { addNumber, startKey } from '../../src/emulator/random.ts';

const HOUR = 3_600_000;
const keyOf = (i: number) => addNumber(startKey('noise-test'), i);
const stats = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, sd: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) };
};

describe('latticePoint', () => {
  it('sits on a knot with weight 1 and keeps unit variance between knots', () => {
    expect(latticePoint(3 * HOUR, HOUR)).toEqual({ knot: 3, left: 1, right: 0 });
    for (const f of [0.1, 0.25, 0.5, 0.9]) {
      const { left, right } = latticePoint((7 + f) * HOUR, HOUR);
      expect(left * left + right * right).toBeCloseTo(1, 12);
      expect(left).toBeGreaterThan(0);
    }
    expect(latticePoint(-0.5 * HOUR, HOUR).knot).toBe(-1);
  });
});

describe('smoothNormal', () => {
  it('is standard normal at every position between knots', () => {
    for (const f of [0, 0.3, 0.5]) {
      const values = Array.from({ length: 20_000 }, (_, i) => smoothNormal(keyOf(i), latticePoint((5 + f) * HOUR, HOUR)));
      const { mean, sd } = stats(values);
      expect(Math.abs(mean)).toBeLessThan(0.03);
      expect(sd).toBeGreaterThan(0.97);
      expect(sd).toBeLessThan(1.03);
    }
  });

  it('changes little over a short step and forgets over many knots', () => {
    const pairs = (lag: number) => {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 5_000; i++) {
        const t = (i % 97) * 0.37 * HOUR;
        a.push(smoothNormal(keyOf(i), latticePoint(t, HOUR)));
        b.push(smoothNormal(keyOf(i), latticePoint(t + lag, HOUR)));
      }
      const sa = stats(a);
      const sb = stats(b);
      return a.reduce((s, x, i) => s + (x - sa.mean) * (b[i]! - sb.mean), 0) / a.length / (sa.sd * sb.sd);
    };
    expect(pairs(0.125 * HOUR)).toBeGreaterThan(0.85);
    expect(Math.abs(pairs(3 * HOUR))).toBeLessThan(0.1);
  });

  it('draws two independent normals per knot', () => {
    const out = new Float64Array(2);
    const cos: number[] = [];
    const sin: number[] = [];
    for (let k = 0; k < 20_000; k++) {
      knotNormals(keyOf(1), k, out);
      cos.push(out[0]!);
      sin.push(out[1]!);
    }
    const product = cos.reduce((s, c, i) => s + c * sin[i]!, 0) / cos.length;
    expect(Math.abs(product)).toBeLessThan(0.03);
    expect(stats(sin).sd).toBeCloseTo(1, 1);
  });
});

describe('knotValue', () => {
  it('has unit variance, stays in [-3, 3], and exp(c x V - logMeanOfExp(c)) averages 1', () => {
    const values = Array.from({ length: 50_000 }, (_, i) => knotValue(knotSeed(keyOf(2), i), 0));
    const { mean, sd } = stats(values);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(sd).toBeGreaterThan(0.98);
    expect(sd).toBeLessThan(1.02);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(3);
    for (const c of [0.1, 0.3, 0.6]) {
      const factor = values.reduce((s, v) => s + Math.exp(c * v - logMeanOfExp(c)), 0) / values.length;
      expect(Math.abs(factor - 1)).toBeLessThan(0.01);
      // Without the correction the mean would be visibly above 1 for a large c.
      if (c === 0.6) expect(values.reduce((s, v) => s + Math.exp(c * v), 0) / values.length).toBeGreaterThan(1.15);
    }
    expect(logMeanOfExp(0)).toBe(0);
    expect(logMeanOfExp(-0.4)).toBe(logMeanOfExp(0.4));
  });
});
