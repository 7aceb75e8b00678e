/**
 * Persistence without state: smooth value noise on a hashed lattice. A lattice of spacing L has
 * a standard normal value at every knot k (time k x L), drawn from a hash of (key, k); between
 * two knots the value is a smoothstep blend of the two, divided by the blend's own standard
 * deviation so that the value is EXACTLY standard normal at every instant (a plain blend would
 * dip to a variance of 1/2 halfway between knots, and a lognormal built on it would lose its
 * mean of 1). Any instant can be evaluated alone, in any order, in any process.
 */
import { addNumber, finishKey, uniformAt } from './random.ts';

/** Where an instant falls on a lattice: the left knot and the two normalised weights. */
export interface LatticePoint {
  knot: number;
  left: number;
  right: number;
}

/** The lattice position of `ms` on a lattice of spacing `spacingMs` whose knot 0 is at `phaseMs`. */
export function latticePoint(ms: number, spacingMs: number, phaseMs = 0): LatticePoint {
  const position = (ms - phaseMs) / spacingMs;
  const knot = Math.floor(position);
  const f = position - knot;
  const s = f * f * (3 - 2 * f);
  const norm = Math.sqrt((1 - s) * (1 - s) + s * s);
  return { knot, left: (1 - s) / norm, right: s / norm };
}

/**
 * Two independent standard normals of knot `knot` of the lattice keyed by `keyState`
 * (an unfinished key from startKey/addNumber): one Box-Muller pair, cosine and sine.
 * `out[0]`, `out[1]` receive them; the array is reused so no allocation happens per meter.
 */
export function knotNormals(keyState: number, knot: number, out: Float64Array): void {
  const seed = finishKey(addNumber(keyState, knot), 7);
  const radius = Math.sqrt(-2 * Math.log(1 - uniformAt(seed, 0)));
  const angle = 2 * Math.PI * uniformAt(seed, 1);
  out[0] = radius * Math.cos(angle);
  out[1] = radius * Math.sin(angle);
}

const scratchLeft = new Float64Array(2);
const scratchRight = new Float64Array(2);

/**
 * The smooth standard-normal value(s) of the lattice keyed by `keyState` at `point`:
 * `out[0]` from the cosine normals, `out[1]` from the sine normals (independent of each other).
 */
export function smoothNormals(keyState: number, point: LatticePoint, out: Float64Array): void {
  knotNormals(keyState, point.knot, scratchLeft);
  knotNormals(keyState, point.knot + 1, scratchRight);
  out[0] = point.left * scratchLeft[0]! + point.right * scratchRight[0]!;
  out[1] = point.left * scratchLeft[1]! + point.right * scratchRight[1]!;
}

/** One smooth standard normal (cosine branch) of the lattice keyed by `keyState` at `point`. */
export function smoothNormal(keyState: number, point: LatticePoint): number {
  knotNormals(keyState, point.knot, scratchLeft);
  knotNormals(keyState, point.knot + 1, scratchRight);
  return point.left * scratchLeft[0]! + point.right * scratchRight[0]!;
}

/**
 * A cheap unit-variance knot value for per-meter lattices: the sum of three independent
 * uniforms on [-1, 1] (draws `first`..`first + 2` of `seed`), bounded in [-3, 3]. No logarithm
 * or cosine, so a meter's six knots cost a few integer hashes. Its moment generating function is
 * known exactly, (sinh c / c)^3, so a lognormal-like factor built on it can still have a mean
 * of exactly 1 (see {@link logMeanOfExp}).
 */
export function knotValue(seed: number, first: number): number {
  return 2 * (uniformAt(seed, first) + uniformAt(seed, first + 1) + uniformAt(seed, first + 2)) - 3;
}

/** The seed of knot `knot` of the lattice keyed by `keyState`. */
export function knotSeed(keyState: number, knot: number): number {
  return finishKey(addNumber(keyState, knot), 7);
}

/**
 * ln E[exp(c x V)] for V a {@link knotValue}: 3 ln(sinh(c) / c) (0 at c = 0). Subtracting it
 * for every knot term makes exp(sum of terms) average exactly 1.
 */
export function logMeanOfExp(c: number): number {
  const a = Math.abs(c);
  if (a < 1e-6) return (a * a) / 2; // sinh(c)/c = 1 + c^2/6 + ...: 3 ln(...) = c^2/2 to first order
  return 3 * Math.log(Math.sinh(a) / a);
}
