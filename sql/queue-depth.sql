-- What is in the queue, by task: how many Graphile Worker jobs are waiting
-- (runnable now), delayed (scheduled later, retries included), running
-- (locked by a worker) and failed for good (attempts used up; they stay in the
-- table for inspection and never run again), from public.ami_queue_depth(),
-- the same count backpressure and the status endpoints use. Backpressure
-- counts waiting + delayed ami_publish_batch jobs against AMI_MAX_QUEUE_DEPTH
-- (500). The last failure of each task follows.
--
--   psql "$DATABASE_URL" -f sql/queue-depth.sql

select * from ami_queue_depth() order by task;

select task_identifier, id, key, attempts, last_error
  from graphile_worker.jobs
 where attempts >= max_attempts
 order by id desc
 limit 10;
