import type { Pool } from './pool.ts';

export interface PruneResult {
  /** Cut-off: reads stamped before it were deleted. */
  before: Date;
  readsDeleted: number;
  intervalsDeleted: number;
  batchRowsDeleted: number;
}

/**
 * Deletes the interval reads stamped before `before`, every tenant, one
 * (tenant, read_at) at a time, oldest first: each statement is one range of
 * the time-first primary key and as large as one interval of one fleet, so
 * no statement holds many locks or runs long, and the ticks being written
 * (newer read_at) are never touched.
 *
 * The tick ledger `ami_ticks` is kept (a row per interval): it still says the
 * interval was published, so catch-up never publishes a pruned interval
 * again. The per-batch rows of complete ticks that old go with the reads.
 */
export async function pruneReads(pool: Pool, before: Date): Promise<PruneResult> {
  const result: PruneResult = { before, readsDeleted: 0, intervalsDeleted: 0, batchRowsDeleted: 0 };
  const tenants = await pool.query<{ tenant_id: string }>('select tenant_id from ami_fleets order by tenant_id');
  for (const { tenant_id: tenantId } of tenants.rows) {
    for (;;) {
      const { rows } = await pool.query<{ read_at: Date | null }>(
        'select min(read_at) as read_at from meter_reads_electric where tenant_id = $1',
        [tenantId],
      );
      const readAt = rows[0]?.read_at;
      if (!readAt || readAt >= before) break;
      const deleted = await pool.query('delete from meter_reads_electric where tenant_id = $1 and read_at = $2', [tenantId, readAt]);
      result.readsDeleted += deleted.rowCount ?? 0;
      result.intervalsDeleted += 1;
    }
    const batches = await pool.query(
      `delete from ami_tick_batches b
        using ami_ticks t
        where b.tenant_id = $1 and b.read_at < $2
          and t.tenant_id = b.tenant_id and t.read_at = b.read_at and t.status = 'complete'`,
      [tenantId, before],
    );
    result.batchRowsDeleted += batches.rowCount ?? 0;
  }
  return result;
}

/** The oldest instant whose reads `retentionDays` keeps (null: keep everything). */
export function retentionCutoff(now: Date, retentionDays: number): Date | null {
  return retentionDays > 0 ? new Date(now.getTime() - retentionDays * 86_400_000) : null;
}

/** Why `readAt` is out of reach of the retention (for a 400 naming it), or undefined when it is kept. */
export function outsideRetention(readAt: Date, now: Date, retentionDays: number): string | undefined {
  const oldest = retentionCutoff(now, retentionDays);
  if (!oldest || readAt >= oldest) return undefined;
  return `must be within the ${retentionDays} days of reads kept (AMI_RETENTION_DAYS): reads before ${oldest.toISOString()} are deleted every hour`;
}
