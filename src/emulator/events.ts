/**
 * Grid events injected by an operator and what they do to their feeder. Theft, a comms outage
 * and a sag apply to a read when the read's `read_at` lies in [startsAt, endsAt), so catch-up
 * of a past interval sees exactly the events that were in force then. A power outage acts on
 * the energy of every interval it overlaps (the meter had no power for part of it), and on the
 * read's delivery while the power is still down at `read_at` (collection.ts).
 */
import { addNumber, addString, finishKey, uniformAt } from './random.ts';

export const EVENT_TYPES = ['theft', 'comms-outage', 'voltage-sag', 'power-outage'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A grid event as generation sees it (a row of `ami_events`). `severity` is in (0, 1]; `endsAt` null = open-ended. */
export interface GridEvent {
  id: number;
  feederId: number;
  type: EventType;
  severity: number;
  startsAt: Date;
  endsAt: Date | null;
  /** comms-outage: the withheld reads are sent once it ends (true, the default) or lost (a failed meter memory). */
  backfill?: boolean;
}

/** A power outage over an interval, as the effects of a feeder carry it. */
export interface PowerOutageEffect {
  eventId: number;
  severity: number;
  startsMs: number;
  /** Infinity while open-ended. */
  endsMs: number;
}

/** The combined effect of every event on one feeder for one interval. */
export interface FeederEffects {
  /** Product of (1 - severity) over thefts in force; 1 without theft. */
  kwhFactor: number;
  /** Comms outages in force: a meter is dark when its draw for any of them is under its severity. */
  outages: Array<{ eventId: number; severity: number; backfill: boolean }>;
  /** Highest sag severity in force; 0 without sag (the deepest sag wins, sags do not add up). */
  sagSeverity: number;
  /** Power outages overlapping the interval (read_at - length, read_at]. */
  powerOutages: PowerOutageEffect[];
}

/**
 * The one rule of "event in force at `at`": `startsAt <= at < endsAt` (no end: still in force).
 * Its SQL twin is `public.ami_in_force(starts_at, ends_at, at)`; a test holds them equal.
 */
export function isInForce(event: Pick<GridEvent, 'startsAt' | 'endsAt'>, at: Date): boolean {
  const ms = at.getTime();
  return event.startsAt.getTime() <= ms && (event.endsAt === null || ms < event.endsAt.getTime());
}

/** Milliseconds of the interval (readAt - lengthMs, readAt] that the window [startsMs, endsMs) covers. */
export function overlapMs(startsMs: number, endsMs: number, readAtMs: number, lengthMs: number): number {
  return Math.max(0, Math.min(endsMs, readAtMs) - Math.max(startsMs, readAtMs - lengthMs));
}

/** Events of `feederId` in force at `readAt`. */
export function eventsForFeeder(events: GridEvent[], feederId: number, readAt: Date): GridEvent[] {
  return events.filter((event) => event.feederId === feederId && isInForce(event, readAt));
}

// Severity outside (0, 1] is refused by the API; clamping here keeps kWh from going negative
// even if a bad row slips in.
function clampSeverity(severity: number): number {
  return Math.min(1, Math.max(0, severity));
}

function addEffect(effects: FeederEffects | undefined, event: GridEvent, readAtMs: number, lengthMs: number): FeederEffects | undefined {
  const severity = clampSeverity(event.severity);
  const endsMs = event.endsAt === null ? Number.POSITIVE_INFINITY : event.endsAt.getTime();
  if (event.type === 'power-outage') {
    if (overlapMs(event.startsAt.getTime(), endsMs, readAtMs, lengthMs) <= 0) return effects;
  } else if (!(event.startsAt.getTime() <= readAtMs && readAtMs < endsMs)) {
    return effects;
  }
  const current = effects ?? { kwhFactor: 1, outages: [], sagSeverity: 0, powerOutages: [] };
  if (event.type === 'theft') current.kwhFactor = Math.max(0, current.kwhFactor * (1 - severity));
  else if (event.type === 'comms-outage') current.outages.push({ eventId: event.id, severity, backfill: event.backfill !== false });
  else if (event.type === 'voltage-sag') current.sagSeverity = Math.max(current.sagSeverity, severity);
  else current.powerOutages.push({ eventId: event.id, severity, startsMs: event.startsAt.getTime(), endsMs });
  return current;
}

/** Effects per feeder on the interval ending at `readAt`, for a batch: feeders without events are absent. */
export function effectsByFeeder(events: GridEvent[], readAt: Date, lengthMs = 900_000): Map<number, FeederEffects> {
  const byFeeder = new Map<number, FeederEffects>();
  for (const event of events) {
    const effects = addEffect(byFeeder.get(event.feederId), event, readAt.getTime(), lengthMs);
    if (effects) byFeeder.set(event.feederId, effects);
  }
  return byFeeder;
}

/** Effects on one feeder for the interval ending at `readAt`, or undefined when nothing applies there. */
export function effectsForFeeder(events: GridEvent[], feederId: number, readAt: Date, lengthMs = 900_000): FeederEffects | undefined {
  let effects: FeederEffects | undefined;
  for (const event of events) {
    if (event.feederId === feederId) effects = addEffect(effects, event, readAt.getTime(), lengthMs);
  }
  return effects;
}

/**
 * The draw a meter holds for the whole of one event, uniform [0, 1), seeded by (tenant, meter,
 * kind, event id) only: the same meters stay dark (or without power) from the first interval of
 * the event to the last, like a collector that went down, and the stale-meter KPI ages.
 * `tenantKey` is `startKey(tenantId)`.
 */
function eventDraw(tenantKey: number, meterId: number, kind: string, eventId: number): number {
  // The tag keeps this key apart from the read key (tenant, meter, read_at).
  return uniformAt(finishKey(addNumber(addString(addNumber(tenantKey, meterId), kind), eventId), 4), 0);
}

/** A meter's draw for a comms outage: it is dark when the draw is under the severity. */
export function outageDraw(tenantKey: number, meterId: number, eventId: number): number {
  return eventDraw(tenantKey, meterId, 'comms-outage', eventId);
}

/** Whether a power outage of `severity` takes this meter's power: a share `severity` of the feeder's meters. */
export function losesPower(tenantKey: number, meterId: number, eventId: number, severity: number): boolean {
  return eventDraw(tenantKey, meterId, 'power-outage', eventId) < clampSeverity(severity);
}

/** The comms outage in `effects` that hides this meter's read, if any (the first that does). */
export function darkeningOutage(tenantKey: number, meterId: number, effects: FeederEffects): FeederEffects['outages'][number] | undefined {
  return effects.outages.find((outage) => outageDraw(tenantKey, meterId, outage.eventId) < outage.severity);
}

/** Whether an outage in `effects` hides this meter's read. */
export function isDarkMeter(tenantKey: number, meterId: number, effects: FeederEffects): boolean {
  return darkeningOutage(tenantKey, meterId, effects) !== undefined;
}
