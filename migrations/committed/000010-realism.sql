--! Previous: sha1:be88fec258faf5c9a2339683b156a7bcf972ba07
--! Hash: sha1:45720797531e797c3bcfc8a13be10ded25271b04
--! Message: realism

-- A fleet that looks real (SPEC section 12): the tenant's time zone and solar
-- share, each meter's archetype, heating, EV, rooftop solar and place along its
-- feeder, energy sent to the grid, the read status bits, and the outdoor
-- temperature of each published interval.

--------------------------------------------------------------------------------
-- The fleet: its clock and its solar uptake, fixed once registered.

alter table public.ami_fleets add column if not exists time_zone text not null default 'America/Chicago';
alter table public.ami_fleets add column if not exists solar_share real not null default 0.05;
alter table public.ami_fleets drop constraint if exists ami_fleets_solar_share;
alter table public.ami_fleets add constraint ami_fleets_solar_share check (solar_share >= 0 and solar_share <= 1);
alter table public.ami_fleets drop constraint if exists ami_fleets_time_zone;
alter table public.ami_fleets add constraint ami_fleets_time_zone check (time_zone ~ '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$');
comment on column public.ami_fleets.time_zone is 'IANA time zone of the tenant (America/Chicago by default): the load model''s local clock and calendar (DST, weekends, US federal holidays) and the dashboard''s. read_at stays UTC.';
comment on column public.ami_fleets.solar_share is 'Share of residential meters with rooftop solar (0..1, 0.05 by default), the mean over feeders.';

--------------------------------------------------------------------------------
-- The registry: what makes each meter a distinct customer (src/emulator/fleet.ts).
-- Meters registered before this migration get the plainest profile of their
-- class: a commuter home on gas heat, an office, a one-shift plant; no EV, no
-- solar; a place along the feeder spread by the golden ratio.

alter table public.ami_meters add column if not exists archetype text;
alter table public.ami_meters add column if not exists heating text;
alter table public.ami_meters add column if not exists has_ev boolean not null default false;
alter table public.ami_meters add column if not exists pv_kw real not null default 0;
alter table public.ami_meters add column if not exists position real;
update public.ami_meters
   set archetype = case service_class when 'residential' then 'res-commuter' when 'commercial' then 'com-office' else 'ind-one-shift' end
 where archetype is null;
update public.ami_meters set heating = 'gas' where heating is null;
update public.ami_meters set position = round((meter_id * 0.6180339887 - floor(meter_id * 0.6180339887))::numeric, 3) where position is null;
alter table public.ami_meters alter column archetype set not null;
alter table public.ami_meters alter column heating set not null;
alter table public.ami_meters alter column position set not null;
alter table public.ami_meters drop constraint if exists ami_meters_archetype;
alter table public.ami_meters add constraint ami_meters_archetype check (archetype in (
  'res-commuter', 'res-home-day', 'res-night-owl', 'res-early-bird', 'res-vacant',
  'com-office', 'com-retail', 'com-restaurant', 'com-school',
  'ind-one-shift', 'ind-two-shift', 'ind-continuous'));
alter table public.ami_meters drop constraint if exists ami_meters_heating;
alter table public.ami_meters add constraint ami_meters_heating check (heating in ('electric', 'gas'));
alter table public.ami_meters drop constraint if exists ami_meters_pv_kw;
alter table public.ami_meters add constraint ami_meters_pv_kw check (pv_kw >= 0);
alter table public.ami_meters drop constraint if exists ami_meters_position;
alter table public.ami_meters add constraint ami_meters_position check (position >= 0 and position <= 1);
comment on column public.ami_meters.archetype is 'Customer archetype (src/emulator/archetypes.ts): the daily shape of its load, e.g. res-commuter, com-retail, ind-two-shift.';
comment on column public.ami_meters.heating is 'Space heating: electric (winter load) or gas.';
comment on column public.ami_meters.has_ev is 'An electric vehicle charging at home.';
comment on column public.ami_meters.pv_kw is 'Rooftop solar, kW of panels; 0 without.';
comment on column public.ami_meters.position is 'Place along the feeder, 0 at the substation to 1 at the far end: the voltage drop grows with it.';
comment on column public.ami_meters.scale is 'Size relative to a typical meter of its class (1 = the class base).';

