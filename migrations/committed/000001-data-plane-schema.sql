--! Previous: -
--! Hash: sha1:cc55ffb83f97cf6c34cd661a3a8190646b855027
--! Message: the data plane schema: fleets, meters, reads, events, ticks, auto mode

-- Tenant identifiers appear in URLs, job keys and logs: one strict format,
-- enforced by the database as well as by the API.
create or replace function public.ami_valid_tenant_id(tenant_id text) returns boolean
  language sql immutable parallel safe
  as $$ select tenant_id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' $$;
comment on function public.ami_valid_tenant_id(text) is
  'True when the tenant id is 1-64 characters of letters, digits, _ and -, starting with a letter or digit.';

-- Interval reads are stamped at quarter-hour boundaries (UTC); 30- and
-- 60-minute tenants land on a subset of them.
create or replace function public.ami_is_quarter_hour(ts timestamptz) returns boolean
  language sql immutable parallel safe
  as $$ select mod(extract(epoch from ts), 900) = 0 $$;
comment on function public.ami_is_quarter_hour(timestamptz) is
  'True when the timestamp is exactly on a :00/:15/:30/:45 boundary (no seconds, no fraction).';

--------------------------------------------------------------------------------
-- The fleet: what each tenant is expected to report. "Expected meters" is a
-- fact here, not a number remembered by a process.

