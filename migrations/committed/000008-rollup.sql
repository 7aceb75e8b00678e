--! Previous: sha1:915bc5df31af4d95e8f098404ceab31b8f7e3da7
--! Hash: sha1:89de5dbc02d9f9119926f65da45581d426599267
--! Message: rollup

-- The per-interval, per-feeder KPI rollup, kept in step with the reads by the
-- database itself; past intervals measured against their own tick's fleet;
-- stale buckets of a past interval found by a bounded walk back; scheduler
-- slots claimed once; a tick's interval length and failures in the ledger.

--------------------------------------------------------------------------------
-- The rollup. One row per (tenant, interval, feeder): the sums of that
-- feeder's reads in that interval, and the meters it was published for.
-- Statement triggers on meter_reads_electric keep it, in the statement that
-- inserts or deletes the reads, so at every instant a reader can see it
-- equals a recount over the reads (docs/kpis.md). The KPIs read 25 rows
-- instead of an interval's reads.

create table if not exists public.ami_interval_feeders (
  tenant_id text not null,
  read_at timestamptz not null,
  feeder_id integer not null,
  expected_meters integer check (expected_meters >= 0),
  reporting_meters integer not null default 0 check (reporting_meters >= 0),
  kwh double precision not null default 0,
  baseline_kwh double precision not null default 0,
  voltage_sum double precision not null default 0,
  voltage_min real,
  voltage_max real,
  under_114 integer not null default 0,
  over_126 integer not null default 0,
  primary key (tenant_id, read_at, feeder_id)
);
comment on table public.ami_interval_feeders is
  'KPI rollup: one row per tenant, interval and feeder with the sums of the feeder''s reads in the interval. Kept by triggers on meter_reads_electric in the same statement as the reads, so it always equals a recount over them.';
comment on column public.ami_interval_feeders.tenant_id is 'The tenant.';
comment on column public.ami_interval_feeders.read_at is 'The interval.';
comment on column public.ami_interval_feeders.feeder_id is 'The feeder.';
comment on column public.ami_interval_feeders.expected_meters is 'Meters of the feeder the interval was published for (its tick''s fleet), set when the tick is enqueued; null for reads without a tick.';
comment on column public.ami_interval_feeders.reporting_meters is 'Reads of the feeder in the interval.';
comment on column public.ami_interval_feeders.kwh is 'Sum of kwh of those reads.';
comment on column public.ami_interval_feeders.baseline_kwh is 'Sum of baseline_kwh of those reads.';
comment on column public.ami_interval_feeders.voltage_sum is 'Sum of voltage of those reads (the mean is voltage_sum / reporting_meters).';
comment on column public.ami_interval_feeders.voltage_min is 'Lowest voltage read.';
comment on column public.ami_interval_feeders.voltage_max is 'Highest voltage read.';
comment on column public.ami_interval_feeders.under_114 is 'Reads under 114 V.';
comment on column public.ami_interval_feeders.over_126 is 'Reads over 126 V.';

-- Each meter's first read too: "never reported as of t" is first_read_at
-- null or after t, one probe instead of a search of the history.
alter table public.ami_meter_last_reads add column if not exists first_read_at timestamptz;
comment on column public.ami_meter_last_reads.first_read_at is 'read_at of the oldest read of this meter; null if it never reported.';
comment on column public.ami_meter_last_reads.last_read_at is 'read_at of the newest read of this meter; null if it never reported. Kept by the triggers on meter_reads_electric.';

create schema if not exists ami_private;
comment on schema ami_private is 'Trigger functions and helpers of the data plane; not exposed.';

