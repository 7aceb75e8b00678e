/**
 * Collection: when a read reaches the head-end, if ever. Pure and seeded like the rest of the
 * emulator: the same (tenant, meter, read_at, events, profile) always gives the same arrival.
 *
 * - `ideal` (the default): every read arrives with its own tick, unless an event withholds it.
 * - `typical`: a real AMI mesh. Most reads arrive with their tick; a few percent come later,
 *   most within 4 hours and nearly all within a day; and a few meters per thousand are
 *   unreachable for days at a time, their reads kept in the meter's memory and sent when the
 *   link is back.
 * Events on top, whatever the profile: a comms outage withholds the reads of its dark meters
 * until it ends (then they drain in within the hour), or loses them when its `backfill` is
 * false (a failed meter memory); a power outage withholds the reads of the meters it left
 * without power at `read_at` until the power is back (the meter's memory survives).
 *
 * The figures: utilities report daily AMI read success of 98-99.9 % (on-time shares in the
 * high 90s, the rest within the day: e.g. the AMI performance metrics utilities file with
 * their regulators); the exact numbers below are chosen to meet the ranges of the issue
 * (97-99 % with the tick, most of the rest within 4 h, >= 99.5 % within 24 h) and are
 * checked by test/emulator/collection.test.ts and test/ingest/collection.test.ts.
 */
import type { FeederEffects } from './events.ts';
import { darkeningOutage, losesPower } from './events.ts';
import { addNumber, addString, finishKey, uniformAt } from './random.ts';

export const COLLECTION_PROFILES = ['ideal', 'typical'] as const;
export type CollectionProfile = (typeof COLLECTION_PROFILES)[number];

/** How a read reached the head-end, as `meter_reads_electric.delivery` stores it. */
export const DELIVERY = {
  /** With its own tick. */
  ON_TIME: 0,
  /** Later, by the network's latency. */
  LATE: 1,
  /** From the meter's memory after it was cut off (unreachable, comms outage, power outage). */
  BACKFILLED: 2,
} as const;
export type Delivery = (typeof DELIVERY)[keyof typeof DELIVERY];

/** Typical profile: share of reads that miss their tick (chosen: 2 %, so 97-99 % arrive with it). */
export const TYPICAL_LATE_SHARE = 0.02;
/**
 * Latency of a late read: lognormal, median 40 minutes, sigma 1.2 (chosen): 93 % within 4 h,
 * 99.9 % within 24 h; at least 1 minute, at most 3 days.
 */
const LATE_MEDIAN_MS = 40 * 60_000;
const LATE_SIGMA = 1.2;
const LATE_MIN_MS = 60_000;
const LATE_MAX_MS = 3 * 86_400_000;
/**
 * Typical profile: in each week (UTC, from the epoch) a meter is unreachable with probability
 * 0.5 % for 1 to 4 days starting anywhere in the week (chosen): about 2 meters per thousand
 * unreachable at any time ("a few per thousand").
 */
const WEEK_MS = 7 * 86_400_000;
export const UNREACHABLE_WEEKLY_SHARE = 0.005;
const UNREACHABLE_MIN_MS = 86_400_000;
const UNREACHABLE_MAX_MS = 4 * 86_400_000;
/**
 * After an outage or an unreachable spell, the meters' withheld reads drain in over this window
 * as the mesh rebuilds its routes (chosen: 45 minutes, so every read is in within the hour,
 * the sweep that delivers them running every minute).
 */
export const DRAIN_MS = 45 * 60_000;

/** When a read reaches the head-end. */
export type Arrival =
  | { kind: 'on-time' }
  /** After its tick, by the network (typical profile). */
  | { kind: 'late'; arriveAtMs: number }
  /** From the meter's memory after an unreachable spell whose end is known (typical profile). */
  | { kind: 'backfill'; arriveAtMs: number }
  /** Withheld by an event (comms outage with backfill, power down): it arrives at the event's end + drainMs. */
  | { kind: 'held'; eventId: number; drainMs: number }
  /** Never (a comms outage without backfill). */
  | { kind: 'lost' };

function draw(tenantKey: number, meterId: number, tag: string, at: number, index = 0): number {
  return uniformAt(finishKey(addNumber(addString(addNumber(tenantKey, meterId), tag), at), 4), index);
}

/** Where the drained reads of a meter fall in the drain window: uniform [0, DRAIN_MS). */
export function drainMs(tenantKey: number, meterId: number, readAtMs: number): number {
  return Math.floor(draw(tenantKey, meterId, 'drain', readAtMs) * DRAIN_MS);
}

