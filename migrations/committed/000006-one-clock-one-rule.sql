--! Previous: sha1:6f4a675909eecacc8dd2c2c03c637454910d57c5
--! Hash: sha1:c09846209c2043442b4b1fb81ada5304bd3b8adb
--! Message: one clock and one place per rule: ami_in_force, ami_now, ami_queue_depth; KPI events on them

-- One clock, one place per rule (issue: structure).
--
-- The rules that SQL and TypeScript both need are written once here: "event
-- in force at t" (ami_in_force, twin of isInForce in src/emulator/events.ts),
-- the service's clock as SQL sees it (ami_now), the queue depth (ami_queue_depth).

--------------------------------------------------------------------------------
-- Event in force at an instant: starts_at <= at < ends_at (no end: open-ended).
-- A simple immutable SQL function: the planner inlines it, so a predicate
-- written with it still uses the indexes on starts_at.

create or replace function public.ami_in_force(starts_at timestamptz, ends_at timestamptz, at timestamptz) returns boolean
  language sql immutable parallel safe
  as $$ select starts_at <= at and (ends_at is null or ends_at > at) $$;
comment on function public.ami_in_force(timestamptz, timestamptz, timestamptz) is
  'True when an event of window [starts_at, ends_at) is in force at the instant at (ends_at null: open-ended). The one definition of "in force"; src/emulator/events.ts isInForce is its twin, held equal by a test.';

--------------------------------------------------------------------------------
-- The service's clock. REST passes its instant to the functions that need one;
-- a GraphQL request sets `ami.now` (PostGraphile pgSettings, from the same
-- clock), and the views GraphQL reads ask this function. Outside a request
-- (a DBA in psql) it is the database's now().

create or replace function public.ami_now() returns timestamptz
  language sql stable parallel safe
  as $$ select coalesce(nullif(current_setting('ami.now', true), '')::timestamptz, now()) $$;
comment on function public.ami_now() is
  'The service''s clock: the setting ami.now when a request set it (GraphQL), else now().';

--------------------------------------------------------------------------------
-- Queue depth per task, the one count behind backpressure, the status
-- endpoints and sql/queue-depth.sql. Permanently failed jobs (attempts used
-- up) never run again: they are counted apart. plpgsql, so it does not pin
-- Graphile Worker's jobs view (its migrations may replace it).

create or replace function public.ami_queue_depth()
  returns table (task text, waiting integer, delayed integer, running integer, failed integer)
  language plpgsql stable
  as $fn$
  begin
    return query
      select j.task_identifier::text,
             (count(*) filter (where j.attempts < j.max_attempts and j.locked_at is null and j.run_at <= now()))::integer,
             (count(*) filter (where j.attempts < j.max_attempts and j.locked_at is null and j.run_at > now()))::integer,
             (count(*) filter (where j.attempts < j.max_attempts and j.locked_at is not null))::integer,
             (count(*) filter (where j.attempts >= j.max_attempts))::integer
        from graphile_worker.jobs j
       group by j.task_identifier;
  end
  $fn$;
comment on function public.ami_queue_depth() is
  'Graphile Worker jobs per task: waiting (runnable now), delayed (run_at later, retries included), running (locked by a worker), failed (attempts used up; kept for inspection, never run again). Times are the database clock (Graphile Worker''s bookkeeping).';

--------------------------------------------------------------------------------
-- The KPI schema's events, with "in force" written once and "now" from the clock.

create or replace view ami_kpi.events as
  select e.id::integer as id,
         e.tenant_id,
         e.feeder_id,
         e.type,
         e.severity,
         e.starts_at,
         e.ends_at,
         e.created_at,
         public.ami_in_force(e.starts_at, e.ends_at, public.ami_now()) as active_now
    from public.ami_events e;
comment on column ami_kpi.events.active_now is 'True when the event is in force now, by the service''s clock (the same instant quickcheck uses).';

create or replace function ami_kpi.events_at(tenant_id text, read_at timestamptz, at_time timestamptz) returns setof ami_kpi.events
  language sql stable parallel safe
  as $$
    select e.*
      from ami_kpi.events e
     where e.tenant_id = $1
       and (public.ami_in_force(e.starts_at, e.ends_at, $2) or public.ami_in_force(e.starts_at, e.ends_at, $3))
     order by e.feeder_id, e.starts_at, e.id
  $$;

create or replace view ami_kpi.latest_active_events as
  select e.*
    from ami_kpi.tenants t
    cross join lateral ami_kpi.events_at(t.tenant_id, t.latest_interval, public.ami_now()) e;
comment on view ami_kpi.latest_active_events is E'@primaryKey id\nFor each tenant, the events that affected its newest interval or are in force now by the service''s clock (quickcheck''s activeEvents).';

grant execute on function public.ami_in_force(timestamptz, timestamptz, timestamptz), public.ami_now() to ami_kpi_reader;