--------------------------------------------------------------------------------
-- Reads: energy sent to the grid, and the status bits. Constant defaults:
-- adding them rewrites nothing.

alter table public.meter_reads_electric add column if not exists kwh_received real not null default 0;
alter table public.meter_reads_electric add column if not exists status smallint not null default 0;
alter table public.meter_reads_electric drop constraint if exists meter_reads_electric_kwh_received;
alter table public.meter_reads_electric add constraint meter_reads_electric_kwh_received check (kwh_received >= 0);
alter table public.meter_reads_electric drop constraint if exists meter_reads_electric_status;
alter table public.meter_reads_electric add constraint meter_reads_electric_status check (status >= 0 and status <= 255);
comment on column public.meter_reads_electric.kwh is 'Energy delivered to the customer in the interval, kWh (after any theft event).';
comment on column public.meter_reads_electric.kwh_received is 'Energy the customer sent to the grid in the interval (rooftop solar), kWh, >= 0.';
comment on column public.meter_reads_electric.status is 'Status bitmask after the DLMS/COSEM AMR profile status: 1 critical error, 2 clock invalid, 4 data not valid, 8 daylight saving (set from the tenant''s time zone), 32 clock adjusted, 128 power down.';
comment on column public.meter_reads_electric.baseline_kwh is 'The load model''s expectation of kwh for this meter and interval (weather, calendar, archetype, expected solar), without its random part and without events: the reference of kwhDeviationPct.';

--------------------------------------------------------------------------------
-- The ledger: the outdoor temperature of the interval (the model's weather,
-- a pure function of tenant and time), so the series and GraphQL can show it.

alter table public.ami_ticks add column if not exists temperature_c real;
comment on column public.ami_ticks.temperature_c is 'Outdoor temperature of the tenant''s synthetic weather at the middle of the interval, degrees C (what drove its heating and cooling load).';

--------------------------------------------------------------------------------
-- The rollup sums the energy received too.

alter table public.ami_interval_feeders add column if not exists kwh_received double precision not null default 0;
comment on column public.ami_interval_feeders.kwh_received is 'Sum of kwh_received of the feeder''s reads.';
update public.ami_interval_feeders x
   set kwh_received = coalesce((select sum(r.kwh_received::double precision) from public.meter_reads_electric r
                                 where r.tenant_id = x.tenant_id and r.read_at = x.read_at and r.feeder_id = x.feeder_id), 0);

create or replace function ami_private.reads_inserted() returns trigger
  language plpgsql
  as $fn$
  declare
    lowest integer;
    highest integer;
  begin
    insert into public.ami_interval_feeders as x
           (tenant_id, read_at, feeder_id, reporting_meters, kwh, kwh_received, baseline_kwh, voltage_sum, voltage_min, voltage_max, under_114, over_126)
    select i.tenant_id, i.read_at, i.feeder_id, count(*), sum(i.kwh::double precision), sum(i.kwh_received::double precision),
           sum(i.baseline_kwh::double precision), sum(i.voltage::double precision), min(i.voltage), max(i.voltage),
           count(*) filter (where i.voltage < 114), count(*) filter (where i.voltage > 126)
      from inserted i
     group by i.tenant_id, i.read_at, i.feeder_id
    on conflict (tenant_id, read_at, feeder_id) do update
       set reporting_meters = x.reporting_meters + excluded.reporting_meters,
           kwh = x.kwh + excluded.kwh,
           kwh_received = x.kwh_received + excluded.kwh_received,
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
             coalesce(sum(r.kwh::double precision), 0) as kwh, coalesce(sum(r.kwh_received::double precision), 0) as kwh_received,
             coalesce(sum(r.baseline_kwh::double precision), 0) as baseline,
             coalesce(sum(r.voltage::double precision), 0) as voltage_sum, min(r.voltage) as voltage_min, max(r.voltage) as voltage_max,
             (count(*) filter (where r.voltage < 114))::integer as under_114, (count(*) filter (where r.voltage > 126))::integer as over_126
        from g
        left join public.meter_reads_electric r on r.tenant_id = g.tenant_id and r.read_at = g.read_at and r.feeder_id = g.feeder_id
       group by g.tenant_id, g.read_at, g.feeder_id
    )
    update public.ami_interval_feeders x
       set reporting_meters = c.reporting, kwh = c.kwh, kwh_received = c.kwh_received, baseline_kwh = c.baseline, voltage_sum = c.voltage_sum,
           voltage_min = c.voltage_min, voltage_max = c.voltage_max, under_114 = c.under_114, over_126 = c.over_126
      from counted c
     where x.tenant_id = c.tenant_id and x.read_at = c.read_at and x.feeder_id = c.feeder_id;
    delete from public.ami_interval_feeders x
     using jsonb_to_recordset(groups) as g(tenant_id text, read_at timestamptz, feeder_id integer)
     where x.tenant_id = g.tenant_id and x.read_at = g.read_at and x.feeder_id = g.feeder_id
       and x.reporting_meters = 0 and x.expected_meters is null;
  end
  $fn$;

