import { DEFAULT_TIME_ZONE } from '../emulator/index.ts';
import type { Queryable } from './pool.ts';

/**
 * The dashboard's time series: one point per interval, the rows of the view
 * `ami_kpi.interval_history` (migrations), which GraphQL serves as
 * `allIntervalHistories`: one SQL definition for both.
 */

export interface SeriesContext {
  /** The tenant's interval length: its fleet's (its auto mode configuration's, 15 without either). */
  intervalMinutes: number;
  /** Newest interval fully published (ami_kpi_private.latest_interval); null before the first read. */
  latestInterval: Date | null;
  /** The tenant's IANA time zone (the dashboard draws its charts on the tenant's clock). */
  timeZone: string;
}

export async function seriesContext(db: Queryable, tenantId: string): Promise<SeriesContext> {
  const { rows } = await db.query<{ interval_minutes: number; latest_interval: Date | null; time_zone: string }>(
    `select coalesce((select f.interval_minutes from ami_fleets f where f.tenant_id = $1),
                     (select a.interval_minutes from ami_auto_config a where a.tenant_id = $1), 15) as interval_minutes,
            ami_kpi_private.latest_interval($1) as latest_interval,
            coalesce((select f.time_zone from ami_fleets f where f.tenant_id = $1), $2) as time_zone`,
    [tenantId, DEFAULT_TIME_ZONE],
  );
  const row = rows[0]!;
  return { intervalMinutes: row.interval_minutes, latestInterval: row.latest_interval, timeZone: row.time_zone };
}

export interface SeriesPoint {
  readAt: Date;
  /** The fleet the interval was published for (its tick), today's fleet for reads without a tick. */
  expectedMeters: number;
  reportingMeters: number;
  reportingRatePct: number | null;
  totalKwh: number;
  baselineKwh: number;
  kwhDeviationPct: number | null;
  meanVoltage: number;
  minVoltage: number;
  under114: number;
  /** Energy sent to the grid (rooftop solar), kWh. */
  receivedKwh: number;
  /** Outdoor temperature of the tenant's weather at the middle of the interval, degrees C (null without a tick). */
  temperatureC: number | null;
  /** Reporting rate at first delivery (the reads that came with the tick); reportingRatePct is the rate now. */
  firstDeliveryRatePct: number | null;
  /** Reads that came after the tick: late (network), backfilled (from the meters' memory). */
  lateReads: number;
  backfilledReads: number;
  /** Reads with the power-down bit (the meter lost power during the interval). */
  powerDownReads: number;
}

/** The statement of `intervalSeries` ($1 tenant, $2 from, $3 to); exported so the benchmark explains the same text. */
export const SERIES_SQL = `select read_at as "readAt", fleet_meters as "expectedMeters", reporting_meters as "reportingMeters",
        reporting_rate_pct as "reportingRatePct", total_kwh as "totalKwh", baseline_kwh as "baselineKwh",
        kwh_deviation_pct as "kwhDeviationPct", mean_voltage as "meanVoltage", min_voltage as "minVoltage", under_114 as "under114",
        received_kwh as "receivedKwh", temperature_c as "temperatureC",
        first_delivery_rate_pct as "firstDeliveryRatePct", late_reads as "lateReads", backfilled_reads as "backfilledReads",
        power_down_reads as "powerDownReads"
   from ami_kpi.interval_history
  where tenant_id = $1 and read_at >= $2 and read_at <= $3
  order by read_at`;

/**
 * One point per interval with reads in [from, to], oldest first: a range of
 * the KPI rollup (a row per feeder and interval), whatever the history kept.
 */
export async function intervalSeries(db: Queryable, tenantId: string, from: Date, to: Date): Promise<SeriesPoint[]> {
  const { rows } = await db.query<SeriesPoint>(SERIES_SQL, [tenantId, from, to]);
  return rows;
}
