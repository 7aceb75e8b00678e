import { collectionKpis, intervalKpis, kpiEvents, latestIntervalAsOf, tenantKpiContext, type FeederKpiRow, type KpiEvent } from '../db/kpi.ts';
import type { Queryable } from '../db/pool.ts';
import type { Deps } from '../deps.ts';
import { readAtErrors } from '../domain/interval.ts';
import { FEEDER_RESIDUAL_CV, isInForce } from '../emulator/index.ts';
import { fieldErrors } from '../errors.ts';

/** The connection to read on (a turn of the read gate) and the rules of readAt. */
export type QuickcheckDeps = { db: Queryable } & Pick<Deps, 'clock' | 'retentionDays'>;

export interface QuickcheckEvent {
  id: number;
  feederId: number;
  type: string;
  severity: number;
  startsAt: string;
  endsAt: string | null;
  /** The event was in force at the interval of the figures (isInForce). */
  affectsInterval: boolean;
  /** The event is in force now (it may not show in the reads yet). */
  activeNow: boolean;
}

/**
 * GET /api/ami/kpi/quickcheck (SPEC sections 7 and 13): the dashboard's one
 * call. Every figure refers to one interval: the tenant's newest fully
 * published interval, or `readAt` when given; never the wall clock. They count
 * every read stored now (late and backfilled ones included); with `asOf`,
 * only those the head-end had received by that instant, as the dashboard
 * showed them then (the interval then defaults to the newest complete at
 * `asOf`). The figures come from `ami_kpi.interval_kpis_at` (or
 * `interval_kpis_as_of`) in one statement, collection and outages from
 * `ami_kpi.collection_kpis_at`, the events from `ami_kpi.events_at`. Outages
 * are taken at `readAt` when given, else at `asOf`, else now: meters report
 * a lost power within a minute, not with the next tick.
 */
export async function quickcheck(deps: QuickcheckDeps, tenantId: string, readAt?: Date, asOf?: Date) {
  const now = deps.clock();
  const context = await tenantKpiContext(deps.db, tenantId);
  const errors = readAt === undefined ? [] : readAtErrors(readAt, { intervalMinutes: context.intervalMinutes, now, retentionDays: deps.retentionDays });
  if (asOf !== undefined) {
    if (asOf.getTime() > now.getTime()) errors.push({ field: 'asOf', message: `must not be in the future (now is ${now.toISOString()})` });
    else if (readAt !== undefined && asOf.getTime() < readAt.getTime()) {
      errors.push({ field: 'asOf', message: `must be at or after readAt (${readAt.toISOString()}): no read of an interval arrives before it ends` });
    }
  }
  if (errors.length > 0) throw fieldErrors(errors);
  const interval = readAt ?? (asOf !== undefined ? await latestIntervalAsOf(deps.db, tenantId, asOf) : context.latestInterval);
  const outageAt = readAt ?? asOf ?? now;

  // Without readAt the figures are the dashboard's "now": add the events in
  // force at this moment, so an injected event shows before its first read.
  // One connection (a turn of the read gate): one statement at a time.
  const kpi = await intervalKpis(deps.db, tenantId, interval, asOf);
  const collection = await collectionKpis(deps.db, tenantId, interval, outageAt, asOf);
  const events = await kpiEvents(deps.db, tenantId, interval, readAt === undefined ? (asOf ?? now) : null);
  const activeEvents = events.map((event) => eventJson(event, interval, asOf ?? now));
  const withoutPower = new Map(collection.feeders.map((feeder) => [feeder.feeder_id, feeder.meters_without_power]));

  return {
    ok: true as const,
    tenantId,
    intervalMinutes: context.intervalMinutes,
    timeZone: context.timeZone,
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
      kwhDeviationNoisePct: deviationNoisePct(kpi.reporting_meters),
      receivedKwh: kpi.received_kwh,
    },
    voltage: {
      mean: kpi.mean_voltage,
      min: kpi.min_voltage,
      max: kpi.max_voltage,
      under114: kpi.under_114,
      over126: kpi.over_126,
    },
    collection: {
      profile: collection.profile,
      onTimeReads: collection.on_time_reads,
      lateReads: collection.late_reads,
      backfilledReads: collection.backfilled_reads,
      readSuccess4hPct: collection.read_success_4h_pct,
      readSuccess24hPct: collection.read_success_24h_pct,
    },
    outage: {
      at: outageAt.toISOString(),
      metersWithoutPower: collection.meters_without_power,
      lastGasps: collection.last_gasps,
      restorations: collection.restorations,
    },
    feeders: kpi.feeders.map((feeder) => feederJson(feeder, activeEvents, withoutPower.get(feeder.feeder_id) ?? 0)),
    activeEvents,
    asOf: asOf?.toISOString() ?? null,
    generatedAt: now.toISOString(),
    registered: context.registered,
    newestInterval: context.latestInterval?.toISOString() ?? null,
  };
}

export type Quickcheck = Awaited<ReturnType<typeof quickcheck>>;

/**
 * How far an event-free kwhDeviationPct of `reporting` meters strays by the
 * model's own randomness: one standard deviation, percent (the load model's
 * measured feeder spread, FEEDER_RESIDUAL_CV / sqrt(n): 0.95 % at 1,000
 * meters, 4.7 % at 40). A deviation of several times this is the model's
 * events, not its noise: the dashboard colours by it. Null without reads.
 */
function deviationNoisePct(reporting: number): number | null {
  return reporting > 0 ? Math.round((10_000 * FEEDER_RESIDUAL_CV) / Math.sqrt(reporting)) / 100 : null;
}

function feederJson(feeder: FeederKpiRow, events: QuickcheckEvent[], metersWithoutPower: number) {
  return {
    feederId: feeder.feeder_id,
    expectedMeters: feeder.expected_meters,
    reportingMeters: feeder.reporting_meters,
    missingMeters: feeder.missing_meters,
    reportingRatePct: feeder.reporting_rate_pct,
    totalKwh: feeder.total_kwh,
    baselineKwh: feeder.baseline_kwh,
    kwhDeviationPct: feeder.kwh_deviation_pct,
    kwhDeviationNoisePct: deviationNoisePct(feeder.reporting_meters),
    receivedKwh: feeder.received_kwh,
    meanKwh: feeder.mean_kwh,
    meanVoltage: feeder.mean_voltage,
    minVoltage: feeder.min_voltage,
    maxVoltage: feeder.max_voltage,
    under114: feeder.under_114,
    over126: feeder.over_126,
    staleMeters: feeder.stale_meters,
    neverReported: feeder.never_reported,
    metersWithoutPower,
    activeEvents: events.filter((event) => event.feederId === feeder.feeder_id),
  };
}

function eventJson(event: KpiEvent, interval: Date | null, now: Date): QuickcheckEvent {
  return {
    id: event.id,
    feederId: event.feederId,
    type: event.type,
    severity: event.severity,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt?.toISOString() ?? null,
    affectsInterval: interval !== null && isInForce(event, interval),
    activeNow: isInForce(event, now),
  };
}
