import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

export interface Throughput {
  /** Complete ticks measured (the newest ones). */
  ticks: number;
  /** Reads written / time from enqueue to complete, over those ticks. */
  readsPerSecond: number | null;
  enqueueToCompleteMs: { p50: number | null; p95: number | null; max: number | null };
}

/** Ingest speed over the newest complete ticks of the ledger. */
export async function recentThroughput(db: Queryable, sample = 20): Promise<Throughput> {
  const { rows } = await db.query<{ ticks: number; rows: number | null; seconds: number | null; p50: number | null; p95: number | null; max: number | null }>(
    `with recent as (
       select rows_written, extract(epoch from completed_at - enqueued_at) as seconds
         from ami_ticks where status = 'complete' and enqueued_at is not null
        order by completed_at desc limit $1
     )
     select count(*)::int as ticks, sum(rows_written)::float8 as rows, sum(seconds)::float8 as seconds,
            (percentile_cont(0.5) within group (order by seconds) * 1000)::int as p50,
            (percentile_cont(0.95) within group (order by seconds) * 1000)::int as p95,
            (max(seconds) * 1000)::int as max
       from recent`,
    [sample],
  );
  const row = rows[0]!;
  return {
    ticks: row.ticks,
    readsPerSecond: row.rows !== null && row.seconds ? Math.round(row.rows / row.seconds) : null,
    enqueueToCompleteMs: { p50: row.p50, p95: row.p95, max: row.max },
  };
}

export interface RowCounts {
  /** From the planner's statistics: counting 17 M rows exactly takes seconds. */
  meterReadsEstimate: number;
  tenants: number;
  meters: number;
  ticks: number;
  events: number;
  /** Reads generated but not yet at the head-end (late, withheld by an outage, in an unreachable meter's memory). */
  pendingReads: number;
}

export async function rowCounts(db: Queryable): Promise<RowCounts> {
  const { rows } = await db.query<RowCounts>(
    `select greatest((select reltuples from pg_class where oid = 'public.meter_reads_electric'::regclass), 0)::bigint as "meterReadsEstimate",
            (select count(*) from ami_fleets)::int as tenants,
            (select count(*) from ami_meters where active)::int as meters,
            (select count(*) from ami_ticks)::int as ticks,
            (select count(*) from ami_events)::int as events,
            (select count(*) from ami_pending_reads)::int as "pendingReads"`,
  );
  return rows[0]!;
}