--------------------------------------------------------------------------------
-- The KPIs add the energy received (quickcheck energy.receivedKwh, per feeder
-- receivedKwh; GraphQL receivedKwh). New attributes go last: the functions
-- build these composites by position.

do $$
begin
  if not exists (select 1 from pg_attribute where attrelid = 'ami_kpi_private.feeder_reads'::regclass and attname = 'kwh_received') then
    alter type ami_kpi_private.feeder_reads add attribute kwh_received double precision;
  end if;
  if not exists (select 1 from pg_attribute where attrelid = 'ami_kpi.feeder_kpi'::regclass and attname = 'received_kwh') then
    alter type ami_kpi.feeder_kpi add attribute received_kwh double precision;
  end if;
  if not exists (select 1 from pg_attribute where attrelid = 'ami_kpi.interval_kpi'::regclass and attname = 'received_kwh') then
    alter type ami_kpi.interval_kpi add attribute received_kwh double precision;
  end if;
end
$$;
comment on column ami_kpi.feeder_kpi.received_kwh is 'Energy the feeder''s reporting meters sent to the grid in the interval (rooftop solar), kWh, 4 decimals.';
comment on column ami_kpi.interval_kpi.received_kwh is 'Energy the reporting meters sent to the grid in the interval (rooftop solar), kWh, 4 decimals.';

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
               coalesce(x.under_114, 0), coalesce(x.over_126, 0), x.kwh_received
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
          select r.feeder_id, count(*)::integer as reporting, sum(r.kwh::double precision) as kwh, sum(r.kwh_received::double precision) as kwh_received,
                 sum(r.baseline_kwh::double precision) as baseline,
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
                 coalesce(r.under_114, 0), coalesce(r.over_126, 0), r.kwh_received
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
             coalesce(s.not_current - s.never, 0), coalesce(s.never, 0),
             coalesce(ami_kpi_private.round_to(f.kwh_received, 4), 0)
           )::ami_kpi.feeder_kpi order by f.feeder_id) filter (where f.feeder_id is not null), '{}'),
           coalesce(ami_kpi_private.round_to(sum(f.kwh_received), 4), 0)
      into result
      from unnest(figures) f
      left join unnest(stale) s on s.feeder_id = f.feeder_id;
    return result;
  end
  $fn$;

create or replace view ami_kpi.latest_interval_kpis as
  select t.tenant_id, k.read_at, t.interval_minutes,
         k.expected_meters, k.reporting_meters, k.missing_meters, k.reporting_rate_pct,
         k.total_kwh, k.mean_kwh, k.baseline_kwh, k.kwh_deviation_pct,
         k.mean_voltage, k.min_voltage, k.max_voltage, k.under_114, k.over_126,
         k.current, k.stale_over_15m, k.stale_over_1h, k.stale_over_4h, k.stale_over_24h, k.never_reported,
         k.received_kwh
    from ami_kpi.tenants t
    cross join lateral ami_kpi_private.interval_kpis(t.tenant_id, t.latest_interval) k;
