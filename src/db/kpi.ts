import type pg from 'pg';
import { DEFAULT_TIME_ZONE } from '../emulator/index.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * Reads of the KPI schema `ami_kpi` (migrations/committed/000004 and later):
 * the SQL there defines every figure; this module only fetches them.
 */

export interface TenantKpiContext {
  /** False when the tenant has no registered fleet. */
  registered: boolean;
  intervalMinutes: number;
  /** The newest fully published interval (ami_kpi_private.latest_interval, migration 000005), or null before the first read. */
  latestInterval: Date | null;
  /** The tenant's IANA time zone (the default for a tenant without a fleet). */
  timeZone: string;
}

export async function tenantKpiContext(db: Queryable, tenantId: string): Promise<TenantKpiContext> {
  const { rows } = await db.query<{ interval_minutes: number; latest_interval: Date | null; time_zone: string }>(
    'select interval_minutes, latest_interval, time_zone from ami_kpi.tenants where tenant_id = $1',
    [tenantId],
  );
  const row = rows[0];
  if (row) return { registered: true, intervalMinutes: row.interval_minutes, latestInterval: row.latest_interval, timeZone: row.time_zone };
  // No fleet: reads can still exist (inserted by hand); the reference is theirs.
  const newest = await db.query<{ read_at: Date | null }>('select max(read_at) as read_at from meter_reads_electric where tenant_id = $1', [tenantId]);
  return { registered: false, intervalMinutes: 15, latestInterval: newest.rows[0]?.read_at ?? null, timeZone: DEFAULT_TIME_ZONE };
}

/** One feeder's figures (ami_kpi.feeder_kpi), as JSON from the database. */
export interface FeederKpiRow {
  feeder_id: number;
  expected_meters: number;
  reporting_meters: number;
  missing_meters: number;
  reporting_rate_pct: number | null;
  total_kwh: number;
  baseline_kwh: number;
  kwh_deviation_pct: number | null;
  mean_kwh: number | null;
  mean_voltage: number | null;
  min_voltage: number | null;
  max_voltage: number | null;
  under_114: number;
  over_126: number;
  stale_meters: number;
  never_reported: number;
  received_kwh: number;
}

/** A tenant's figures for one interval (ami_kpi.interval_kpi). */
export interface IntervalKpiRow {
  read_at: string | null;
  expected_meters: number;
  reporting_meters: number;
  missing_meters: number;
  reporting_rate_pct: number | null;
  total_kwh: number;
  mean_kwh: number | null;
  baseline_kwh: number;
  kwh_deviation_pct: number | null;
  mean_voltage: number | null;
  min_voltage: number | null;
  max_voltage: number | null;
  under_114: number;
  over_126: number;
  current: number;
  stale_over_15m: number;
  stale_over_1h: number;
  stale_over_4h: number;
  stale_over_24h: number;
  never_reported: number;
  feeders: FeederKpiRow[];
  received_kwh: number;
}

/**
 * `ami_kpi.interval_kpis_at(tenant, readAt)`: every figure of one interval in
 * one pass; with `asOf`, `ami_kpi.interval_kpis_as_of`: as the data stood then.
 */
export async function intervalKpis(db: Queryable, tenantId: string, readAt: Date | null, asOf?: Date): Promise<IntervalKpiRow> {
  const { rows } =
    asOf === undefined || readAt === null
      ? await db.query<{ kpi: IntervalKpiRow }>('select to_jsonb(k) as kpi from ami_kpi.interval_kpis_at($1, $2) as k', [tenantId, readAt])
      : await db.query<{ kpi: IntervalKpiRow }>('select to_jsonb(k) as kpi from ami_kpi.interval_kpis_as_of($1, $2, $3) as k', [tenantId, readAt, asOf]);
  return rows[0]!.kpi;
}

/** The interval the dashboard showed at `asOf`: the newest tick complete by then. */
export async function latestIntervalAsOf(db: Queryable, tenantId: string, asOf: Date): Promise<Date | null> {
  const { rows } = await db.query<{ read_at: Date | null }>(
    `select max(read_at) as read_at from ami_ticks where tenant_id = $1 and status = 'complete' and completed_at <= $2`,
    [tenantId, asOf],
  );
  return rows[0]?.read_at ?? null;
}

/** `ami_kpi.collection_kpis_at` (ami_kpi.collection_kpi). */
export interface CollectionKpiRow {
  profile: string;
  on_time_reads: number;
  late_reads: number;
  backfilled_reads: number;
  read_success_4h_pct: number | null;
  read_success_24h_pct: number | null;
  outage_at: string;
  meters_without_power: number;
  last_gasps: number;
  restorations: number;
  feeders: Array<{ feeder_id: number; meters_without_power: number }>;
}

/** How the reads of `readAt` came and the read success before it; the power outages as reported up to `outageAt`; with `asOf`, only what had arrived by then. */
export async function collectionKpis(db: Queryable, tenantId: string, readAt: Date | null, outageAt: Date, asOf?: Date): Promise<CollectionKpiRow> {
  const { rows } = await db.query<{ kpi: CollectionKpiRow }>('select to_jsonb(k) as kpi from ami_kpi.collection_kpis_at($1, $2, $3, $4) as k', [
    tenantId,
    readAt,
    outageAt,
    asOf ?? null,
  ]);
  return rows[0]!.kpi;
}

export interface KpiEvent {
  id: number;
  feederId: number;
  type: string;
  severity: number;
  startsAt: Date;
  endsAt: Date | null;
}

/**
 * `ami_kpi.events_at`: the events that affected `readAt`, plus, with
 * `inForceAt`, those in force at that time (not visible in the reads yet).
 */
export async function kpiEvents(db: Queryable, tenantId: string, readAt: Date | null, inForceAt: Date | null): Promise<KpiEvent[]> {
  const { rows } = await db.query<KpiEvent>(
    `select id, feeder_id as "feederId", type, severity, starts_at as "startsAt", ends_at as "endsAt"
       from ami_kpi.events_at($1, $2, $3)`,
    [tenantId, readAt, inForceAt],
  );
  return rows;
}
