import type pg from 'pg';
import type { GeneratedRead } from '../emulator/index.ts';
import type { TickStatus } from './ticks.ts';

export interface BatchWrite {
  tenantId: string;
  readAt: Date;
  batchIndex: number;
  /** The slice of the fleet this batch covers; every read's meter lies in it. */
  firstMeterId: number;
  lastMeterId: number;
  reads: GeneratedRead[];
}

export interface BatchWriteResult {
  /** Reads this call inserted (0 when the batch had already landed). */
  inserted: number;
  /** False when the batch had already been recorded: nothing was counted twice. */
  recorded: boolean;
  /** The tick after this batch, when the interval has a ledger row. */
  tick: { status: TickStatus; batchesDone: number; batchCount: number; rowsWritten: number; durationMs: number | null } | undefined;
}

/**
 * One batch lands in one statement (so in one transaction): the reads
 * (INSERT ... ON CONFLICT DO NOTHING, read_at exactly as given), each meter's
 * newest read in ami_meter_last_reads, the batch's row in ami_tick_batches, and the ledger's
 * counters. A batch that runs twice inserts no read and counts nothing twice.
 */
export async function writeBatch(db: Pick<pg.Pool, 'query'>, batch: BatchWrite): Promise<BatchWriteResult> {
  const { reads } = batch;
  const { rows } = await db.query<{ inserted: number; recorded: boolean; status: TickStatus | null; batches_done: number | null; batch_count: number | null; rows_written: number | null; duration_ms: number | null }>(
    `with input as (
       select * from unnest($4::int[], $5::int[], $6::real[], $7::real[], $8::real[])
         as t(meter_id, feeder_id, kwh, voltage, baseline_kwh)
     ), inserted as (
       insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
       select $1, $2, meter_id, feeder_id, kwh, voltage, baseline_kwh from input
       on conflict do nothing
       returning meter_id
     ), seen as (
       update ami_meter_last_reads l set last_read_at = $2
         from inserted i
        where l.tenant_id = $1 and l.meter_id = i.meter_id
          -- The slice bounds let the planner probe 500 rows, not hash the fleet.
          and l.meter_id between $9 and $10
          and (l.last_read_at is null or l.last_read_at < $2)
       returning 1
     ), batch as (
       insert into ami_tick_batches (tenant_id, read_at, batch_index, rows_written)
       select $1, $2, $3, (select count(*) from inserted)
        where exists (select 1 from ami_ticks where tenant_id = $1 and read_at = $2)
       on conflict do nothing
       returning rows_written
     ), tick as (
       update ami_ticks t
          set batches_done = t.batches_done + 1,
              rows_written = t.rows_written + b.rows_written,
              first_batch_at = coalesce(t.first_batch_at, now()),
              status = case when t.batches_done + 1 >= t.batch_count then 'complete' else t.status end,
              completed_at = case when t.batches_done + 1 >= t.batch_count then clock_timestamp() else t.completed_at end
         from batch b
        -- Lock the ledger row last: concurrent batches of one tick queue on
        -- it, so it must be held only for the commit, not for the writes above.
        where t.tenant_id = $1 and t.read_at = $2 and (select count(*) from seen) >= 0
       returning t.status, t.batches_done, t.batch_count, t.rows_written,
                 (extract(epoch from t.completed_at - t.enqueued_at) * 1000)::int as duration_ms
     )
     select (select count(*) from inserted)::int as inserted,
            exists (select 1 from batch) as recorded,
            tick.*
       from (select 1) as one left join tick on true`,
    [
      batch.tenantId,
      batch.readAt,
      batch.batchIndex,
      reads.map((r) => r.meterId),
      reads.map((r) => r.feederId),
      reads.map((r) => r.kwh),
      reads.map((r) => r.voltage),
      reads.map((r) => r.baselineKwh),
      batch.firstMeterId,
      batch.lastMeterId,
    ],
  );
  const row = rows[0]!;
  return {
    inserted: row.inserted,
    recorded: row.recorded,
    tick:
      row.status === null
        ? undefined
        : { status: row.status, batchesDone: row.batches_done!, batchCount: row.batch_count!, rowsWritten: row.rows_written!, durationMs: row.duration_ms },
  };
}
