--! Previous: sha1:cc55ffb83f97cf6c34cd661a3a8190646b855027
--! Hash: sha1:213e2bc1c873922d03c8f192bf8a7cdfaced24db
--! Message: scheduler runs: one row per firing of the crontab

-- Graphile Worker fires the crontab once per slot across every worker
-- process; this log is how a DBA sees it did. It is deliberately not unique
-- on the slot: a second firing would show here as a second row.
create table public.ami_scheduler_runs (
  id bigint generated always as identity primary key,
  crontab_id text not null,
  slot timestamptz not null,
  backfilled boolean not null,
  worker_id text,
  tenants_due integer not null default 0 check (tenants_due >= 0),
  tenants_enqueued integer not null default 0 check (tenants_enqueued >= 0),
  tenants_skipped integer not null default 0 check (tenants_skipped >= 0),
  started_at timestamptz not null default now()
);
create index ami_scheduler_runs_slot on public.ami_scheduler_runs (slot desc);
comment on table public.ami_scheduler_runs is
  'One row each time the scheduler (task ami_tick) runs for a crontab slot. Exactly one row per slot proves exactly one scheduler.';
comment on column public.ami_scheduler_runs.id is 'Run id.';
comment on column public.ami_scheduler_runs.crontab_id is 'The crontab entry that fired (ami_tick in production).';
comment on column public.ami_scheduler_runs.slot is 'The scheduled time of the slot (_cron.ts), not the time the job ran: the interval published.';
comment on column public.ami_scheduler_runs.backfilled is 'True when Graphile Worker fired the slot late, on start-up (backfill).';
comment on column public.ami_scheduler_runs.worker_id is 'The Graphile Worker that ran it.';
comment on column public.ami_scheduler_runs.tenants_due is 'Enabled tenants whose interval boundary this slot is.';
comment on column public.ami_scheduler_runs.tenants_enqueued is 'Tenants whose tick was enqueued by this run.';
comment on column public.ami_scheduler_runs.tenants_skipped is 'Tenants whose tick was skipped by backpressure (caught up later).';
comment on column public.ami_scheduler_runs.started_at is 'When the run started.';
