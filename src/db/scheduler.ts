import type pg from 'pg';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface SchedulerRun {
  crontabId: string;
  slot: Date;
  backfilled: boolean;
  workerId: string | null;
  tenantsDue: number;
  tenantsEnqueued: number;
  tenantsSkipped: number;
  startedAt: Date;
}

/** Logs one firing of the crontab (see ami_scheduler_runs). */
export async function recordSchedulerRun(db: Queryable, run: Omit<SchedulerRun, 'startedAt'>): Promise<void> {
  await db.query(
    `insert into ami_scheduler_runs (crontab_id, slot, backfilled, worker_id, tenants_due, tenants_enqueued, tenants_skipped)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [run.crontabId, run.slot, run.backfilled, run.workerId, run.tenantsDue, run.tenantsEnqueued, run.tenantsSkipped],
  );
}

export async function lastSchedulerRun(db: Queryable): Promise<SchedulerRun | undefined> {
  const { rows } = await db.query<SchedulerRun>(
    `select crontab_id as "crontabId", slot, backfilled, worker_id as "workerId", tenants_due as "tenantsDue",
            tenants_enqueued as "tenantsEnqueued", tenants_skipped as "tenantsSkipped", started_at as "startedAt"
       from ami_scheduler_runs order by id desc limit 1`,
  );
  return rows[0];
}
