--! Previous: sha1:213e2bc1c873922d03c8f192bf8a7cdfaced24db
--! Hash: sha1:e245f4f6c7ffe4cef411709148ba473066066af4
--! Message: worker heartbeats, so a dead worker's job locks are released

-- Graphile Worker keeps a job locked for 4 hours when its worker dies. Each
-- worker process beats here every few seconds; any process finding a stale
-- beat releases that worker's locks (graphile_worker.force_unlock_workers)
-- so its jobs run again elsewhere.
create table public.ami_worker_heartbeats (
  worker_id text primary key,
  hostname text not null,
  pid integer not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);
comment on table public.ami_worker_heartbeats is
  'Live Graphile Worker pools. A pool whose heartbeat is 30 s old is dead: its job locks are released.';
comment on column public.ami_worker_heartbeats.worker_id is 'The pool id Graphile Worker writes to graphile_worker.jobs.locked_by.';
comment on column public.ami_worker_heartbeats.hostname is 'Host of the worker process.';
comment on column public.ami_worker_heartbeats.pid is 'Process id of the worker process.';
comment on column public.ami_worker_heartbeats.started_at is 'When the pool registered.';
comment on column public.ami_worker_heartbeats.heartbeat_at is 'Last heartbeat (every 5 s while alive).';
