/**
 * Bulk history for the KPI benchmark: days of reads written by INSERT ...
 * SELECT in the database, not through the queue. The registry is the real one
 * (ensureFleet); kWh follows the emulator's class load curves times the
 * meter's scale with lognormal noise, voltage 121 +- 0.9 V, each received with
 * its tick (the reads' triggers keep the rollup and each meter's newest read);
 * the tick ledger is kept as the ingest would leave it.
 */
import { ensureFleet } from '../src/db/fleet.ts';
import { withTransaction, type Pool } from '../src/db/pool.ts';
import { classMeanKwh, QUARTER_HOUR_MS, tenantModel } from '../src/emulator/index.ts';

export interface HistoryShape {
  tenantId: string;
  meterCount: number;
  feederCount: number;
  /** The newest interval to load (aligned). */
  latest: Date;
  /** How many intervals, ending at `latest`. */
  intervals: number;
  /** Parallel INSERT statements. */
  connections: number;
}

/** Intervals per INSERT statement (a day). */
const CHUNK = 96;
/**
 * 4 meters in 5 of the dark feeder: a feeder's meters are f, f + F, f + 2F, ...
 * (round robin over F feeders), numbered here by (meter_id - 1) / F.
 */
const darkMeter = (feederCountParam: string) => `((m.meter_id - 1) / ${feederCountParam}::int) % 5 <> 0`;
const BATCH_SIZE = 500;

export async function registerFleet(pool: Pool, shape: Pick<HistoryShape, 'tenantId' | 'meterCount' | 'feederCount'>): Promise<void> {
  await withTransaction(pool, (client) => ensureFleet(client, { ...shape, now: new Date() }));
}

/**
 * Writes `intervals` complete intervals ending at `latest` for every active
 * meter, oldest day first, `connections` days at a time.
 */
export async function loadHistory(pool: Pool, shape: HistoryShape): Promise<void> {
  const readAts = Array.from({ length: shape.intervals }, (_, i) => new Date(shape.latest.getTime() - (shape.intervals - 1 - i) * QUARTER_HOUR_MS));
  // The daily partitions of the window, as the maintenance keeps them ahead of the ticks.
  await pool.query('select ami_private.ensure_read_partitions(ami_private.utc_day($1), ami_private.utc_day($2) + 1)', [readAts[0], shape.latest]);
  const chunks: Date[][] = [];
  for (let i = 0; i < readAts.length; i += CHUNK) chunks.push(readAts.slice(i, i + CHUNK));
  let next = 0;
  await Promise.all(
    Array.from({ length: shape.connections }, async () => {
      while (next < chunks.length) await insertIntervals(pool, shape.tenantId, shape.feederCount, chunks[next++]!, null);
    }),
  );
  await recordTicks(pool, shape, readAts);
}

/**
 * One more interval, as the ingest would write it; with `darkFeeder`, 80 % of
 * that feeder's meters do not report (a comms outage).
 */
export async function appendInterval(pool: Pool, shape: HistoryShape, readAt: Date, darkFeeder: number | null): Promise<number> {
  const written = await insertIntervals(pool, shape.tenantId, shape.feederCount, [readAt], darkFeeder);
  await recordTicks(pool, shape, [readAt]);
  return written;
}

async function insertIntervals(pool: Pool, tenantId: string, feederCount: number, readAts: Date[], darkFeeder: number | null): Promise<number> {
  const curve = (serviceClass: 'residential' | 'commercial' | 'industrial') =>
    readAts.map((readAt) => classMeanKwh(tenantModel(tenantId), serviceClass, readAt));
  const result = await pool.query(
    `with curve as (
       select * from unnest($2::timestamptz[], $3::float8[], $4::float8[], $5::float8[]) as c(read_at, residential, commercial, industrial)
     )
     insert into meter_reads_electric (tenant_id, read_at, received_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
     select $1, c.read_at, c.read_at, m.meter_id, m.feeder_id,
            round((b.base * exp(0.15 * b.z1 - 0.01125))::numeric, 4)::real,
            round(least(124, greatest(118, 121 + 0.9 * b.z2))::numeric, 1)::real,
            round(b.base::numeric, 4)::real
       from curve c
      -- For each interval in turn, every meter in id order (the reference to
      -- c keeps this loop inside the interval loop): the heap ends up grouped
      -- by interval, as the ingest leaves it.
      cross join lateral (
        select meter_id, feeder_id, service_class, scale from ami_meters
         where tenant_id = $1 and active and c.read_at is not null order by meter_id
      ) m
      cross join lateral (
        select (case m.service_class when 'residential' then c.residential when 'commercial' then c.commercial else c.industrial end) * m.scale as base,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as z1,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as z2
      ) b
      where $6::int is null or not (m.feeder_id = $6 and ${darkMeter('$7')})`,
    [tenantId, readAts, curve('residential'), curve('commercial'), curve('industrial'), darkFeeder, feederCount],
  );
  return result.rowCount ?? 0;
}

export async function recordTicks(pool: Pool, shape: HistoryShape, readAts: Date[]): Promise<void> {
  const batchSize = Math.max(BATCH_SIZE, Math.ceil(shape.meterCount / 200));
  await pool.query(
    `insert into ami_ticks (tenant_id, read_at, requested_by, status, meter_count, feeder_count, batch_size, batch_count,
                            attempts, jobs_enqueued, batches_done, rows_written, requested_at, enqueued_at, first_batch_at, completed_at)
     select $1, r.read_at, 'manual', 'complete', $3, $4, $5, $6, 1, $6, $6,
            (select count(*) from meter_reads_electric m where m.tenant_id = $1 and m.read_at = r.read_at),
            now(), now(), now(), now()
       from unnest($2::timestamptz[]) as r(read_at)
     on conflict (tenant_id, read_at) do nothing`,
    [shape.tenantId, readAts, shape.meterCount, shape.feederCount, batchSize, Math.ceil(shape.meterCount / batchSize)],
  );
  // Each interval's expected meters per feeder, as publishTick records them (setExpectedMeters).
  await pool.query(
    `insert into ami_interval_feeders as x (tenant_id, read_at, feeder_id, expected_meters)
     select $1, r.read_at, e.feeder_id, e.meters
       from unnest($2::timestamptz[]) as r(read_at)
       cross join (select feeder_id, count(*)::int as meters from ami_meters where tenant_id = $1 and meter_id <= $3 group by feeder_id) e
     on conflict (tenant_id, read_at, feeder_id) do update set expected_meters = excluded.expected_meters`,
    [shape.tenantId, readAts, shape.meterCount],
  );
}
