import { intervalKpis, kpiEvents, tenantKpiContext, type FeederKpiRow, type KpiEvent } from '../db/kpi.ts';
import type { Pool } from '../db/pool.ts';
import { getAlignedIntervalTimestamp, isAlignedTo } from '../emulator/index.ts';
import { fieldErrors } from '../errors.ts';

export interface QuickcheckDeps {
  pool: Pool;
  now: () => Date;
}

export interface QuickcheckEvent {
  id: number;
  feederId: number;
  type: string;
  severity: number;
  startsAt: string;
  endsAt: string | null;
  /** The event applies to the interval of the figures (starts_at <= interval < ends_at). */
  affectsInterval: boolean;
  /** The event is in force now (it may not show in the reads yet). */
  activeNow: boolean;
}

/**
 * GET /api/ami/kpi/quickcheck (SPEC section 7): the dashboard's one call.
 * Every figure refers to one interval: the tenant's newest interval with
 * reads, or `readAt` when given; never the wall clock. The figures come from
 * `ami_kpi.interval_kpis_at` in one statement, the events from
 * `ami_kpi.events_at`.
 */
export async function quickcheck(deps: QuickcheckDeps, tenantId: string, readAt?: Date) {
  const now = deps.now();
  const context = await tenantKpiContext(deps.pool, tenantId);
  if (readAt !== undefined) checkReadAt(readAt, context.intervalMinutes, now);
  const interval = readAt ?? context.latestInterval;

  // Without readAt the figures are the dashboard's "now": add the events in
  // force at this moment, so an injected event shows before its first read.
  const [kpi, events] = await Promise.all([
    intervalKpis(deps.pool, tenantId, interval),
    kpiEvents(deps.pool, tenantId, interval, readAt === undefined ? now : null),
  ]);
  const activeEvents = events.map((event) => eventJson(event, interval, now));

  return {
    ok: true as const,
    tenantId,
    intervalMinutes: context.intervalMinutes,
    latestInterval: interval?.toISOString() ?? null,
    reportingSummary: {
      expectedMeters: kpi.expected_meters,
      reportingMeters: kpi.reporting_meters,
      missingMeters: kpi.missing_meters,
      reportingRatePct: kpi.reporting_rate_pct,
    },
    staleMetersBuckets: {
      current: kpi.current,
      staleOver15m: kpi.stale_over_15m,
      staleOver1h: kpi.stale_over_1h,
      staleOver4h: kpi.stale_over_4h,
      staleOver24h: kpi.stale_over_24h,
      neverReported: kpi.never_reported,
    },
    energy: {
      totalKwh: kpi.total_kwh,
      meanKwh: kpi.mean_kwh,
      baselineKwh: kpi.baseline_kwh,
      kwhDeviationPct: kpi.kwh_deviation_pct,
    },
    voltage: {
      mean: kpi.mean_voltage,
      min: kpi.min_voltage,
      max: kpi.max_voltage,
      under114: kpi.under_114,
      over126: kpi.over_126,
    },
    feeders: kpi.feeders.map((feeder) => feederJson(feeder, activeEvents)),
    activeEvents,
    generatedAt: now.toISOString(),
    registered: context.registered,
    newestInterval: context.latestInterval?.toISOString() ?? null,
  };
}

export type Quickcheck = Awaited<ReturnType<typeof quickcheck>>;

function checkReadAt(readAt: Date, intervalMinutes: number, now: Date): void {
  if (!isAlignedTo(readAt, intervalMinutes)) {
    throw fieldErrors([{ field: 'readAt', message: `must be on a ${intervalMinutes}-minute boundary (UTC) of this tenant, e.g. 10:00, 10:${intervalMinutes === 15 ? '15' : '30'}` }]);
  }
  const current = getAlignedIntervalTimestamp(intervalMinutes, now);
  if (readAt > current) {
    throw fieldErrors([{ field: 'readAt', message: `must not be in the future: the current interval is ${current.toISOString()}` }]);
  }
}

function feederJson(feeder: FeederKpiRow, events: QuickcheckEvent[]) {
  return {
    feederId: feeder.feeder_id,
    expectedMeters: feeder.expected_meters,
    reportingMeters: feeder.reporting_meters,
    missingMeters: feeder.missing_meters,
    reportingRatePct: feeder.reporting_rate_pct,
    totalKwh: feeder.total_kwh,
    baselineKwh: feeder.baseline_kwh,
    kwhDeviationPct: feeder.kwh_deviation_pct,
    meanKwh: feeder.mean_kwh,
    meanVoltage: feeder.mean_voltage,
    minVoltage: feeder.min_voltage,
    maxVoltage: feeder.max_voltage,
    under114: feeder.under_114,
    over126: feeder.over_126,
    staleMeters: feeder.stale_meters,
    neverReported: feeder.never_reported,
    activeEvents: events.filter((event) => event.feederId === feeder.feeder_id),
  };
}

function eventJson(event: KpiEvent, interval: Date | null, now: Date): QuickcheckEvent {
  const inForce = (at: number) => event.startsAt.getTime() <= at && (event.endsAt === null || event.endsAt.getTime() > at);
  return {
    id: event.id,
    feederId: event.feederId,
    type: event.type,
    severity: event.severity,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt?.toISOString() ?? null,
    affectsInterval: interval !== null && inForce(interval.getTime()),
    activeNow: inForce(now.getTime()),
  };
}
