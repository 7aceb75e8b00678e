/**
 * Interval reads of the fleet for one `read_at`: the load model (load.ts) and the feeder
 * voltage model (voltage.ts), then the events of the meter's feeder. Pure: the same
 * (tenant, profiles, read_at, events, interval) gives the same reads to the digit, in any
 * process, whichever other meters are in the batch. What a meter measured, not when the
 * head-end gets it: a read a comms outage withholds still has its values here, and
 * collection.ts says when (or whether) it arrives.
 */
import { type FeederEffects, type GridEvent, effectsByFeeder, effectsForFeeder, losesPower, overlapMs } from './events.ts';
import type { MeterProfile } from './fleet.ts';
import { type IntervalContext, intervalContext, type MeterInterval, meterInterval } from './load.ts';
import type { TenantModel } from './tenant.ts';
import { type FeederVoltage, feederVoltage, sagVoltage, serviceVoltage } from './voltage.ts';

/** One meter's read for one interval, as written to `meter_reads_electric`. */
export interface GeneratedRead {
  meterId: number;
  feederId: number;
  /** Energy delivered to the customer in (read_at - interval, read_at], kWh, 4 decimals, >= 0. */
  kwh: number;
  /** Energy the customer sent to the grid in the same interval (rooftop solar), kWh, 4 decimals, >= 0. */
  kwhReceived: number;
  /** Volts, 0.1 V. */
  voltage: number;
  /** The model's expectation of `kwh` without its random part and without events (expectedKwh), 4 decimals. */
  baselineKwh: number;
  /** Status bitmask after the DLMS/COSEM AMR profile status (see STATUS_BITS). */
  status: number;
}

/**
 * Bits of `status` (DLMS/COSEM AMR profile status, IEC 62056-62 / Blue Book): the generator
 * sets DAYLIGHT_SAVING from the tenant's time zone at read_at, and POWER_DOWN on every interval
 * a power outage took the meter's power for any part of.
 */
export const STATUS_BITS = {
  CRITICAL_ERROR: 1,
  CLOCK_INVALID: 2,
  DATA_NOT_VALID: 4,
  DAYLIGHT_SAVING: 8,
  CLOCK_ADJUSTED: 32,
  POWER_DOWN: 128,
} as const;

/**
 * The measured spread of the model's random part (npm run realism, docs/realism.md): the
 * standard deviation of (kwh - baseline) / baseline of one event-free read, over reads whose
 * baseline is at least 0.05 kWh (measured 0.327 over a year of the default tenant). A feeder's
 * kwhDeviationPct is NOT simply 100 x this / sqrt(n): big commercial and industrial meters weigh
 * more but vary less; use FEEDER_RESIDUAL_CV for that.
 */
export const INTERVAL_RESIDUAL_CV = 0.33;
/**
 * The measured standard deviation of an event-free feeder's kwhDeviationPct / 100, times sqrt(n)
 * (npm run realism: feeders of 1,000 meters of mixed classes, measured 0.28): a feeder of n
 * meters has sd(kwhDeviationPct) of about 100 x FEEDER_RESIDUAL_CV / sqrt(n), 0.95 % for 1,000
 * meters, 1.3 % for 500. The figure the KPI layer wants for "is this deviation significant".
 */
export const FEEDER_RESIDUAL_CV = 0.3;

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Per batch: the interval context and the feeders' voltage states met so far. */
interface BatchState {
  context: IntervalContext;
  feeders: Map<number, FeederVoltage>;
  status: number;
  readAtMs: number;
  lengthMs: number;
}

const meterScratch: MeterInterval = { kwh: 0, kwhReceived: 0, expectedKwh: 0, lastNetKw: 0, voltageSmoothZ: 0, voltageWhiteZ: 0, voltageOffsetZ: 0 };

function batchState(tenant: TenantModel, readAt: Date, intervalMinutes: number): BatchState {
  const context = intervalContext(tenant, readAt, intervalMinutes);
  return {
    context,
    feeders: new Map(),
    status: context.isDst ? STATUS_BITS.DAYLIGHT_SAVING : 0,
    readAtMs: readAt.getTime(),
    lengthMs: intervalMinutes * 60_000,
  };
}

