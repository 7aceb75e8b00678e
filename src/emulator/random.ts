/**
 * Seeded, allocation-light randomness. A key (tenant, meter, read_at ...) is hashed to a
 * 32-bit seed; draw `i` of that seed is an independent hash of (seed, i) (a counter-based
 * splitmix32), so a read needs no generator object and no state.
 *
 * Only integer arithmetic (Math.imul, shifts) and V8's fdlibm-based Math.log/cos/sin/exp are
 * used, so the same key gives the same numbers in every process and on every platform.
 */

const KEY_INIT = 0x2f1b3c4d;
const TWO_POW_32 = 4_294_967_296;

/** Final avalanche of murmur3: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3's block step: folds one 32-bit word into the running key state. */
function mixWord(state: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  state ^= k;
  state = (state << 13) | (state >>> 19);
  return (Math.imul(state, 5) + 0xe6546b64) | 0;
}

/** FNV-1a over UTF-16 code units, then avalanched: a 32-bit hash of a string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Running key state after a first string part, e.g. the tenant id: hash it once per batch. */
export function startKey(text: string): number {
  return mixWord(KEY_INIT, hashString(text));
}

/**
 * Folds a number into the key state. Safe integers (meter ids, epoch milliseconds) mix as two
 * exact 32-bit words, no string built; other finite numbers mix through their decimal form.
 */
export function addNumber(state: number, value: number): number {
  if (Number.isSafeInteger(value)) {
    const lo = value >>> 0;
    return mixWord(mixWord(state, lo), (value - lo) / TWO_POW_32);
  }
  if (!Number.isFinite(value)) throw new RangeError(`random key parts must be finite; got ${value}`);
  return mixWord(state, hashString(String(value)));
}

/** Folds a string into the key state. */
export function addString(state: number, text: string): number {
  return mixWord(state, hashString(text));
}

/** Seals a key state into a seed; `partCount` keeps keys of different lengths apart. */
export function finishKey(state: number, partCount: number): number {
  return fmix32(state ^ partCount);
}

/** The seed of a key; equal to the startKey/addNumber/finishKey chain over the same parts. */
export function keySeed(...keyParts: Array<string | number>): number {
  let state = KEY_INIT;
  for (const part of keyParts) state = typeof part === 'string' ? addString(state, part) : addNumber(state, part);
  return finishKey(state, keyParts.length);
}

/** Draw `index` (0, 1, 2 ...) of `seed`: uniform in [0, 1) with 32-bit resolution. */
export function uniformAt(seed: number, index: number): number {
  let z = (seed + Math.imul(index + 1, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return ((z ^ (z >>> 15)) >>> 0) / TWO_POW_32;
}

/**
 * A uniform [0, 1) sequence for a key: `seededRandom('DEMO_TENANT', 17, readAt.getTime())`.
 * Its n-th value is `uniformAt(keySeed(...keyParts), n)`.
 */
export function seededRandom(...keyParts: Array<string | number>): () => number {
  const seed = keySeed(...keyParts);
  let index = 0;
  return () => uniformAt(seed, index++);
}

/** A standard normal value (Box-Muller) from two uniform draws of `rand`. */
export function normal(rand: () => number): number {
  const radius = Math.sqrt(-2 * Math.log(1 - rand())); // 1 - u is in (0, 1]: no log(0)
  return radius * Math.cos(2 * Math.PI * rand());
}
