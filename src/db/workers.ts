import type pg from 'pg';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** A worker whose heartbeat is older than this is dead: its job locks are released. */
export const WORKER_DEAD_AFTER_MS = 30_000;
/**
 * Locks held by a worker id that never registered a heartbeat (another
 * version, or a process killed before its first beat) are released after this.
 */
export const UNKNOWN_LOCK_STALE_AFTER_MS = 60_000;

export async function beat(db: Queryable, workerIds: string[], host: { hostname: string; pid: number }): Promise<void> {
  await db.query(
    `insert into ami_worker_heartbeats (worker_id, hostname, pid)
     select id, $2, $3 from unnest($1::text[]) as id
     on conflict (worker_id) do update set heartbeat_at = now()`,
    [workerIds, host.hostname, host.pid],
  );
}

export async function forget(db: Queryable, workerIds: string[]): Promise<void> {
  await db.query('delete from ami_worker_heartbeats where worker_id = any($1::text[])', [workerIds]);
}

/**
 * Releases the job locks of dead workers (Graphile Worker would keep them
 * 4 hours), so their jobs run again on live workers; forgets the dead.
 * Returns the worker ids released.
 */
export async function releaseDeadWorkers(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ released: string[] }>(
    `with dead as (
       select worker_id from ami_worker_heartbeats
        where heartbeat_at < now() - make_interval(secs => $1::int / 1000.0)
       union
       select distinct j.locked_by from graphile_worker.jobs j
        where j.locked_at < now() - make_interval(secs => $2::int / 1000.0)
          and not exists (select 1 from ami_worker_heartbeats h where h.worker_id = j.locked_by)
     ), released as (
       select graphile_worker.force_unlock_workers(array(select worker_id from dead))
     ), forgotten as (
       delete from ami_worker_heartbeats where worker_id in (select worker_id from dead)
     )
     select coalesce(array(select worker_id from dead), '{}') as released, (select count(*) from released) as done`,
    [WORKER_DEAD_AFTER_MS, UNKNOWN_LOCK_STALE_AFTER_MS],
  );
  return rows[0]!.released;
}
