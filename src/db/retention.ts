import { type Pool, withTransaction } from './pool.ts';

export interface PruneResult {
  /** Cut-off: the UTC day start at or before the retention cut-off; reads stamped before it are gone. */
  before: Date;
  readsDeleted: number;
  /** Daily partitions of meter_reads_electric taken out whole (detached; `pruneReads` drops them too). */
  partitionsDropped: string[];
  batchRowsDeleted: number;
  /** Reads that never reached the head-end within the retention (a meter unreachable that long). */
  pendingReadsDeleted: number;
  meterEventsDeleted: number;
}

/** How many days ahead of now the maintenance keeps partitions ready. */
export const PARTITION_DAYS_AHEAD = 3;

/** The start of the UTC day of `instant`. */
export function utcDayStart(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / 86_400_000) * 86_400_000);
}

/**
 * Retention, by whole UTC days, in two steps: `detachOldReads`, then
 * `dropDetachedReads` (`tablesDropped`: this run's detached day tables and
 * any a crash left).
 */
export async function pruneReads(pool: Pool, before: Date): Promise<PruneResult & { tablesDropped: string[] }> {
  const result = await detachOldReads(pool, before);
  return { ...result, tablesDropped: await dropDetachedReads(pool) };
}

/**
 * Retention, first step, one transaction: takes the daily partitions of
 * meter_reads_electric whose day ends at or before the day of `before` out
 * of the table, with their rollup rows (ami_private.drop_read_partitions):
 * no statement touches a newer read, and no reader sees the rollup count
 * reads that are gone. Reads of the day `before` falls in stay until that
 * day is whole behind the cut-off (so a retention of N days keeps N to N + 1
 * days). With them go the batch rows of complete ticks, the pending reads
 * and the meter events that old. The tick ledger `ami_ticks` is kept (a row
 * per interval): it still says the interval was published, so catch-up never
 * publishes a pruned interval again.
 */
export async function detachOldReads(pool: Pool, before: Date): Promise<PruneResult> {
  const day = utcDayStart(before);
  return withTransaction(pool, async (client) => {
    // Detaching a partition locks the table for an instant: wait behind a long reader at most this long (the next run tries again).
    await client.query(`set local lock_timeout = '10s'`);
    const dropped = await client.query<{ partition_name: string; reads: string }>('select partition_name, reads from ami_private.drop_read_partitions($1)', [
      day,
    ]);
    const batches = await client.query(
      `delete from ami_tick_batches b
        using ami_ticks t
        where b.read_at < $1 and t.tenant_id = b.tenant_id and t.read_at = b.read_at and t.status = 'complete'`,
      [day],
    );
    const pending = await client.query('delete from ami_pending_reads where read_at < $1', [day]);
    const events = await client.query('delete from ami_meter_events where occurred_at < $1', [day]);
    return {
      before: day,
      readsDeleted: dropped.rows.reduce((sum, row) => sum + Number(row.reads), 0),
      partitionsDropped: dropped.rows.map((row) => row.partition_name).filter((name) => name !== 'meter_reads_electric_default'),
      batchRowsDeleted: batches.rowCount ?? 0,
      pendingReadsDeleted: pending.rowCount ?? 0,
      meterEventsDeleted: events.rowCount ?? 0,
    };
  });
}

/**
 * Retention, second step: drops the day tables the first step detached (or
 * a crash left detached), in a statement of its own. Removing a day's files
 * takes the filesystem a while, and no lock on meter_reads_electric is held
 * meanwhile. Returns their names.
 */
export async function dropDetachedReads(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>('select name from ami_private.drop_detached_read_partitions() as name');
  return rows.map((row) => row.name);
}

/**
 * Partition maintenance: the daily partitions from yesterday to
 * PARTITION_DAYS_AHEAD days after `now` (UTC), and those of the days whose
 * reads the default partition caught, which it moves in
 * (ami_private.maintain_read_partitions). Returns how many it made.
 */
export async function maintainPartitions(pool: Pool, now: Date): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query(`set local lock_timeout = '10s'`);
    const { rows } = await client.query<{ made: number }>('select ami_private.maintain_read_partitions($1, $2) as made', [now, PARTITION_DAYS_AHEAD]);
    return rows[0]!.made;
  });
}
