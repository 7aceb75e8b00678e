import { describe, expect, it } from 'vitest';
import { addNumber, finishKey, hashString, keySeed, normal, seededRandom, startKey, uniformAt } from '../../src/emulator/random.ts';

const READ_AT_MS = Date.parse('2026-11-28T10:15:00.000Z');

describe('hashString', () => {
  it('separates near-identical tenant ids', () => {
    expect(hashString('DEMO_TENANT')).not.toBe(hashString('DEMO_TENANT2'));
    expect(hashString('ab')).not.toBe(hashString('ba'));
    // Every hash is an unsigned 32-bit integer, the empty string's too, and it differs from a NUL's.
    for (const text of ['', '\u0000', 'DEMO_TENANT', 'é', 'x'.repeat(300)]) {
      const hash = hashString(text);
      expect(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32, text).toBe(true);
    }
    expect(hashString('')).not.toBe(hashString('\u0000'));
  });
});

describe('seededRandom', () => {
  it('repeats the same sequence for the same key', () => {
    const a = seededRandom('DEMO_TENANT', 17, READ_AT_MS);
    const b = seededRandom('DEMO_TENANT', 17, READ_AT_MS);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(new Set(first).size).toBe(5);
  });

  it('differs when any key part differs', () => {
    const firstOf = (...parts: Array<string | number>) => seededRandom(...parts)();
    const base = firstOf('DEMO_TENANT', 17, READ_AT_MS);
    expect(firstOf('DEMO_TENANT', 18, READ_AT_MS)).not.toBe(base);
    expect(firstOf('OTHER_TENANT', 17, READ_AT_MS)).not.toBe(base);
    expect(firstOf('DEMO_TENANT', 17, READ_AT_MS + 900_000)).not.toBe(base);
    // Epoch ms above 2^32 must not lose their high word.
    expect(keySeed('T', 1, READ_AT_MS)).not.toBe(keySeed('T', 1, READ_AT_MS + 2 ** 32));
    expect(keySeed('T', 1, 2)).not.toBe(keySeed('T', 2, 1));
    expect(keySeed('T', 1)).not.toBe(keySeed('T', 1, 0));
  });

  it('pins the generator so stored intervals can be regenerated identically by later releases', () => {
    const values = Array.from({ length: 3 }, seededRandom('DEMO_TENANT', 1, READ_AT_MS));
    // Exact doubles: a change of hash or constants would change every historical interval.
    expect(values).toEqual([0.5335098097566515, 0.9566613435745239, 0.5789603660814464]);
  });

  it('matches the allocation-free key chain used for reads', () => {
    const chained = finishKey(addNumber(addNumber(startKey('DEMO_TENANT'), 42), READ_AT_MS), 3);
    expect(chained).toBe(keySeed('DEMO_TENANT', 42, READ_AT_MS));
    expect(seededRandom('DEMO_TENANT', 42, READ_AT_MS)()).toBe(uniformAt(chained, 0));
  });

  it('is uniform on [0, 1) across keys and draws', () => {
    const buckets = new Array<number>(10).fill(0);
    let sum = 0;
    let outside = 0;
    const n = 100_000;
    for (let meterId = 1; meterId <= n / 4; meterId++) {
      const seed = keySeed('DEMO_TENANT', meterId, READ_AT_MS);
      for (let draw = 0; draw < 4; draw++) {
        const u = uniformAt(seed, draw);
        if (!(u >= 0 && u < 1)) outside++;
        buckets[Math.floor(u * 10)]! += 1;
        sum += u;
      }
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(n / 100); // +-10% per decile
  });

  it('hashes non-integer and negative numbers without error', () => {
    expect(keySeed('T', 0.5)).not.toBe(keySeed('T', 0.25));
    expect(keySeed('T', -1)).not.toBe(keySeed('T', 1));
    expect(() => keySeed('T', Number.NaN)).toThrow(RangeError);
  });
});

describe('normal', () => {
  it('has mean 0 and standard deviation 1', () => {
    const rand = seededRandom('normal-test');
    const n = 50_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = normal(rand);
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.sqrt(sumSq / n - mean * mean)).toBeCloseTo(1, 1);
  });
});
