import type { Delivery, GeneratedRead } from '../emulator/index.ts';
import type { Pool } from './pool.ts';
import type { TickStatus } from './ticks.ts';

/** A read the head-end stores now, with how it came. */
export type DeliveredRead = GeneratedRead & { delivery: Delivery };

/**
 * The columns of `reads` as the arrays the insert statements unnest, in
 * this order: meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received,
 * status, delivery.
 */
export function readColumns(reads: DeliveredRead[]): unknown[][] {
  return [
    reads.map((r) => r.meterId),
    reads.map((r) => r.feederId),
    reads.map((r) => r.kwh),
    reads.map((r) => r.voltage),
    reads.map((r) => r.baselineKwh),
    reads.map((r) => r.kwhReceived),
    reads.map((r) => r.status),
    reads.map((r) => r.delivery),
  ];
}

/** A read that reaches the head-end later (ami_pending_reads): at `arriveAt`, or `drainMs` after the event holding it ends. */
export interface PendingRead {
  meterId: number;
  feederId: number;
  delivery: Delivery;
  arriveAt: Date | null;
  heldBy: number | null;
  drainMs: number;
}

export interface BatchWrite {
  tenantId: string;
  readAt: Date;
  batchIndex: number;
  /** Reads that reach the head-end now (received_at = now). */
  reads: DeliveredRead[];
  /** Reads of the slice that arrive later; lost ones are in neither list. */
  pending: PendingRead[];
  /** When the batch lands, by the service's clock: the ledger's timings and received_at. */
  now: Date;
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
 * One batch lands in one statement, one round trip
 * (`ami_private.land_batch`, migrations 000017 and 000019): the reads that reach the
 * head-end now (INSERT ... ON CONFLICT DO NOTHING, read_at exactly as given,
 * received_at now), the ones that come later into ami_pending_reads (only
 * the first time the batch lands), the batch's row in ami_tick_batches and
 * the ledger's counters, in the statement's own transaction; the insert's
 * trigger adds the reads to the KPI rollup and moves each meter's first and
 * newest read. A batch that runs twice inserts no read and counts nothing
 * twice.
 */
export async function writeBatch(pool: Pool, batch: BatchWrite): Promise<BatchWriteResult> {
  const { reads, pending } = batch;
  const { rows } = await pool.query<{
    inserted: number;
    recorded: boolean;
    status: TickStatus | null;
    batches_done: number | null;
    batch_count: number | null;
    rows_written: number | null;
    duration_ms: number | null;
  }>('select * from ami_private.land_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)', [
    batch.tenantId,
    batch.readAt,
    batch.batchIndex,
    batch.now,
    ...readColumns(reads),
    pending.map((p) => p.meterId),
    pending.map((p) => p.feederId),
    pending.map((p) => p.delivery),
    pending.map((p) => p.arriveAt),
    pending.map((p) => p.heldBy),
    pending.map((p) => p.drainMs),
  ]);
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