comment on column ami_kpi.latest_interval_kpis.received_kwh is 'Energy sent to the grid in the interval (rooftop solar), kWh.';

create or replace view ami_kpi.latest_feeder_kpis as
  select t.tenant_id, f.read_at, f.feeder_id,
         f.expected_meters, f.reporting_meters, f.missing_meters, f.reporting_rate_pct,
         f.total_kwh, f.baseline_kwh, f.kwh_deviation_pct, f.mean_kwh,
         f.mean_voltage, f.min_voltage, f.max_voltage, f.under_114, f.over_126,
         f.stale_meters, f.never_reported, f.received_kwh
    from ami_kpi.tenants t
    cross join lateral unnest((ami_kpi_private.interval_kpis(t.tenant_id, t.latest_interval)).feeders) f;
comment on column ami_kpi.latest_feeder_kpis.received_kwh is 'Energy the feeder''s meters sent to the grid in the interval, kWh.';

create or replace view ami_kpi.interval_history as
  select x.tenant_id,
         x.read_at,
         coalesce(t.meter_count, (select count(*)::integer from public.ami_meters m where m.tenant_id = x.tenant_id and m.active)) as fleet_meters,
         sum(x.reporting_meters)::integer as reporting_meters,
         ami_kpi_private.pct(sum(x.reporting_meters),
           coalesce(t.meter_count, (select count(*)::integer from public.ami_meters m where m.tenant_id = x.tenant_id and m.active))) as reporting_rate_pct,
         ami_kpi_private.round_to(sum(x.kwh), 4) as total_kwh,
         ami_kpi_private.round_to(sum(x.baseline_kwh), 4) as baseline_kwh,
         ami_kpi_private.pct(sum(x.kwh) - sum(x.baseline_kwh), sum(x.baseline_kwh)) as kwh_deviation_pct,
         ami_kpi_private.round_to(sum(x.voltage_sum) / nullif(sum(x.reporting_meters), 0), 2) as mean_voltage,
         min(x.voltage_min)::numeric::double precision as min_voltage,
         max(x.voltage_max)::numeric::double precision as max_voltage,
         sum(x.under_114)::integer as under_114,
         sum(x.over_126)::integer as over_126,
         ami_kpi_private.round_to(sum(x.kwh_received), 4) as received_kwh,
         t.temperature_c::numeric::double precision as temperature_c
    from public.ami_interval_feeders x
    left join public.ami_ticks t on t.tenant_id = x.tenant_id and t.read_at = x.read_at
   group by x.tenant_id, x.read_at, t.meter_count, t.temperature_c
  having sum(x.reporting_meters) > 0;
comment on column ami_kpi.interval_history.received_kwh is 'Energy sent to the grid in the interval (rooftop solar), kWh.';
comment on column ami_kpi.interval_history.temperature_c is 'Outdoor temperature of the tenant''s weather at the middle of the interval, degrees C; null for reads without a tick.';

create or replace view ami_kpi.tenants as
  select f.tenant_id,
         f.meter_count,
         f.feeder_count,
         coalesce(a.interval_minutes, 15) as interval_minutes,
         coalesce(a.enabled, false) as auto_enabled,
         ami_kpi_private.latest_interval(f.tenant_id) as latest_interval,
         (select min(r.read_at) from public.meter_reads_electric r where r.tenant_id = f.tenant_id) as first_interval,
         f.time_zone,
         f.solar_share::numeric::double precision as solar_share
    from public.ami_fleets f
    left join public.ami_auto_config a on a.tenant_id = f.tenant_id;
comment on column ami_kpi.tenants.time_zone is 'IANA time zone of the tenant: its local clock and calendar.';
comment on column ami_kpi.tenants.solar_share is 'Share of homes with rooftop solar.';
