-- What is in the queue, by task: how many Graphile Worker jobs are waiting
-- (runnable now), delayed (scheduled later, retries included), running
-- (locked by a worker) and failed for good (attempts used up; they stay in the
-- table for inspection and never run again). Backpressure counts waiting +
-- delayed ami_publish_batch jobs against AMI_MAX_QUEUE_DEPTH (500).
--
--   psql "$DATABASE_URL" -f sql/queue-depth.sql

select task_identifier,
       count(*) filter (where attempts < max_attempts and locked_at is null and run_at <= now()) as waiting,
       count(*) filter (where attempts < max_attempts and locked_at is null and run_at > now()) as delayed,
       count(*) filter (where attempts < max_attempts and locked_at is not null) as running,
       count(*) filter (where attempts >= max_attempts) as failed,
       min(run_at) filter (where attempts < max_attempts and locked_at is null) as oldest_run_at,
       max(last_error) filter (where attempts >= max_attempts) as a_last_error
  from graphile_worker.jobs
 group by task_identifier
 order by task_identifier;
