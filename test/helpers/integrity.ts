import type pg from 'pg';
import type { Pool } from '../../src/db/pool.ts';
import { eventually } from './app.ts';

export interface IntervalIntegrity {
  reads: number;
  meters: number;
  /** Expected meters without a read. */
  lost: number;
  /** Reads beyond one per meter. */
  doubled: number;
}

/** How whole one interval of one tenant is: every expected meter once. */
export async function intervalIntegrity(pool: Pool, tenantId: string, readAt: Date | string, expected: number): Promise<IntervalIntegrity> {
  const { rows } = await pool.query<{ reads: number; meters: number }>(
    `select count(*)::int as reads, count(distinct meter_id)::int as meters
       from meter_reads_electric where tenant_id = $1 and read_at = $2`,
    [tenantId, readAt],
  );
  const { reads, meters } = rows[0]!;
  return { reads, meters, lost: expected - meters, doubled: reads - meters };
}

export async function lockedJobs(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from graphile_worker.jobs where locked_at is not null`);
  return rows[0]!.n;
}

/**
 * Holds a tick's ledger row FOR UPDATE in a transaction opened on `client` (its
 * rollback lets go), and waits until a batch queues behind it: from then on a
 * batch is surely running, and it waits there.
 */
export async function holdLedgerRow(client: pg.Client, pool: Pool, tenantId: string, readAt: Date | string): Promise<void> {
  await client.query('begin');
  await client.query('select 1 from ami_ticks where tenant_id = $1 and read_at = $2 for update', [tenantId, readAt]);
  await eventually(async () => {
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return rows[0]!.n > 0 ? true : undefined;
  }, 'a batch to wait on the ledger row');
}

export async function tickRow(pool: Pool, tenantId: string, readAt: Date | string) {
  const { rows } = await pool.query<{ status: string; batches_done: number; batch_count: number; rows_written: number }>(
    `select status, batches_done, batch_count, rows_written from ami_ticks where tenant_id = $1 and read_at = $2`,
    [tenantId, readAt],
  );
  return rows[0];
}

/**
 * A past quarter-hour boundary, n intervals before the one current at `nowMs`.
 * A test that publishes over more than a moment passes one `nowMs` taken at its
 * start: a boundary passing in between would otherwise move every "n ago" by one.
 */
export function intervalsAgo(n: number, nowMs = Date.now()): string {
  return new Date(Math.floor(nowMs / 900_000) * 900_000 - n * 900_000).toISOString();
}

/**
 * Rows where the KPI rollup (ami_interval_feeders) and a recount over the
 * reads disagree, both ways: empty when the rollup is exact. Sums are
 * compared at 4 decimals (the order of a float sum differs).
 */
export async function rollupDifferences(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query(
    `with rollup as (
       select tenant_id, read_at, feeder_id, reporting_meters as reporting, round(kwh::numeric, 4) as kwh, round(kwh_received::numeric, 4) as kwh_received,
              round(baseline_kwh::numeric, 4) as baseline, round(voltage_sum::numeric, 2) as voltage_sum, voltage_min, voltage_max, under_114, over_126,
              on_time, late, backfilled, received_4h, received_24h, power_down, voltage_reads
         from ami_interval_feeders where reporting_meters > 0
     ), recount as (
       select tenant_id, read_at, feeder_id, count(*)::int as reporting, round(sum(kwh::float8)::numeric, 4), round(sum(kwh_received::float8)::numeric, 4),
              round(sum(baseline_kwh::float8)::numeric, 4), round(coalesce(sum(voltage::float8) filter (where voltage > 0), 0)::numeric, 2),
              min(voltage) filter (where voltage > 0), max(voltage) filter (where voltage > 0),
              (count(*) filter (where voltage > 0 and voltage < 114))::int, (count(*) filter (where voltage > 126))::int,
              (count(*) filter (where delivery = 0))::int, (count(*) filter (where delivery = 1))::int, (count(*) filter (where delivery = 2))::int,
              (count(*) filter (where received_at is null or received_at <= read_at + interval '4 hours'))::int,
              (count(*) filter (where received_at is null or received_at <= read_at + interval '24 hours'))::int,
              (count(*) filter (where status & 128 = 128))::int, (count(*) filter (where voltage > 0))::int
         from meter_reads_electric group by 1, 2, 3
     )
     (select 'rollup only' as side, * from rollup except select 'rollup only', * from recount)
     union all
     (select 'recount only', * from recount except select 'recount only', * from rollup)`,
  );
  return rows;
}

/** Rows where the histogram of newest reads (ami_last_read_counts) and a count over ami_meter_last_reads disagree: empty when exact. */
export async function lastReadCountDifferences(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query(
    `with counted as (
       select tenant_id, feeder_id, coalesce(last_read_at, '-infinity') as last_read_at, count(*)::int as meters from ami_meter_last_reads group by 1, 2, 3
     ), kept as (select tenant_id, feeder_id, last_read_at, meters from ami_last_read_counts)
     (select 'histogram only' as side, * from kept except select 'histogram only', * from counted)
     union all
     (select 'count only', * from counted except select 'count only', * from kept)`,
  );
  return rows;
}