create or replace function ami_private.reads_inserted() returns trigger
  language plpgsql
  as $fn$
  declare
    lowest integer;
    highest integer;
  begin
    insert into public.ami_interval_feeders as x
           (tenant_id, read_at, feeder_id, reporting_meters, kwh, baseline_kwh, voltage_sum, voltage_min, voltage_max, under_114, over_126)
    select i.tenant_id, i.read_at, i.feeder_id, count(*), sum(i.kwh::double precision), sum(i.baseline_kwh::double precision),
           sum(i.voltage::double precision), min(i.voltage), max(i.voltage),
           count(*) filter (where i.voltage < 114), count(*) filter (where i.voltage > 126)
      from inserted i
     group by i.tenant_id, i.read_at, i.feeder_id
    on conflict (tenant_id, read_at, feeder_id) do update
       set reporting_meters = x.reporting_meters + excluded.reporting_meters,
           kwh = x.kwh + excluded.kwh,
           baseline_kwh = x.baseline_kwh + excluded.baseline_kwh,
           voltage_sum = x.voltage_sum + excluded.voltage_sum,
           voltage_min = least(x.voltage_min, excluded.voltage_min),
           voltage_max = greatest(x.voltage_max, excluded.voltage_max),
           under_114 = x.under_114 + excluded.under_114,
           over_126 = x.over_126 + excluded.over_126;
    -- Each meter's newest and oldest read. A batch's meters are one id range:
    -- the bounds let the planner probe them, not hash the whole fleet.
    select min(i.meter_id), max(i.meter_id) into lowest, highest from inserted i;
    update public.ami_meter_last_reads l
       set last_read_at = greatest(l.last_read_at, i.newest),
           first_read_at = least(l.first_read_at, i.oldest)
      from (select tenant_id, meter_id, max(read_at) as newest, min(read_at) as oldest from inserted group by tenant_id, meter_id) i
     where l.tenant_id = i.tenant_id and l.meter_id = i.meter_id
       and l.meter_id between lowest and highest
       and (l.last_read_at is null or l.last_read_at < i.newest or l.first_read_at is null or l.first_read_at > i.oldest);
    return null;
  end
  $fn$;
comment on function ami_private.reads_inserted() is 'After INSERT on meter_reads_electric (per statement): adds the new reads to ami_interval_feeders and moves each meter''s first and newest read in ami_meter_last_reads.';

-- Deletes (retention, a DBA) and updates are rare: the groups they touch are
-- recounted from the reads (a group left without reads and without a tick goes).
create or replace function ami_private.recount_groups(groups jsonb) returns void
  language plpgsql
  as $fn$
  begin
    with g as (
      select distinct e.tenant_id, e.read_at, e.feeder_id
        from jsonb_to_recordset(groups) as e(tenant_id text, read_at timestamptz, feeder_id integer)
    ),
    counted as (
      select g.tenant_id, g.read_at, g.feeder_id, count(r.meter_id)::integer as reporting,
             coalesce(sum(r.kwh::double precision), 0) as kwh, coalesce(sum(r.baseline_kwh::double precision), 0) as baseline,
             coalesce(sum(r.voltage::double precision), 0) as voltage_sum, min(r.voltage) as voltage_min, max(r.voltage) as voltage_max,
             (count(*) filter (where r.voltage < 114))::integer as under_114, (count(*) filter (where r.voltage > 126))::integer as over_126
        from g
        left join public.meter_reads_electric r on r.tenant_id = g.tenant_id and r.read_at = g.read_at and r.feeder_id = g.feeder_id
       group by g.tenant_id, g.read_at, g.feeder_id
    )
    update public.ami_interval_feeders x
       set reporting_meters = c.reporting, kwh = c.kwh, baseline_kwh = c.baseline, voltage_sum = c.voltage_sum,
           voltage_min = c.voltage_min, voltage_max = c.voltage_max, under_114 = c.under_114, over_126 = c.over_126
      from counted c
     where x.tenant_id = c.tenant_id and x.read_at = c.read_at and x.feeder_id = c.feeder_id;
    delete from public.ami_interval_feeders x
     using jsonb_to_recordset(groups) as g(tenant_id text, read_at timestamptz, feeder_id integer)
     where x.tenant_id = g.tenant_id and x.read_at = g.read_at and x.feeder_id = g.feeder_id
       and x.reporting_meters = 0 and x.expected_meters is null;
  end
  $fn$;
comment on function ami_private.recount_groups(jsonb) is 'Recounts the given (tenant_id, read_at, feeder_id) groups of ami_interval_feeders from the reads.';

create or replace function ami_private.reads_deleted() returns trigger
  language plpgsql
  as $fn$
  begin
    perform ami_private.recount_groups((select jsonb_agg(distinct jsonb_build_object('tenant_id', tenant_id, 'read_at', read_at, 'feeder_id', feeder_id)) from old_reads));
    return null;
  end
  $fn$;
comment on function ami_private.reads_deleted() is 'After DELETE on meter_reads_electric (per statement): recounts the rollup groups the deleted reads belonged to.';

create or replace function ami_private.reads_updated() returns trigger
  language plpgsql
  as $fn$
  begin
    perform ami_private.recount_groups((
      select jsonb_agg(distinct jsonb_build_object('tenant_id', tenant_id, 'read_at', read_at, 'feeder_id', feeder_id))
        from (select tenant_id, read_at, feeder_id from old_reads union select tenant_id, read_at, feeder_id from new_reads) g));
    return null;
  end
  $fn$;
