import type pg from 'pg';

/**
 * Graphile Worker's jobs table is the queue; these are the questions the
 * data plane asks it. Task identifiers are public: DBAs see them in
 * `graphile_worker.jobs`.
 */
export const TASKS = {
  publishBatch: 'ami_publish_batch',
  tick: 'ami_tick',
  catchUp: 'ami_catch_up',
  prune: 'ami_prune',
} as const;

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface QueueDepth {
  /** Runnable now, not yet picked up. */
  waiting: number;
  /** Scheduled for later (run_at in the future, retries included). */
  delayed: number;
  /** Locked by a worker. */
  running: number;
}

/**
 * Depth of one task's queue. Permanently failed jobs (attempts used up) stay
 * in the table for inspection but will never run, so they do not count.
 */
export async function queueDepth(db: Queryable, taskIdentifier: string): Promise<QueueDepth> {
  const { rows } = await db.query<QueueDepth>(
    `select count(*) filter (where locked_at is null and run_at <= now())::int as waiting,
            count(*) filter (where locked_at is null and run_at > now())::int as delayed,
            count(*) filter (where locked_at is not null)::int as running
       from graphile_worker.jobs
      where task_identifier = $1 and attempts < max_attempts`,
    [taskIdentifier],
  );
  return rows[0]!;
}

/** Depth of every task with jobs, for the status endpoints. */
export async function queueDepthByTask(db: Queryable): Promise<Record<string, QueueDepth & { failed: number }>> {
  const { rows } = await db.query<QueueDepth & { failed: number; task: string }>(
    `select task_identifier as task,
            count(*) filter (where attempts < max_attempts and locked_at is null and run_at <= now())::int as waiting,
            count(*) filter (where attempts < max_attempts and locked_at is null and run_at > now())::int as delayed,
            count(*) filter (where attempts < max_attempts and locked_at is not null)::int as running,
            count(*) filter (where attempts >= max_attempts)::int as failed
       from graphile_worker.jobs
      group by task_identifier
      order by task_identifier`,
  );
  return Object.fromEntries(rows.map(({ task, ...depth }) => [task, depth]));
}

export interface JobSpec {
  payload: unknown;
  jobKey: string;
  /** Run this long after the database's now() (0: at once). */
  delayMs?: number;
}

/**
 * Adds jobs of one task in one statement, inside the caller's transaction.
 * A job key already queued is replaced in place (no duplicate); one whose job
 * is running gets a fresh job (the running one may hold stale state).
 * Returns how many jobs the queue now holds for these keys.
 */
export async function addJobs(client: pg.PoolClient, taskIdentifier: string, jobs: JobSpec[], options: { maxAttempts: number }): Promise<number> {
  if (jobs.length === 0) return 0;
  const { rows } = await client.query<{ added: number }>(
    `select count(*)::int as added
       from graphile_worker.add_jobs((
         select array_agg(row($1::text, spec.payload, null, now() + make_interval(secs => spec.delay_ms / 1000.0), $2::int, spec.job_key, null, null)::graphile_worker.job_spec order by spec.ord)
           from unnest($3::json[], $4::text[], $5::int[]) with ordinality as spec(payload, job_key, delay_ms, ord)
       ))`,
    [
      taskIdentifier,
      options.maxAttempts,
      jobs.map((job) => JSON.stringify(job.payload)),
      jobs.map((job) => job.jobKey),
      jobs.map((job) => job.delayMs ?? 0),
    ],
  );
  return rows[0]!.added;
}
