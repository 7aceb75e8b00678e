/**
 * Grid events injected by an operator and what they do to the reads of their feeder.
 * An event applies to a read when the read's `read_at` lies in [startsAt, endsAt), so catch-up
 * of a past interval sees exactly the events that were active then.
 */
import { addNumber, addString, finishKey, uniformAt } from './random.ts';

export const EVENT_TYPES = ['theft', 'comms-outage', 'voltage-sag'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One event (a row of `ami_events`). `severity` is in (0, 1]; `endsAt` null = open-ended. */
export interface ActiveEvent {
  id: number;
  feederId: number;
  type: EventType;
  severity: number;
  startsAt: Date;
  endsAt: Date | null;
}

/** The combined effect of every event active on one feeder at one `read_at`. */
export interface FeederEffects {
  /** Product of (1 - severity) over thefts; 1 without theft. */
  kwhFactor: number;
  /** Active outages: a meter is dark when its draw for any of them is under its severity. */
  outages: Array<{ eventId: number; severity: number }>;
  /** Highest active sag severity; 0 without sag (the deepest sag wins, sags do not add up). */
  sagSeverity: number;
}

/** Point semantics: `startsAt <= readAt < endsAt` (no end = still active). */
export function isActiveAt(event: ActiveEvent, readAt: Date): boolean {
  const ms = readAt.getTime();
  return event.startsAt.getTime() <= ms && (event.endsAt === null || ms < event.endsAt.getTime());
}

/** Events of `feederId` active at `readAt`. */
export function eventsForFeeder(events: ActiveEvent[], feederId: number, readAt: Date): ActiveEvent[] {
  return events.filter((event) => event.feederId === feederId && isActiveAt(event, readAt));
}

// Severity outside (0, 1] is refused by the API; clamping here keeps kWh from going negative
// even if a bad row slips in.
function clampSeverity(severity: number): number {
  return Math.min(1, Math.max(0, severity));
}

function addEffect(effects: FeederEffects | undefined, event: ActiveEvent): FeederEffects {
  const current = effects ?? { kwhFactor: 1, outages: [], sagSeverity: 0 };
  const severity = clampSeverity(event.severity);
  if (event.type === 'theft') current.kwhFactor = Math.max(0, current.kwhFactor * (1 - severity));
  else if (event.type === 'comms-outage') current.outages.push({ eventId: event.id, severity });
  else if (event.type === 'voltage-sag') current.sagSeverity = Math.max(current.sagSeverity, severity);
  return current;
}

/** Effects per feeder at `readAt`, for a batch: feeders without active events are absent. */
export function effectsByFeeder(events: ActiveEvent[], readAt: Date): Map<number, FeederEffects> {
  const byFeeder = new Map<number, FeederEffects>();
  for (const event of events) {
    if (isActiveAt(event, readAt)) byFeeder.set(event.feederId, addEffect(byFeeder.get(event.feederId), event));
  }
  return byFeeder;
}

/** Effects on one feeder at `readAt`, or undefined when nothing is active there. */
export function effectsForFeeder(events: ActiveEvent[], feederId: number, readAt: Date): FeederEffects | undefined {
  let effects: FeederEffects | undefined;
  for (const event of events) {
    if (event.feederId === feederId && isActiveAt(event, readAt)) effects = addEffect(effects, event);
  }
  return effects;
}

/**
 * The draw a meter holds for the whole of one outage, uniform [0, 1), seeded by
 * (tenant, meter, event id) only: the same meters stay dark from the first interval of the
 * event to the last, like a collector that went down, and the stale-meter KPI ages.
 * `tenantKey` is `startKey(tenantId)`.
 */
export function outageDraw(tenantKey: number, meterId: number, eventId: number): number {
  // The tag keeps this key apart from the read key (tenant, meter, read_at).
  return uniformAt(finishKey(addNumber(addString(addNumber(tenantKey, meterId), 'comms-outage'), eventId), 4), 0);
}

/** Whether an outage in `effects` hides this meter's read. */
export function isDarkMeter(tenantKey: number, meterId: number, effects: FeederEffects): boolean {
  for (const outage of effects.outages) {
    if (outageDraw(tenantKey, meterId, outage.eventId) < outage.severity) return true;
  }
  return false;
}