comment on function ami_private.reads_updated() is 'After UPDATE on meter_reads_electric (per statement): recounts the rollup groups of the reads before and after.';

drop trigger if exists ami_reads_inserted on public.meter_reads_electric;
create trigger ami_reads_inserted after insert on public.meter_reads_electric
  referencing new table as inserted for each statement execute function ami_private.reads_inserted();
drop trigger if exists ami_reads_deleted on public.meter_reads_electric;
create trigger ami_reads_deleted after delete on public.meter_reads_electric
  referencing old table as old_reads for each statement execute function ami_private.reads_deleted();
drop trigger if exists ami_reads_updated on public.meter_reads_electric;
create trigger ami_reads_updated after update on public.meter_reads_electric
  referencing old table as old_reads new table as new_reads for each statement execute function ami_private.reads_updated();

-- The rollup of the reads already stored, and each interval's expected meters
-- from its tick (meters 1..meter_count of the tick, by feeder).
insert into public.ami_interval_feeders
       (tenant_id, read_at, feeder_id, reporting_meters, kwh, baseline_kwh, voltage_sum, voltage_min, voltage_max, under_114, over_126)
select r.tenant_id, r.read_at, r.feeder_id, count(*), sum(r.kwh::double precision), sum(r.baseline_kwh::double precision),
       sum(r.voltage::double precision), min(r.voltage), max(r.voltage),
       count(*) filter (where r.voltage < 114), count(*) filter (where r.voltage > 126)
  from public.meter_reads_electric r
 group by r.tenant_id, r.read_at, r.feeder_id
on conflict do nothing;

insert into public.ami_interval_feeders as x (tenant_id, read_at, feeder_id, expected_meters)
select t.tenant_id, t.read_at, m.feeder_id, count(*)
  from public.ami_ticks t
  join public.ami_meters m on m.tenant_id = t.tenant_id and m.meter_id <= t.meter_count
 group by t.tenant_id, t.read_at, m.feeder_id
on conflict (tenant_id, read_at, feeder_id) do update set expected_meters = excluded.expected_meters;

update public.ami_meter_last_reads l
   set first_read_at = f.oldest
  from (select tenant_id, meter_id, min(read_at) as oldest from public.meter_reads_electric group by tenant_id, meter_id) f
 where l.tenant_id = f.tenant_id and l.meter_id = f.meter_id;

--------------------------------------------------------------------------------
-- The ledger: each tick's interval length, and a failed status (a tenant
-- whose tick could not be published, with the reason) beside skipped.

alter table public.ami_ticks add column if not exists interval_minutes integer;
update public.ami_ticks t
   set interval_minutes = coalesce((select a.interval_minutes from public.ami_auto_config a where a.tenant_id = t.tenant_id), 15)
 where t.interval_minutes is null;
alter table public.ami_ticks alter column interval_minutes set default 15;
alter table public.ami_ticks alter column interval_minutes set not null;
alter table public.ami_ticks drop constraint if exists ami_ticks_interval_minutes;
alter table public.ami_ticks add constraint ami_ticks_interval_minutes check (interval_minutes > 0 and 1440 % interval_minutes = 0);
comment on column public.ami_ticks.interval_minutes is 'Interval length the tick was published with: its energy is for (read_at - interval_minutes, read_at].';

alter table public.ami_ticks drop constraint if exists ami_ticks_status_check;
alter table public.ami_ticks add constraint ami_ticks_status_check check (status in ('enqueued', 'complete', 'skipped', 'failed'));
alter table public.ami_ticks drop constraint if exists ami_ticks_skip_reason;
alter table public.ami_ticks add constraint ami_ticks_skip_reason check (status not in ('skipped', 'failed') or skip_reason is not null);
comment on column public.ami_ticks.status is 'enqueued (batches queued or running), complete (every batch landed), skipped (refused by backpressure), failed (could not be published, e.g. its configuration no longer fits the caps); see skip_reason.';
comment on column public.ami_ticks.skip_reason is 'Why the last attempt was skipped or failed; kept as history once a later attempt enqueued it.';

--------------------------------------------------------------------------------
-- Scheduler slots: one row per (crontab entry, slot), enforced. A run claims
-- its slot first; a process that finds the slot claimed (a stalled one that
-- woke up after another ran it) does nothing.

