/**
 * Interval reads of the fleet for one `read_at`: load curve x per-meter scale x noise, then the
 * events of the meter's feeder. Pure: the same (tenant, profiles, read_at, events, interval)
 * gives the same reads to the digit, in any process.
 */
import { type FeederEffects, type ActiveEvent, effectsByFeeder, effectsForFeeder, isDarkMeter } from './events.ts';
import type { MeterProfile, ServiceClass } from './fleet.ts';
import { classKwh } from './loadCurve.ts';
import { addNumber, finishKey, startKey, uniformAt } from './random.ts';
import { intervalMs } from './time.ts';
import { normalVoltage, sagVoltage } from './voltage.ts';

/** One meter's read for one interval, as written to `meter_reads_electric`. */
export interface GeneratedRead {
  meterId: number;
  feederId: number;
  /** Energy used in (read_at - interval, read_at], kWh, 4 decimals, never negative. */
  kwh: number;
  /** Volts, 0.1 V. */
  voltage: number;
  /** The load model without noise or events (expectedKwh), 4 decimals. */
  baselineKwh: number;
}

/** Sigma of the multiplicative lognormal noise on kWh (about +-15% interval to interval). */
export const KWH_NOISE_SIGMA = 0.15;
// -sigma^2/2 gives the noise a mean of exactly 1, so reads average to the baseline.
const NOISE_MEAN_SHIFT = (KWH_NOISE_SIGMA * KWH_NOISE_SIGMA) / 2;

/** Everything shared by the reads of one (tenant, read_at, interval). */
interface IntervalContext {
  tenantKey: number;
  readAtMs: number;
  kwhByClass: Record<ServiceClass, number>;
}

function intervalContext(tenantId: string, readAt: Date, intervalMinutes: number): IntervalContext {
  const lengthMs = intervalMs(intervalMinutes);
  const readAtMs = readAt.getTime();
  if (!Number.isFinite(readAtMs) || readAtMs % lengthMs !== 0) {
    throw new RangeError(`readAt must be aligned to ${intervalMinutes} minutes; got ${String(readAt)}`);
  }
  return {
    tenantKey: startKey(tenantId),
    readAtMs,
    // The curve depends only on class and time, so it is evaluated 3 times per batch, not per meter.
    kwhByClass: {
      residential: classKwh('residential', readAtMs, lengthMs),
      commercial: classKwh('commercial', readAtMs, lengthMs),
      industrial: classKwh('industrial', readAtMs, lengthMs),
    },
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function readOf(
  context: IntervalContext,
  profile: MeterProfile,
  effects: FeederEffects | undefined,
): GeneratedRead | null {
  const { meterId } = profile;
  if (effects !== undefined && effects.outages.length > 0 && isDarkMeter(context.tenantKey, meterId, effects)) {
    return null;
  }
  // Same seed as keySeed(tenantId, meterId, readAt.getTime()); draws: 0-1 normals, 2-3 voltage anomaly.
  const seed = finishKey(addNumber(addNumber(context.tenantKey, meterId), context.readAtMs), 3);
  // One Box-Muller pair gives two independent normals: kWh noise and voltage deviation.
  const radius = Math.sqrt(-2 * Math.log(1 - uniformAt(seed, 0)));
  const angle = 2 * Math.PI * uniformAt(seed, 1);
  const kwhZ = radius * Math.cos(angle);
  const voltageZ = radius * Math.sin(angle);

  const baseline = context.kwhByClass[profile.serviceClass] * profile.scale;
  const kwh = baseline * Math.exp(KWH_NOISE_SIGMA * kwhZ - NOISE_MEAN_SHIFT) * (effects?.kwhFactor ?? 1);
  const voltage =
    effects !== undefined && effects.sagSeverity > 0
      ? sagVoltage(effects.sagSeverity, voltageZ)
      : normalVoltage(voltageZ, uniformAt(seed, 2), uniformAt(seed, 3));
  return {
    meterId,
    feederId: profile.feederId,
    kwh: kwh > 0 ? round4(kwh) : 0, // also turns a -0 or NaN from bad input into a plain 0
    voltage,
    baselineKwh: round4(baseline),
  };
}

/**
 * The read of one meter for the interval ending at `readAt`, or null when a comms outage on its
 * feeder hides it. `events` may hold events of any feeder and time; only those of the meter's
 * feeder active at `readAt` apply.
 * @throws RangeError when `readAt` is not aligned to `intervalMinutes`.
 */
export function generateRead(
  tenantId: string,
  profile: MeterProfile,
  readAt: Date,
  events: ActiveEvent[],
  intervalMinutes = 15,
): GeneratedRead | null {
  const context = intervalContext(tenantId, readAt, intervalMinutes);
  return readOf(context, profile, effectsForFeeder(events, profile.feederId, readAt));
}

/**
 * The reads of `profiles` for the interval ending at `readAt`, in profile order, without the
 * meters a comms outage hides. Events are grouped by feeder once, so the cost per meter is one
 * map lookup on top of the read itself.
 * @throws RangeError when `readAt` is not aligned to `intervalMinutes`.
 */
export function generateBatch(
  tenantId: string,
  profiles: MeterProfile[],
  readAt: Date,
  events: ActiveEvent[],
  intervalMinutes = 15,
): GeneratedRead[] {
  const context = intervalContext(tenantId, readAt, intervalMinutes);
  const byFeeder = effectsByFeeder(events, readAt);
  const reads: GeneratedRead[] = [];
  for (const profile of profiles) {
    const read = readOf(context, profile, byFeeder.size === 0 ? undefined : byFeeder.get(profile.feederId));
    if (read !== null) reads.push(read);
  }
  return reads;
}
