import { describe, expect, it } from 'vitest';
import { coalescing } from '../../src/kpi/coalesce.ts';

describe('coalescing', () => {
  it('shares one running computation among callers of the same key, and keeps nothing after it settles', async () => {
    const shared = coalescing<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const compute = async () => {
      runs++;
      await gate;
      return runs;
    };
    const together = [shared('a', compute), shared('a', compute), shared('a', compute)];
    const other = shared('b', compute);
    release();
    expect(await Promise.all(together)).toEqual([2, 2, 2]);
    expect(await other).toBe(2);
    expect(runs).toBe(2); // one for 'a', one for 'b'

    // Settled: the next call computes again.
    expect(await shared('a', async () => 42)).toBe(42);
  });

  it('shares a failure with the callers that waited for it, then forgets it', async () => {
    const shared = coalescing<number>();
    const failing = () => Promise.reject(new Error('database down'));
    const results = await Promise.allSettled([shared('k', failing), shared('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await shared('k', async () => 7)).toBe(7);
  });
});