delete from public.ami_scheduler_runs r
 using public.ami_scheduler_runs older
 where older.crontab_id = r.crontab_id and older.slot = r.slot and older.id < r.id;
create unique index if not exists ami_scheduler_runs_one_per_slot on public.ami_scheduler_runs (crontab_id, slot);
alter table public.ami_scheduler_runs add column if not exists tenants_failed integer not null default 0 check (tenants_failed >= 0);
alter table public.ami_scheduler_runs add column if not exists finished_at timestamptz;
comment on table public.ami_scheduler_runs is
  'One row per crontab slot the scheduler (task ami_tick) ran, unique on (crontab_id, slot): the claim a run takes before publishing, so a slot runs once however many processes see it.';
comment on column public.ami_scheduler_runs.tenants_failed is 'Tenants whose tick failed in this run (recorded as failed in ami_ticks with the reason).';
comment on column public.ami_scheduler_runs.finished_at is 'When the run finished; null while it runs (or if its process died: catch-up covers its tenants).';

--------------------------------------------------------------------------------
-- The readAt rule for SQL callers (GraphQL): the twin of readAtErrors in
-- src/domain/interval.ts, held equal by a test. GraphQL requests carry the
-- service's clock (ami.now) and the retention (ami.retention_days).

create or replace function ami_kpi_private.read_at_problem(read_at timestamptz, interval_minutes integer, now timestamptz, retention_days integer)
  returns text
  language sql immutable parallel safe
  as $$
    select case
      when read_at is null then null
      when not isfinite(read_at) or mod(extract(epoch from read_at)::numeric, interval_minutes * 60) <> 0
        then format('must be on a %s-minute boundary (UTC), e.g. 10:00, %s', interval_minutes, to_char(timestamptz '2026-01-01 10:00:00+00' + make_interval(mins => interval_minutes), 'HH24:MI'))
      when read_at > to_timestamp(floor(extract(epoch from now) / (interval_minutes * 60)) * interval_minutes * 60)
        then format('must not be in the future: the current interval is %s',
                    to_char(to_timestamp(floor(extract(epoch from now) / (interval_minutes * 60)) * interval_minutes * 60) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      when retention_days > 0 and read_at < now - make_interval(days => retention_days)
        then format('must be within the %s days of reads kept (AMI_RETENTION_DAYS): reads before %s are deleted every hour', retention_days,
                    to_char((now - make_interval(days => retention_days)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    end
  $$;
comment on function ami_kpi_private.read_at_problem(timestamptz, integer, timestamptz, integer) is
  'Why read_at cannot be asked of a tenant with this interval length at the instant now with this retention (null: it can): the rule of src/domain/interval.ts readAtErrors.';

--------------------------------------------------------------------------------
-- The figures of one interval, from the rollup.
--  1. Per feeder: the rollup row (reads' sums; expected meters from the
--     interval's tick). An interval without a tick is measured against the
--     active meters; when its tenant has retired meters, its reads are
--     counted from the reads themselves (a retired meter's reads count nowhere).
--  2. The meters that are not current, by feeder and stale bucket:
--     a. every expected meter reported: none;
--     b. the tenant's newest interval: one scan of ami_meter_last_reads
--        (each meter's newest read), the registry for the feeders of the
--        meters found (all of them when the expected set is not simply the
--        registered fleet, else only the never-reported ones);
--     c. a past interval: its missing meters (expected, no read in it), then
--        a walk back over the intervals with reads (at most a day, the rollup
--        tells which), each one an index probe for the meters still missing;
--        the rest are staleOver24h, or neverReported when their first read is
--        after the interval.
--  3. The totals and the feeder rows, from 1 and 2.

create or replace function ami_kpi_private.interval_kpis(tenant_id text, read_at timestamptz) returns ami_kpi.interval_kpi
  language plpgsql stable parallel unsafe
  set enable_seqscan = off
  set jit = off
  as $fn$
  declare
    figures ami_kpi_private.feeder_reads[];
    stale ami_kpi_private.feeder_stale[];
    totals integer[];
    newest timestamptz;
    retired boolean;
    fleet_meters integer;
    tick_meters integer;
    every_meter_reported boolean;
    dark_meters integer[];
    dark_last_reads timestamptz[];
    missing integer[];
    hits integer[];
    walked timestamptz;
    found_meters integer[] := '{}';
    found_buckets text[] := '{}';
    result ami_kpi.interval_kpi;
  begin
    retired := exists (select 1 from public.ami_meters x where x.tenant_id = interval_kpis.tenant_id and not x.active);
    select f.meter_count into fleet_meters from public.ami_fleets f where f.tenant_id = interval_kpis.tenant_id;
    select t.meter_count into tick_meters from public.ami_ticks t where t.tenant_id = interval_kpis.tenant_id and t.read_at = interval_kpis.read_at;

    -- Step 1.
    if tick_meters is not null or not retired then
      select coalesce(array_agg(row(
               f.feeder_id, coalesce(x.expected_meters, e.meters, 0), coalesce(x.reporting_meters, 0),
               x.kwh, x.baseline_kwh, x.voltage_sum, x.voltage_min::numeric::double precision, x.voltage_max::numeric::double precision,
               coalesce(x.under_114, 0), coalesce(x.over_126, 0)
             )::ami_kpi_private.feeder_reads order by f.feeder_id), '{}')
        into figures
        from public.ami_feeders f
        left join public.ami_interval_feeders x
          on x.tenant_id = f.tenant_id and x.read_at = interval_kpis.read_at and x.feeder_id = f.feeder_id
        -- Expected meters of a feeder without a rollup row (or one without a tick): counted.
        left join lateral (
          select count(*)::integer as meters
            from public.ami_meters m
           where x.expected_meters is null
             and m.tenant_id = f.tenant_id and m.feeder_id = f.feeder_id
             and (case when tick_meters is null then m.active else m.meter_id <= tick_meters end)
        ) e on true
       where f.tenant_id = interval_kpis.tenant_id;
    else
      execute $sql$
        with reads as (
          select r.feeder_id, count(*)::integer as reporting, sum(r.kwh::double precision) as kwh, sum(r.baseline_kwh::double precision) as baseline,
                 sum(r.voltage::double precision) as voltage_sum, min(r.voltage)::numeric::double precision as voltage_min,
                 max(r.voltage)::numeric::double precision as voltage_max,
                 (count(*) filter (where r.voltage < 114))::integer as under_114, (count(*) filter (where r.voltage > 126))::integer as over_126
            from public.meter_reads_electric r
           where r.tenant_id = $1 and r.read_at = $2
             and exists (select 1 from public.ami_meters a where a.tenant_id = $1 and a.meter_id = r.meter_id and a.active)
           group by r.feeder_id
        ),
        expected as (
          select m.feeder_id, count(*)::integer as meters from public.ami_meters m where m.tenant_id = $1 and m.active group by m.feeder_id
        )
        select coalesce(array_agg(row(
                 f.feeder_id, coalesce(e.meters, 0), coalesce(r.reporting, 0), r.kwh, r.baseline, r.voltage_sum, r.voltage_min, r.voltage_max,
                 coalesce(r.under_114, 0), coalesce(r.over_126, 0)
               )::ami_kpi_private.feeder_reads order by f.feeder_id), '{}')
          from public.ami_feeders f
          left join expected e on e.feeder_id = f.feeder_id
          left join reads r on r.feeder_id = f.feeder_id
         where f.tenant_id = $1
      $sql$ into figures using tenant_id, read_at;
    end if;

    -- Step 2.
    select max(x.read_at) into newest from public.ami_interval_feeders x where x.tenant_id = interval_kpis.tenant_id and x.reporting_meters > 0;
    select coalesce(sum(f.expected), 0) = coalesce(sum(f.reporting), 0) into every_meter_reported from unnest(figures) f;

    if read_at is not null and every_meter_reported and (tick_meters is not null or not retired) then
      -- a.
      stale := '{}';
    elsif read_at is null or read_at >= coalesce(newest, '-infinity') then
      -- b.
      perform set_config('enable_seqscan', 'on', true);
      execute $sql$
        select array[(count(*) filter (where b.bucket <> 'current'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver15m'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver1h'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver4h'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver24h'))::integer,
                     (count(*) filter (where b.bucket = 'neverReported'))::integer],
               coalesce(array_agg(b.meter_id) filter (where $3 or b.bucket = 'neverReported'), '{}'),
               coalesce(array_agg(b.last_read_at) filter (where $3 or b.bucket = 'neverReported'), '{}')
          from (select l.meter_id, l.last_read_at, ami_kpi_private.stale_bucket(l.last_read_at, $2) as bucket
                  from public.ami_meter_last_reads l
                 where l.tenant_id = $1 and (l.last_read_at is null or $2 is null or l.last_read_at < $2)) b
      $sql$ into totals, dark_meters, dark_last_reads
        using tenant_id, read_at, retired or (tick_meters is not null and tick_meters <> fleet_meters);
      perform set_config('enable_seqscan', 'off', true);
      execute $sql$
        select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
          from (
            select m.feeder_id,
                   (count(*) filter (where b.bucket <> 'current'))::integer as not_current,
                   (count(*) filter (where b.bucket = 'staleOver15m'))::integer as over_15m,
                   (count(*) filter (where b.bucket = 'staleOver1h'))::integer as over_1h,
                   (count(*) filter (where b.bucket = 'staleOver4h'))::integer as over_4h,
                   (count(*) filter (where b.bucket = 'staleOver24h'))::integer as over_24h,
                   (count(*) filter (where b.bucket = 'neverReported'))::integer as never
              from (select d.meter_id, ami_kpi_private.stale_bucket(d.last_read_at, $2) as bucket
                      from unnest($3::integer[], $4::timestamptz[]) as d(meter_id, last_read_at)) b
              join public.ami_meters m on m.tenant_id = $1 and m.meter_id = b.meter_id
               and (case when $5::integer is null then m.active else m.meter_id <= $5 end)
             group by m.feeder_id
          ) s
      $sql$ into stale using tenant_id, read_at, dark_meters, dark_last_reads, tick_meters;
      if not (retired or (tick_meters is not null and tick_meters <> fleet_meters)) then
        -- Every registered meter is expected: a feeder's meters that are not current are its missing ones.
        select coalesce(array_agg(row(f.feeder_id, greatest(f.expected - f.reporting, 0), null, null, null, null, coalesce(s.never, 0))::ami_kpi_private.feeder_stale), '{}')
          into stale
          from unnest(figures) f
          left join unnest(stale) s on s.feeder_id = f.feeder_id;
      else
        totals := null;
      end if;
    else
      -- c. The expected meters without a read in the interval.
      execute $sql$
        select coalesce(array_agg(m.meter_id), '{}')
          from public.ami_meters m
         where m.tenant_id = $1
           and (case when $3::integer is null then m.active else m.meter_id <= $3 end)
           and not exists (select 1 from public.meter_reads_electric r where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = m.meter_id)
      $sql$ into missing using tenant_id, read_at, tick_meters;
      walked := read_at;
      while cardinality(missing) > 0 loop
        -- The next interval back with reads, within a day.
        select max(x.read_at) into walked
          from public.ami_interval_feeders x
         where x.tenant_id = interval_kpis.tenant_id and x.read_at < walked and x.read_at > interval_kpis.read_at - interval '24 hours'
           and x.reporting_meters > 0;
        exit when walked is null;
        execute $sql$
          select coalesce(array_agg(r.meter_id), '{}')
            from unnest($3::integer[]) as u(meter_id)
            join public.meter_reads_electric r on r.tenant_id = $1 and r.read_at = $2 and r.meter_id = u.meter_id
        $sql$ into hits using tenant_id, walked, missing;
        if cardinality(hits) > 0 then
          found_meters := found_meters || hits;
          found_buckets := found_buckets || array_fill(ami_kpi_private.stale_bucket(walked, read_at), array[cardinality(hits)]);
          missing := array(select unnest(missing) except select unnest(hits));
        end if;
      end loop;
      -- The rest: reported before the day (staleOver24h), or not at all as of the interval.
      execute $sql$
        select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
          from (
            select m.feeder_id,
                   count(*)::integer as not_current,
                   (count(*) filter (where b.bucket = 'staleOver15m'))::integer as over_15m,
                   (count(*) filter (where b.bucket = 'staleOver1h'))::integer as over_1h,
                   (count(*) filter (where b.bucket = 'staleOver4h'))::integer as over_4h,
                   (count(*) filter (where b.bucket = 'staleOver24h'))::integer as over_24h,
                   (count(*) filter (where b.bucket = 'neverReported'))::integer as never
              from (select f.meter_id, f.bucket from unnest($3::integer[], $4::text[]) as f(meter_id, bucket)
                    union all
                    select l.meter_id, case when l.first_read_at <= $2 then 'staleOver24h' else 'neverReported' end
                      from unnest($5::integer[]) as u(meter_id)
                      join public.ami_meter_last_reads l on l.tenant_id = $1 and l.meter_id = u.meter_id) b
              join public.ami_meters m on m.tenant_id = $1 and m.meter_id = b.meter_id
             group by m.feeder_id
          ) s
      $sql$ into stale using tenant_id, read_at, found_meters, found_buckets, missing;
      totals := null;
    end if;
    if totals is null then
      select array[coalesce(sum(s.not_current), 0), coalesce(sum(s.over_15m), 0), coalesce(sum(s.over_1h), 0),
                   coalesce(sum(s.over_4h), 0), coalesce(sum(s.over_24h), 0), coalesce(sum(s.never), 0)]::integer[]
        into totals
        from unnest(stale) s;
    end if;

    -- Step 3.
    select interval_kpis.tenant_id, interval_kpis.read_at,
           coalesce(sum(f.expected), 0)::integer,
           coalesce(sum(f.reporting), 0)::integer,
           coalesce(sum(greatest(f.expected - f.reporting, 0)), 0)::integer,
           ami_kpi_private.pct(sum(f.reporting), sum(f.expected)),
           coalesce(ami_kpi_private.round_to(sum(f.kwh), 4), 0),
           ami_kpi_private.round_to(sum(f.kwh) / nullif(sum(f.reporting), 0), 4),
           coalesce(ami_kpi_private.round_to(sum(f.baseline), 4), 0),
           ami_kpi_private.pct(sum(f.kwh) - sum(f.baseline), sum(f.baseline)),
           ami_kpi_private.round_to(sum(f.voltage_sum) / nullif(sum(f.reporting), 0), 2),
           min(f.voltage_min),
           max(f.voltage_max),
           coalesce(sum(f.under_114), 0)::integer,
           coalesce(sum(f.over_126), 0)::integer,
           (coalesce(sum(f.expected), 0) - totals[1])::integer,
           totals[2], totals[3], totals[4], totals[5], totals[6],
           coalesce(array_agg(row(
             interval_kpis.tenant_id, interval_kpis.read_at, f.feeder_id, f.expected, f.reporting,
             greatest(f.expected - f.reporting, 0),
             ami_kpi_private.pct(f.reporting, f.expected),
             coalesce(ami_kpi_private.round_to(f.kwh, 4), 0),
             coalesce(ami_kpi_private.round_to(f.baseline, 4), 0),
             ami_kpi_private.pct(f.kwh - f.baseline, f.baseline),
             ami_kpi_private.round_to(f.kwh / nullif(f.reporting, 0), 4),
             ami_kpi_private.round_to(f.voltage_sum / nullif(f.reporting, 0), 2),
             f.voltage_min, f.voltage_max, f.under_114, f.over_126,
             coalesce(s.not_current - s.never, 0), coalesce(s.never, 0)
           )::ami_kpi.feeder_kpi order by f.feeder_id) filter (where f.feeder_id is not null), '{}')
      into result
      from unnest(figures) f
      left join unnest(stale) s on s.feeder_id = f.feeder_id;
    return result;
  end
  $fn$;
comment on function ami_kpi_private.interval_kpis(text, timestamptz) is
  'The KPIs of a tenant for one interval (read_at on the tenant''s interval boundary): reporting summary against the fleet the interval was published for, stale buckets by the age of each expected meter''s newest read as of that interval, energy, voltage, and every feeder. A tenant without a fleet gives zeros.';


-- The KPIs of one interval as GraphQL asks them (intervalKpisAt, feederKpisAt):
-- the readAt rule first, on the service's clock and retention that the request
-- carries (ami.now, ami.retention_days); REST has checked it already and
-- sets neither, and the latest_* views name the newest interval themselves.
create or replace function ami_kpi.interval_kpis_at(tenant_id text, read_at timestamptz) returns ami_kpi.interval_kpi
  language plpgsql stable parallel unsafe
  as $fn$
  declare
    problem text;
  begin
    if coalesce(current_setting('ami.now', true), '') <> '' then
      problem := ami_kpi_private.read_at_problem(read_at,
        coalesce((select a.interval_minutes from public.ami_auto_config a where a.tenant_id = interval_kpis_at.tenant_id), 15),
        public.ami_now(), coalesce(nullif(current_setting('ami.retention_days', true), '')::integer, 0));
      if problem is not null then
        raise exception 'readAt: %', problem using errcode = '22023';
      end if;
    end if;
    return ami_kpi_private.interval_kpis(tenant_id, read_at);
  end
  $fn$;
comment on function ami_kpi.interval_kpis_at(text, timestamptz) is
  'The KPIs of a tenant for one interval (read_at on the tenant''s interval boundary, not in the future, within the retention): reporting summary against the fleet the interval was published for, stale buckets by the age of each expected meter''s newest read as of that interval, energy, voltage, and every feeder. A tenant without a fleet gives zeros.';

create or replace view ami_kpi.latest_interval_kpis as
  select t.tenant_id, k.read_at, t.interval_minutes,
         k.expected_meters, k.reporting_meters, k.missing_meters, k.reporting_rate_pct,
         k.total_kwh, k.mean_kwh, k.baseline_kwh, k.kwh_deviation_pct,
         k.mean_voltage, k.min_voltage, k.max_voltage, k.under_114, k.over_126,
         k.current, k.stale_over_15m, k.stale_over_1h, k.stale_over_4h, k.stale_over_24h, k.never_reported
    from ami_kpi.tenants t
    cross join lateral ami_kpi_private.interval_kpis(t.tenant_id, t.latest_interval) k;

create or replace view ami_kpi.latest_feeder_kpis as
  select t.tenant_id, f.read_at, f.feeder_id,
         f.expected_meters, f.reporting_meters, f.missing_meters, f.reporting_rate_pct,
         f.total_kwh, f.baseline_kwh, f.kwh_deviation_pct, f.mean_kwh,
         f.mean_voltage, f.min_voltage, f.max_voltage, f.under_114, f.over_126,
         f.stale_meters, f.never_reported
    from ami_kpi.tenants t
    cross join lateral unnest((ami_kpi_private.interval_kpis(t.tenant_id, t.latest_interval)).feeders) f;

--------------------------------------------------------------------------------
-- The series, from the rollup: one row per interval, summed over its feeders.

create or replace view ami_kpi.interval_history as
  select x.tenant_id,
         x.read_at,
         coalesce(t.meter_count, f.active_meters) as fleet_meters,
         sum(x.reporting_meters)::integer as reporting_meters,
         ami_kpi_private.pct(sum(x.reporting_meters), coalesce(t.meter_count, f.active_meters)) as reporting_rate_pct,
         ami_kpi_private.round_to(sum(x.kwh), 4) as total_kwh,
         ami_kpi_private.round_to(sum(x.baseline_kwh), 4) as baseline_kwh,
         ami_kpi_private.pct(sum(x.kwh) - sum(x.baseline_kwh), sum(x.baseline_kwh)) as kwh_deviation_pct,
         ami_kpi_private.round_to(sum(x.voltage_sum) / nullif(sum(x.reporting_meters), 0), 2) as mean_voltage,
         min(x.voltage_min)::numeric::double precision as min_voltage,
         max(x.voltage_max)::numeric::double precision as max_voltage,
         sum(x.under_114)::integer as under_114,
         sum(x.over_126)::integer as over_126
    from public.ami_interval_feeders x
    join (select m.tenant_id, (count(*) filter (where m.active))::integer as active_meters
            from public.ami_meters m
           group by m.tenant_id) f on f.tenant_id = x.tenant_id
    left join public.ami_ticks t on t.tenant_id = x.tenant_id and t.read_at = x.read_at
   group by x.tenant_id, x.read_at, f.active_meters, t.meter_count
  having sum(x.reporting_meters) > 0;

grant usage on schema ami_private to ami_kpi_reader;
grant select on public.ami_interval_feeders to ami_kpi_reader;
grant execute on function ami_kpi_private.read_at_problem(timestamptz, integer, timestamptz, integer), ami_kpi_private.interval_kpis(text, timestamptz) to ami_kpi_reader;

--------------------------------------------------------------------------------
-- A fleet's interval length is a fact of the fleet, like its feeders: every
-- tick of a tenant is of that length, so its reads add up.

alter table public.ami_fleets add column if not exists interval_minutes integer;
update public.ami_fleets f
   set interval_minutes = coalesce((select a.interval_minutes from public.ami_auto_config a where a.tenant_id = f.tenant_id), 15)
 where f.interval_minutes is null;
alter table public.ami_fleets alter column interval_minutes set default 15;
alter table public.ami_fleets alter column interval_minutes set not null;
alter table public.ami_fleets drop constraint if exists ami_fleets_interval_minutes;
alter table public.ami_fleets add constraint ami_fleets_interval_minutes check (interval_minutes > 0 and 1440 % interval_minutes = 0);
comment on column public.ami_fleets.interval_minutes is 'Interval length of the fleet (15, 30 or 60 minutes), fixed once registered: every tick of the tenant is of this length.';
