import type pg from 'pg';
import { UNKNOWN_LOCK_STALE_AFTER_MS, WORKER_DEAD_AFTER_MS } from './workers.ts';

/** Who asked for an interval: the scheduler, a catch-up, or an operator. */
export type RequestedBy = 'cron' | 'catch-up' | 'manual';
export type TickStatus = 'enqueued' | 'complete' | 'skipped' | 'failed';

/** One row of the tick ledger `ami_ticks`, as the API shows it. */
export interface Tick {
  tenantId: string;
  readAt: Date;
  requestedBy: RequestedBy;
  status: TickStatus;
  skipReason: string | null;
  meterCount: number;
  feederCount: number;
  batchSize: number;
  batchCount: number;
  intervalMinutes: number;
  /** Outdoor temperature of the interval, degrees C. */
  temperatureC: number | null;
  attempts: number;
  jobsEnqueued: number;
  batchesDone: number;
  rowsWritten: number;
  queueDepthAtRequest: number | null;
  requestedAt: Date;
  enqueuedAt: Date | null;
  firstBatchAt: Date | null;
  completedAt: Date | null;
  /** completedAt - enqueuedAt: the ingest latency of the interval. */
  durationMs: number | null;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export const TICK_COLUMNS = `
  tenant_id as "tenantId", read_at as "readAt", requested_by as "requestedBy", status,
  skip_reason as "skipReason", meter_count as "meterCount", feeder_count as "feederCount",
  batch_size as "batchSize", batch_count as "batchCount", interval_minutes as "intervalMinutes", temperature_c::numeric::float8 as "temperatureC", attempts, jobs_enqueued as "jobsEnqueued",
  batches_done as "batchesDone", rows_written as "rowsWritten", queue_depth_at_request as "queueDepthAtRequest",
  requested_at as "requestedAt", enqueued_at as "enqueuedAt", first_batch_at as "firstBatchAt",
  completed_at as "completedAt",
  (extract(epoch from completed_at - enqueued_at) * 1000)::int as "durationMs"`;

export interface TickRequest {
  tenantId: string;
  readAt: Date;
  requestedBy: RequestedBy;
  meterCount: number;
  feederCount: number;
  batchSize: number;
  /** ceil(meterCount / batchSize), from src/ingest/limits.ts batchCount. */
  batchCount: number;
  intervalMinutes: number;
  /** When it was asked, by the service's clock. */
  now: Date;
  /** The outdoor temperature of the interval, by the tenant's weather (null when unknown). */
  temperatureC?: number | null;
}

/**
 * The ledger row of (tenant, interval), created if new, locked FOR UPDATE
 * until the caller's transaction ends: whoever holds it decides alone what
 * to enqueue for that interval. A new row is a placeholder (0 attempts) that
 * the same transaction marks enqueued or skipped, or rolls back.
 */
export async function lockTick(client: pg.PoolClient, request: TickRequest): Promise<{ tick: Tick; created: boolean }> {
  const inserted = await client.query<Tick>(
    `insert into ami_ticks (tenant_id, read_at, requested_by, status, skip_reason, meter_count, feeder_count, batch_size, batch_count, attempts, requested_at, interval_minutes, temperature_c)
     values ($1, $2, $3, 'enqueued', null, $4, $5, $6, $7, 0, $8, $9, $10)
     on conflict (tenant_id, read_at) do nothing
     returning ${TICK_COLUMNS}`,
    [
      request.tenantId,
      request.readAt,
      request.requestedBy,
      request.meterCount,
      request.feederCount,
      request.batchSize,
      request.batchCount,
      request.now,
      request.intervalMinutes,
      request.temperatureC ?? null,
    ],
  );
  if (inserted.rows[0]) return { tick: inserted.rows[0], created: true };
  const { rows } = await client.query<Tick>(`select ${TICK_COLUMNS} from ami_ticks where tenant_id = $1 and read_at = $2 for update`, [
    request.tenantId,
    request.readAt,
  ]);
  return { tick: rows[0]!, created: false };
}

/** Points the ledger row at a new attempt's shape (a skipped tick re-requested). */
export async function reshapeTick(client: pg.PoolClient, request: TickRequest): Promise<void> {
  await client.query(
    `update ami_ticks set requested_by = $3, meter_count = $4, feeder_count = $5, batch_size = $6, batch_count = $7, interval_minutes = $8,
            temperature_c = coalesce($9, temperature_c)
      where tenant_id = $1 and read_at = $2`,
    [
      request.tenantId,
      request.readAt,
      request.requestedBy,
      request.meterCount,
      request.feederCount,
      request.batchSize,
      request.batchCount,
      request.intervalMinutes,
      request.temperatureC ?? null,
    ],
  );
}

/**
 * The meters each feeder is expected to report in the interval: the tick's
 * fleet (meters 1..meterCount), written into the KPI rollup when the tick is
 * enqueued, so the interval is measured against the fleet it was published for.
 */
export async function setExpectedMeters(client: pg.PoolClient, key: { tenantId: string; readAt: Date; meterCount: number }): Promise<void> {
  await client.query(
    `insert into ami_interval_feeders as x (tenant_id, read_at, feeder_id, expected_meters)
     select $1, $2, m.feeder_id, count(*)
       from ami_meters m
      where m.tenant_id = $1 and m.meter_id <= $3
      group by m.feeder_id
     on conflict (tenant_id, read_at, feeder_id) do update set expected_meters = excluded.expected_meters`,
    [key.tenantId, key.readAt, key.meterCount],
  );
}

/**
 * Records that a tick could not be published (its configuration no longer
 * fits the caps, say), with the reason, unless an earlier attempt enqueued or
 * completed it: the failure is visible in auto/status and catch-up sees the
 * interval as not complete.
 */
export async function recordFailedTick(db: Queryable, request: Omit<TickRequest, 'batchCount'> & { batchCount: number; reason: string }): Promise<void> {
  await db.query(
    `insert into ami_ticks (tenant_id, read_at, requested_by, status, skip_reason, meter_count, feeder_count, batch_size, batch_count, attempts, requested_at, interval_minutes)
     values ($1, $2, $3, 'failed', $4, $5, $6, $7, $8, 1, $9, $10)
     on conflict (tenant_id, read_at) do update
       set status = 'failed', skip_reason = excluded.skip_reason, requested_by = excluded.requested_by, attempts = ami_ticks.attempts + 1
     where ami_ticks.status in ('skipped', 'failed')`,
    [
      request.tenantId,
      request.readAt,
      request.requestedBy,
      request.reason,
      Math.max(request.meterCount, 1),
      Math.max(request.feederCount, 1),
      Math.max(request.batchSize, 1),
      Math.max(request.batchCount, 1),
      request.now,
      request.intervalMinutes,
    ],
  );
}

export async function markEnqueued(
  client: pg.PoolClient,
  key: { tenantId: string; readAt: Date },
  change: { requestedBy: RequestedBy; jobs: number; queueDepth: number; now: Date },
): Promise<Tick> {
  const { rows } = await client.query<Tick>(
    `update ami_ticks
        set status = 'enqueued', requested_by = $3, attempts = attempts + 1, jobs_enqueued = jobs_enqueued + $4,
            queue_depth_at_request = $5, enqueued_at = $6
      where tenant_id = $1 and read_at = $2
      returning ${TICK_COLUMNS}`,
    [key.tenantId, key.readAt, change.requestedBy, change.jobs, change.queueDepth, change.now],
  );
  return rows[0]!;
}

export async function markSkipped(
  client: pg.PoolClient,
  key: { tenantId: string; readAt: Date },
  change: { requestedBy: RequestedBy; reason: string; queueDepth: number; status: 'skipped' | 'enqueued' },
): Promise<Tick> {
  // status stays 'enqueued' when an earlier attempt queued batches that may still land.
  const { rows } = await client.query<Tick>(
    `update ami_ticks
        set status = $6, requested_by = $3, attempts = attempts + 1, skip_reason = $4, queue_depth_at_request = $5
      where tenant_id = $1 and read_at = $2
      returning ${TICK_COLUMNS}`,
    [key.tenantId, key.readAt, change.requestedBy, change.reason, change.queueDepth, change.status],
  );
  return rows[0]!;
}

/**
 * Batches of an enqueued tick that have not landed and have no job that will
 * still run them: never queued, failed for good, or locked by a worker that
 * is dead (its heartbeat is stale, or it never had one and has held the job
 * past the grace period; see src/db/workers.ts).
 */
export async function missingBatches(client: pg.PoolClient, tick: Tick, jobKeyPrefix: string): Promise<number[]> {
  const { rows } = await client.query<{ batch_index: number }>(
    `select b.batch_index
       from generate_series(0, $3::int - 1) as b(batch_index)
      where not exists (select 1 from ami_tick_batches d
                         where d.tenant_id = $1 and d.read_at = $2 and d.batch_index = b.batch_index)
        and not exists (select 1 from graphile_worker.jobs j
                         where j.key = $4 || b.batch_index
                           and j.attempts < j.max_attempts
                           and (j.locked_at is null
                                or exists (select 1 from ami_worker_heartbeats h
                                            where h.worker_id = j.locked_by
                                              and h.heartbeat_at > now() - make_interval(secs => $5::int / 1000.0))
                                or (j.locked_at > now() - make_interval(secs => $6::int / 1000.0)
                                    and not exists (select 1 from ami_worker_heartbeats h where h.worker_id = j.locked_by))))
      order by b.batch_index`,
    [tick.tenantId, tick.readAt, tick.batchCount, jobKeyPrefix, WORKER_DEAD_AFTER_MS, UNKNOWN_LOCK_STALE_AFTER_MS],
  );
  return rows.map((row) => row.batch_index);
}

export async function getTick(db: Queryable, tenantId: string, readAt: Date): Promise<Tick | undefined> {
  const { rows } = await db.query<Tick>(`select ${TICK_COLUMNS} from ami_ticks where tenant_id = $1 and read_at = $2`, [tenantId, readAt]);
  return rows[0];
}

/** The newest ledger rows, newest interval first (all tenants when tenantId is undefined). */
export async function recentTicks(db: Queryable, options: { tenantId?: string | undefined; limit: number }): Promise<Tick[]> {
  const { rows } = await db.query<Tick>(
    `select ${TICK_COLUMNS} from ami_ticks
      where $1::text is null or tenant_id = $1
      order by read_at desc, tenant_id
      limit $2`,
    [options.tenantId ?? null, options.limit],
  );
  return rows;
}

/** Ledger status of each of the given intervals of a tenant (absent ones are missing). */
export async function tickStatuses(db: Queryable, tenantId: string, readAts: Date[]): Promise<Map<number, TickStatus>> {
  const { rows } = await db.query<{ read_at: Date; status: TickStatus }>(
    `select read_at, status from ami_ticks where tenant_id = $1 and read_at = any($2::timestamptz[])`,
    [tenantId, readAts],
  );
  return new Map(rows.map((row) => [row.read_at.getTime(), row.status]));
}

/** Newest read_at stored for the tenant (one index probe on the time-first key). */
export async function latestReadAt(db: Queryable, tenantId: string): Promise<Date | null> {
  const { rows } = await db.query<{ latest: Date | null }>(`select max(read_at) as latest from meter_reads_electric where tenant_id = $1`, [tenantId]);
  return rows[0]?.latest ?? null;
}
