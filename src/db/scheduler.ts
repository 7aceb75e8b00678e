import type pg from 'pg';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * Claims a crontab slot: the one row of (crontab entry, slot) in
 * ami_scheduler_runs, unique in the database. Returns the run's id, or
 * undefined when the slot was claimed already (another process ran it, or is
 * running it): the caller then does nothing.
 */
export async function claimSlot(
  db: Queryable,
  run: { crontabId: string; slot: Date; backfilled: boolean; workerId: string | null; now: Date },
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `insert into ami_scheduler_runs (crontab_id, slot, backfilled, worker_id, started_at)
     values ($1, $2, $3, $4, $5)
     on conflict (crontab_id, slot) do nothing
     returning id::int`,
    [run.crontabId, run.slot, run.backfilled, run.workerId, run.now],
  );
  return rows[0]?.id;
}

/** Records how a claimed slot went. */
export async function finishSlot(
  db: Queryable,
  id: number,
  outcome: { tenantsDue: number; tenantsEnqueued: number; tenantsSkipped: number; tenantsFailed: number; now: Date },
): Promise<void> {
  await db.query(
    `update ami_scheduler_runs
        set tenants_due = $2, tenants_enqueued = $3, tenants_skipped = $4, tenants_failed = $5, finished_at = $6
      where id = $1`,
    [id, outcome.tenantsDue, outcome.tenantsEnqueued, outcome.tenantsSkipped, outcome.tenantsFailed, outcome.now],
  );
}
