import type { Pool } from '../../src/db/pool.ts';

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

export async function tickRow(pool: Pool, tenantId: string, readAt: Date | string) {
  const { rows } = await pool.query<{ status: string; batches_done: number; batch_count: number; rows_written: number }>(
    `select status, batches_done, batch_count, rows_written from ami_ticks where tenant_id = $1 and read_at = $2`,
    [tenantId, readAt],
  );
  return rows[0];
}

/** A past quarter-hour boundary, n intervals before the current one. */
export function intervalsAgo(n: number): string {
  return new Date(Math.floor(Date.now() / 900_000) * 900_000 - n * 900_000).toISOString();
}