create table public.ami_fleets (
  tenant_id text primary key check (public.ami_valid_tenant_id(tenant_id)),
  meter_count integer not null check (meter_count > 0),
  feeder_count integer not null check (feeder_count > 0 and feeder_count <= meter_count),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.ami_fleets is
  'One row per tenant: the size of its emulated meter fleet. Registered by the first publish (or auto start) and resized by later ones.';
comment on column public.ami_fleets.tenant_id is 'The tenant (utility) the fleet belongs to.';
comment on column public.ami_fleets.meter_count is 'Active meters: meter ids 1..meter_count.';
comment on column public.ami_fleets.feeder_count is 'Feeders 1..feeder_count; fixed once registered, since meters keep their feeder.';
comment on column public.ami_fleets.created_at is 'When the fleet was first registered.';
comment on column public.ami_fleets.updated_at is 'When the fleet was last resized.';

create table public.ami_feeders (
  tenant_id text not null references public.ami_fleets (tenant_id) on delete cascade,
  feeder_id integer not null check (feeder_id > 0),
  primary key (tenant_id, feeder_id)
);
comment on table public.ami_feeders is
  'The distribution feeders of a tenant. Events target a feeder, so an event on a feeder that does not exist is refused by a foreign key.';
comment on column public.ami_feeders.tenant_id is 'The tenant owning the feeder.';
comment on column public.ami_feeders.feeder_id is 'Feeder number, 1..ami_fleets.feeder_count.';

create table public.ami_meters (
  tenant_id text not null,
  meter_id integer not null check (meter_id > 0),
  feeder_id integer not null,
  service_class text not null check (service_class in ('residential', 'commercial', 'industrial')),
  scale real not null check (scale > 0),
  active boolean not null default true,
  registered_at timestamptz not null default now(),
  primary key (tenant_id, meter_id),
  foreign key (tenant_id, feeder_id) references public.ami_feeders (tenant_id, feeder_id) on delete cascade
);
comment on table public.ami_meters is
  'The meter registry: each meter keeps its id, feeder, service class and size across intervals.';
comment on column public.ami_meters.tenant_id is 'The tenant owning the meter.';
comment on column public.ami_meters.meter_id is 'Meter number within the tenant, 1..meter_count.';
comment on column public.ami_meters.feeder_id is 'The feeder the meter is connected to.';
comment on column public.ami_meters.service_class is 'residential, commercial or industrial: selects the daily load curve.';
comment on column public.ami_meters.scale is 'Per-meter size multiplier on the class load curve (a large house, a small shop).';
comment on column public.ami_meters.active is 'False for meters above the fleet''s current meter_count (the fleet was shrunk): they are no longer expected to report.';
comment on column public.ami_meters.registered_at is 'When the meter was added to the registry.';

-- Staleness needs each meter's newest read. Finding it in the reads table
-- scans history (seconds at 7 days); this narrow table, kept by the ingest in
-- the statement that writes the reads, answers in milliseconds. It is
-- separate from the registry because every tick rewrites every row of it:
-- narrow rows and fillfactor 70 keep those updates cheap (HOT, no index change).
create table public.ami_meter_last_reads (
  tenant_id text not null,
  meter_id integer not null,
  last_read_at timestamptz,
  primary key (tenant_id, meter_id),
  foreign key (tenant_id, meter_id) references public.ami_meters (tenant_id, meter_id) on delete cascade
) with (fillfactor = 70);
comment on table public.ami_meter_last_reads is
  'The newest read_at stored for each meter, maintained by the ingest. One row per registered meter.';
comment on column public.ami_meter_last_reads.tenant_id is 'The tenant owning the meter.';
comment on column public.ami_meter_last_reads.meter_id is 'The meter.';
comment on column public.ami_meter_last_reads.last_read_at is 'read_at of the newest read of this meter; null if it never reported.';

--------------------------------------------------------------------------------
-- Interval reads. The primary key is time-first: "every meter at one read_at"
-- (all the KPIs) is one index range, and each tick appends to the right edge
-- of the index instead of touching 25,000 scattered pages.

create table public.meter_reads_electric (
  tenant_id text not null,
  read_at timestamptz not null,
  meter_id integer not null,
  feeder_id integer not null,
  kwh real not null check (kwh >= 0),
  voltage real not null check (voltage > 0),
  baseline_kwh real not null check (baseline_kwh >= 0),
  constraint meter_reads_electric_pkey primary key (tenant_id, read_at, meter_id),
  constraint meter_reads_electric_read_at_aligned check (public.ami_is_quarter_hour(read_at))
);
comment on table public.meter_reads_electric is
  'One row per meter and interval. Written only by INSERT ... ON CONFLICT DO NOTHING, so a batch that runs twice adds nothing.';
comment on column public.meter_reads_electric.tenant_id is 'The tenant owning the meter.';
comment on column public.meter_reads_electric.read_at is 'End of the interval (UTC, on a quarter-hour boundary): the energy is for (read_at - interval, read_at].';
comment on column public.meter_reads_electric.meter_id is 'The meter (ami_meters.meter_id).';
comment on column public.meter_reads_electric.feeder_id is 'The meter''s feeder at the time of the read.';
comment on column public.meter_reads_electric.kwh is 'Energy delivered in the interval, kWh (after any theft event).';
comment on column public.meter_reads_electric.voltage is 'Service voltage at the end of the interval, volts (120 V nominal).';
comment on column public.meter_reads_electric.baseline_kwh is 'What the load model expected this meter to use in the interval, before noise and events: the reference for kwh deviation (theft detection).';

--------------------------------------------------------------------------------
-- Grid events injected by an operator. They apply to the reads of their
-- feeder whose read_at lies in [starts_at, ends_at).

create table public.ami_events (
  id bigint generated always as identity primary key,
  tenant_id text not null,
  feeder_id integer not null,
  type text not null check (type in ('theft', 'comms-outage', 'voltage-sag')),
  severity double precision not null check (severity > 0 and severity <= 1),
  starts_at timestamptz not null,
  ends_at timestamptz,
  created_at timestamptz not null default now(),
  constraint ami_events_window check (ends_at is null or ends_at > starts_at),
  foreign key (tenant_id, feeder_id) references public.ami_feeders (tenant_id, feeder_id) on delete cascade
);
create index ami_events_tenant_window on public.ami_events (tenant_id, starts_at, ends_at);
comment on table public.ami_events is
  'Grid events (theft, comms outage, voltage sag) on one feeder over a time window. Generation looks them up by feeder and read_at, so a catch-up of a past interval uses the events active then.';
comment on column public.ami_events.id is 'Event id.';
comment on column public.ami_events.tenant_id is 'The tenant owning the feeder.';
comment on column public.ami_events.feeder_id is 'The feeder affected.';
comment on column public.ami_events.type is 'theft: kwh *= (1 - severity); comms-outage: a fraction severity of the feeder''s meters stop reporting; voltage-sag: voltage falls into 90-114 V.';
comment on column public.ami_events.severity is 'Strength of the event, in (0, 1].';
comment on column public.ami_events.starts_at is 'First instant of the event: reads with read_at >= starts_at are affected.';
comment on column public.ami_events.ends_at is 'End of the event, exclusive; null while open-ended.';
comment on column public.ami_events.created_at is 'When the event was injected.';

--------------------------------------------------------------------------------
-- The tick ledger: the history of the data plane, one row per tenant and
-- interval. Its primary key is the proof that no interval was published twice.

create table public.ami_ticks (
  tenant_id text not null check (public.ami_valid_tenant_id(tenant_id)),
  read_at timestamptz not null check (public.ami_is_quarter_hour(read_at)),
  requested_by text not null check (requested_by in ('cron', 'catch-up', 'manual')),
  status text not null check (status in ('enqueued', 'complete', 'skipped')),
  skip_reason text,
  meter_count integer not null check (meter_count > 0),
  feeder_count integer not null check (feeder_count > 0),
  batch_size integer not null check (batch_size > 0),
  batch_count integer not null check (batch_count > 0),
  attempts integer not null default 0 check (attempts >= 0),
  jobs_enqueued integer not null default 0 check (jobs_enqueued >= 0),
  batches_done integer not null default 0 check (batches_done >= 0 and batches_done <= batch_count),
  rows_written integer not null default 0 check (rows_written >= 0),
  queue_depth_at_request integer,
  requested_at timestamptz not null default now(),
  enqueued_at timestamptz,
  first_batch_at timestamptz,
  completed_at timestamptz,
  primary key (tenant_id, read_at),
  constraint ami_ticks_skip_reason check (status <> 'skipped' or skip_reason is not null),
  constraint ami_ticks_complete check ((status = 'complete') = (completed_at is not null))
);
create index ami_ticks_recent on public.ami_ticks (requested_at desc);
comment on table public.ami_ticks is
  'The tick ledger: one row per (tenant, interval) ever requested, with who asked, what was enqueued and how it ended. Unique per interval: an interval is never published twice.';
comment on column public.ami_ticks.tenant_id is 'The tenant published.';
comment on column public.ami_ticks.read_at is 'The interval: every read of this tick carries exactly this read_at.';
comment on column public.ami_ticks.requested_by is 'Who last asked for it: cron (the scheduler), catch-up (a missing interval re-published), manual (publish-once).';
comment on column public.ami_ticks.status is 'enqueued (batches queued or running), complete (every batch landed), skipped (refused by backpressure; see skip_reason).';
comment on column public.ami_ticks.skip_reason is 'Why the last attempt was skipped; kept as history once a later attempt enqueued it.';
comment on column public.ami_ticks.meter_count is 'Meters published in this interval.';
comment on column public.ami_ticks.feeder_count is 'Feeders of the fleet at publish time.';
comment on column public.ami_ticks.batch_size is 'Meters per batch job.';
comment on column public.ami_ticks.batch_count is 'Batches that make the interval whole: ceil(meter_count / batch_size).';
comment on column public.ami_ticks.attempts is 'Publish attempts: the first request, skips, and catch-up re-enqueues of missing batches.';
comment on column public.ami_ticks.jobs_enqueued is 'ami_publish_batch jobs enqueued over all attempts.';
comment on column public.ami_ticks.batches_done is 'Batches that have landed (each counted once, see ami_tick_batches).';
comment on column public.ami_ticks.rows_written is 'Reads inserted by this tick (fewer than meter_count when a comms outage drops reads).';
comment on column public.ami_ticks.queue_depth_at_request is 'Waiting + delayed batch jobs when the last attempt was decided.';
comment on column public.ami_ticks.requested_at is 'When the interval was first requested.';
comment on column public.ami_ticks.enqueued_at is 'When its batch jobs were last enqueued.';
comment on column public.ami_ticks.first_batch_at is 'When the first batch landed.';
comment on column public.ami_ticks.completed_at is 'When the last batch landed; completed_at - enqueued_at is the ingest latency.';

create table public.ami_tick_batches (
  tenant_id text not null,
  read_at timestamptz not null,
  batch_index integer not null check (batch_index >= 0),
  rows_written integer not null check (rows_written >= 0),
  completed_at timestamptz not null default now(),
  primary key (tenant_id, read_at, batch_index),
  foreign key (tenant_id, read_at) references public.ami_ticks (tenant_id, read_at) on delete cascade
);
comment on table public.ami_tick_batches is
  'Batches of a tick that have landed, recorded in the same statement as their reads: a batch that runs twice is counted once, and a catch-up re-enqueues only the batches missing here.';
comment on column public.ami_tick_batches.tenant_id is 'The tenant.';
comment on column public.ami_tick_batches.read_at is 'The interval.';
comment on column public.ami_tick_batches.batch_index is 'Batch number, 0-based: meters batch_index*batch_size+1 .. (batch_index+1)*batch_size.';
comment on column public.ami_tick_batches.rows_written is 'Reads this batch inserted.';
comment on column public.ami_tick_batches.completed_at is 'When the batch landed.';

--------------------------------------------------------------------------------
-- Automatic mode: the stored configuration the scheduler publishes from. It
-- lives here, not in a process, so it survives restarts and every worker
-- process sees the same thing.

create table public.ami_auto_config (
  tenant_id text primary key references public.ami_fleets (tenant_id) on delete cascade,
  enabled boolean not null,
  meter_count integer not null check (meter_count > 0),
  feeder_count integer not null check (feeder_count > 0 and feeder_count <= meter_count),
  batch_size integer not null check (batch_size > 0),
  interval_minutes integer not null check (interval_minutes in (15, 30, 60)),
  catch_up_intervals integer not null check (catch_up_intervals >= 0),
  started_at timestamptz,
  stopped_at timestamptz,
  updated_at timestamptz not null default now()
);
comment on table public.ami_auto_config is
  'Automatic mode per tenant: when enabled, the */15 scheduler publishes the tenant on each of its interval boundaries.';
comment on column public.ami_auto_config.tenant_id is 'The tenant.';
comment on column public.ami_auto_config.enabled is 'True while auto mode is on.';
comment on column public.ami_auto_config.meter_count is 'Meters published per interval.';
comment on column public.ami_auto_config.feeder_count is 'Feeders of the fleet.';
comment on column public.ami_auto_config.batch_size is 'Meters per batch job.';
comment on column public.ami_auto_config.interval_minutes is '15, 30 or 60: the tenant is published on boundaries of this length.';
comment on column public.ami_auto_config.catch_up_intervals is 'How many recent intervals (the current one included) are re-published when missing.';
comment on column public.ami_auto_config.started_at is 'When auto mode was last started.';
comment on column public.ami_auto_config.stopped_at is 'When auto mode was last stopped.';
comment on column public.ami_auto_config.updated_at is 'When the configuration last changed.';