/**
 * How a power outage left this meter's interval: the share of it with power, and whether the
 * power is down at `read_at` itself (the voltage read then is 0). undefined when no outage took
 * this meter's power during the interval.
 */
function powerLoss(state: BatchState, meterId: number, effects: FeederEffects | undefined): { poweredShare: number; downAtEnd: boolean } | undefined {
  if (effects === undefined || effects.powerOutages.length === 0) return undefined;
  let downMs = 0;
  let downAtEnd = false;
  for (const outage of effects.powerOutages) {
    if (!losesPower(state.context.tenantKey, meterId, outage.eventId, outage.severity)) continue;
    downMs = Math.max(downMs, overlapMs(outage.startsMs, outage.endsMs, state.readAtMs, state.lengthMs));
    if (outage.startsMs <= state.readAtMs && state.readAtMs < outage.endsMs) downAtEnd = true;
  }
  return downMs > 0 ? { poweredShare: 1 - downMs / state.lengthMs, downAtEnd } : undefined;
}

function readOf(state: BatchState, profile: MeterProfile, effects: FeederEffects | undefined): GeneratedRead {
  const { context } = state;
  const { meterId, feederId } = profile;
  const meter = meterInterval(context, profile, true, meterScratch);
  let feeder = state.feeders.get(feederId);
  if (feeder === undefined) {
    feeder = feederVoltage(context, feederId);
    state.feeders.set(feederId, feeder);
  }
  // A meter without power measures nothing for that part of the interval, and reads 0 V at its end.
  const loss = powerLoss(state, meterId, effects);
  const powered = loss?.poweredShare ?? 1;
  const kwh = meter.kwh * (effects?.kwhFactor ?? 1) * powered;
  const received = meter.kwhReceived * powered;
  const voltage = loss?.downAtEnd
    ? 0
    : effects !== undefined && effects.sagSeverity > 0
      ? sagVoltage(effects.sagSeverity, meter.voltageWhiteZ)
      : serviceVoltage(feeder, profile, meter);
  return {
    meterId,
    feederId,
    kwh: kwh > 0 ? round4(kwh) : 0, // also turns a -0 or NaN from bad input into a plain 0
    kwhReceived: received > 0 ? round4(received) : 0,
    voltage,
    baselineKwh: meter.expectedKwh > 0 ? round4(meter.expectedKwh) : 0,
    status: loss ? state.status | STATUS_BITS.POWER_DOWN : state.status,
  };
}

/**
 * The read of one meter for the interval ending at `readAt`. `events` may hold events of any
 * feeder and time; only those of the meter's feeder that apply to the interval count.
 * @throws RangeError when `readAt` is not aligned to `intervalMinutes`, or for a profile the model does not know.
 */
export function generateRead(tenant: TenantModel, profile: MeterProfile, readAt: Date, events: GridEvent[], intervalMinutes = 15): GeneratedRead {
  const state = batchState(tenant, readAt, intervalMinutes);
  return readOf(state, profile, effectsForFeeder(events, profile.feederId, readAt, state.lengthMs));
}

/**
 * The reads of `profiles` for the interval ending at `readAt`, in profile order, one per meter
 * (whether and when each reaches the head-end is collection.ts's). What all meters share
 * (local time, calendar, weather, sun, class curves, each feeder's voltage state) is computed
 * once per batch.
 * @throws RangeError when `readAt` is not aligned to `intervalMinutes`, or for a profile the model does not know.
 */
export function generateBatch(tenant: TenantModel, profiles: MeterProfile[], readAt: Date, events: GridEvent[], intervalMinutes = 15): GeneratedRead[] {
  const state = batchState(tenant, readAt, intervalMinutes);
  const byFeeder = effectsByFeeder(events, readAt, state.lengthMs);
  const reads: GeneratedRead[] = new Array(profiles.length);
  for (let i = 0; i < profiles.length; i++) {
    const profile = profiles[i]!;
    reads[i] = readOf(state, profile, byFeeder.size === 0 ? undefined : byFeeder.get(profile.feederId));
  }
  return reads;
}
