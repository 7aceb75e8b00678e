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
  deliver: 'ami_deliver',
  collect: 'ami_collect',
} as const;

/**
 * Any fixed number: one enqueuer of write jobs at a time (a publish, the
 * collection sweep) counts the queue and adds to it, so the cap holds.
 */
export const ENQUEUE_LOCK = 742_615_020;

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface QueueDepth {
  /** Runnable now, not yet picked up. */
  waiting: number;
  /** Scheduled for later (run_at in the future, retries included). */
  delayed: number;
  /** Locked by a worker. */
  running: number;
}

export type TaskDepth = QueueDepth & { failed: number };

const EMPTY: TaskDepth = { waiting: 0, delayed: 0, running: 0, failed: 0 };

/** Depth of every task with jobs (`public.ami_queue_depth()`, the one count), absent tasks as zeros. */
export async function queueDepthByTask(db: Queryable): Promise<Record<string, TaskDepth>> {
  const { rows } = await db.query<TaskDepth & { task: string }>('select task, waiting, delayed, running, failed from ami_queue_depth() order by task');
  return Object.fromEntries(rows.map(({ task, ...depth }) => [task, depth]));
}

/**
 * The tasks that write reads (a tick's batches, the late and backfilled reads
 * of an interval): their jobs are what the queue cap (AMI_MAX_QUEUE_DEPTH)
 * bounds.
 */
export const WRITE_TASKS: readonly string[] = [TASKS.publishBatch, TASKS.deliver];

/**
 * Jobs of the write tasks that will still run: waiting, delayed and running.
 * Running jobs count too, because one that fails or whose worker dies goes
 * back to waiting: counted at enqueue time, the cap holds at every instant.
 */
export async function writeJobsPending(db: Queryable): Promise<number> {
  const byTask = await queueDepthByTask(db);
  return WRITE_TASKS.reduce((sum, task) => {
    const depth = byTask[task] ?? EMPTY;
    return sum + depth.waiting + depth.delayed + depth.running;
  }, 0);
}

/** Depth of one task's queue; permanently failed jobs are not in it. */
export async function queueDepth(db: Queryable, taskIdentifier: string): Promise<QueueDepth> {
  const { waiting, delayed, running } = (await queueDepthByTask(db))[taskIdentifier] ?? EMPTY;
  return { waiting, delayed, running };
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
    [taskIdentifier, options.maxAttempts, jobs.map((job) => JSON.stringify(job.payload)), jobs.map((job) => job.jobKey), jobs.map((job) => job.delayMs ?? 0)],
  );
  return rows[0]!.added;
}