/** The unreachable spell of a meter in one week, if it has one: [startMs, endMs). */
export function unreachableSpell(tenantKey: number, meterId: number, week: number): { startMs: number; endMs: number } | undefined {
  if (draw(tenantKey, meterId, 'unreachable', week) >= UNREACHABLE_WEEKLY_SHARE) return undefined;
  const startMs = week * WEEK_MS + Math.floor(draw(tenantKey, meterId, 'unreachable', week, 1) * WEEK_MS);
  const lengthMs = UNREACHABLE_MIN_MS + Math.floor(draw(tenantKey, meterId, 'unreachable', week, 2) * (UNREACHABLE_MAX_MS - UNREACHABLE_MIN_MS));
  return { startMs, endMs: startMs + lengthMs };
}

/** The unreachable spell covering `atMs`, if any (a spell may run into the next weeks). */
export function unreachableAt(tenantKey: number, meterId: number, atMs: number): { startMs: number; endMs: number } | undefined {
  const week = Math.floor(atMs / WEEK_MS);
  for (let w = week; w >= week - 1; w--) {
    const spell = unreachableSpell(tenantKey, meterId, w);
    if (spell && spell.startMs <= atMs && atMs < spell.endMs) return spell;
  }
  return undefined;
}

/** Latency of a late read of the typical profile, ms. */
export function lateLatencyMs(tenantKey: number, meterId: number, readAtMs: number): number {
  const u1 = draw(tenantKey, meterId, 'late', readAtMs, 1);
  const u2 = draw(tenantKey, meterId, 'late', readAtMs, 2);
  const z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  return Math.round(Math.min(LATE_MAX_MS, Math.max(LATE_MIN_MS, LATE_MEDIAN_MS * Math.exp(LATE_SIGMA * z))));
}

/**
 * When the read of `meterId` for the interval ending at `readAtMs` reaches the head-end, given
 * the effects on its feeder for that interval and the tenant's collection profile. The first
 * that applies wins: power down at `read_at`, a comms outage, an unreachable spell, a late draw.
 * `tenantKey` is `startKey(tenantId)`.
 */
export function arrivalOf(tenantKey: number, meterId: number, readAtMs: number, effects: FeederEffects | undefined, profile: CollectionProfile): Arrival {
  if (effects !== undefined) {
    for (const outage of effects.powerOutages) {
      const downAtReadAt = outage.startsMs <= readAtMs && readAtMs < outage.endsMs;
      if (downAtReadAt && losesPower(tenantKey, meterId, outage.eventId, outage.severity)) {
        return { kind: 'held', eventId: outage.eventId, drainMs: drainMs(tenantKey, meterId, readAtMs) };
      }
    }
    if (effects.outages.length > 0) {
      const outage = darkeningOutage(tenantKey, meterId, effects);
      if (outage) return outage.backfill ? { kind: 'held', eventId: outage.eventId, drainMs: drainMs(tenantKey, meterId, readAtMs) } : { kind: 'lost' };
    }
  }
  if (profile === 'ideal') return { kind: 'on-time' };
  const spell = unreachableAt(tenantKey, meterId, readAtMs);
  if (spell) return { kind: 'backfill', arriveAtMs: spell.endMs + drainMs(tenantKey, meterId, readAtMs) };
  if (draw(tenantKey, meterId, 'late', readAtMs) < TYPICAL_LATE_SHARE)
    return { kind: 'late', arriveAtMs: readAtMs + lateLatencyMs(tenantKey, meterId, readAtMs) };
  return { kind: 'on-time' };
}

/** The delivery class a read of this arrival is stored with. */
export function deliveryOf(arrival: Arrival): Delivery {
  if (arrival.kind === 'on-time') return DELIVERY.ON_TIME;
  return arrival.kind === 'late' ? DELIVERY.LATE : DELIVERY.BACKFILLED;
}

export const METER_EVENT_TYPES = ['last-gasp', 'power-restored'] as const;
export type MeterEventType = (typeof METER_EVENT_TYPES)[number];

/** Meters send their last gasp or restoration within this long of the instant (chosen: 2 s). */
export const METER_EVENT_SPREAD_MS = 2_000;

/**
 * The instant a meter sends its last gasp (at the power outage's start, from the energy left in
 * its capacitor) or its restoration message (at the end): within METER_EVENT_SPREAD_MS of it.
 */
export function meterEventAt(tenantKey: number, meterId: number, eventId: number, type: MeterEventType, atMs: number): number {
  return atMs + Math.floor(draw(tenantKey, meterId, type, eventId) * METER_EVENT_SPREAD_MS);
}
