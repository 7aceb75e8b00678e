--! Previous: sha1:8cc1e85614476265f2547347fdd28c232be48a47
--! Hash: sha1:cf6a76fd0b04a5d903a1835e917c5653c5d245c6
--! Message: kpi at scale

-- The KPIs at a million meters (SPEC section 14): the stale buckets of the
-- newest interval from a histogram of the meters' newest reads instead of a
-- scan of every meter, a past interval's missing meters looked for only on
-- the feeders that have any, and expected meters counted once.

--------------------------------------------------------------------------------
-- Each meter's feeder beside its newest read (a meter never changes feeder).

alter table public.ami_meter_last_reads add column if not exists feeder_id integer;
update public.ami_meter_last_reads l set feeder_id = m.feeder_id
  from public.ami_meters m
 where l.feeder_id is null and m.tenant_id = l.tenant_id and m.meter_id = l.meter_id;
alter table public.ami_meter_last_reads alter column feeder_id set not null;
comment on column public.ami_meter_last_reads.feeder_id is 'The meter''s feeder (ami_meters.feeder_id, fixed): the key of its count in ami_last_read_counts.';

--------------------------------------------------------------------------------
-- The histogram of the meters' newest reads: per tenant and feeder, how many
-- meters have their newest read at each instant ('-infinity': never). Kept by
-- statement triggers on ami_meter_last_reads in the statement that changes
-- it, so at every instant a reader can see it equals a count over that table.

create table if not exists public.ami_last_read_counts (
  tenant_id text not null,
  feeder_id integer not null,
  last_read_at timestamptz not null,
  -- No check (meters >= 0): an upsert's proposed row carries a negative delta (a check is tested before the conflict).
  meters integer not null,
  primary key (tenant_id, feeder_id, last_read_at)
);
comment on table public.ami_last_read_counts is
  'How many meters of each feeder have their newest read at each instant (last_read_at ''-infinity'': never reported): select count(*) from ami_meter_last_reads grouped the same way, kept by triggers on it. The stale buckets of the newest interval are sums over it.';
comment on column public.ami_last_read_counts.tenant_id is 'The tenant.';
comment on column public.ami_last_read_counts.feeder_id is 'The feeder.';
comment on column public.ami_last_read_counts.last_read_at is 'A newest read''s read_at; ''-infinity'' for the meters that never reported.';
comment on column public.ami_last_read_counts.meters is 'Meters of the feeder whose newest read is at last_read_at (rows at 0 are deleted).';

create or replace function ami_private.shift_last_read_counts(deltas jsonb) returns void
  language sql
  as $$
    insert into public.ami_last_read_counts as h (tenant_id, feeder_id, last_read_at, meters)
    select e.tenant_id, e.feeder_id, e.last_read_at, sum(e.meters)::integer
      from jsonb_to_recordset(deltas) as e(tenant_id text, feeder_id integer, last_read_at timestamptz, meters integer)
     group by 1, 2, 3
    having sum(e.meters) <> 0
     -- One order for every statement: concurrent batches lock the rows they share in the same order.
     order by 1, 2, 3
    on conflict (tenant_id, feeder_id, last_read_at) do update set meters = h.meters + excluded.meters;
    -- A second statement: it sees the first one's rows.
    delete from public.ami_last_read_counts h
     using jsonb_to_recordset(deltas) as e(tenant_id text, feeder_id integer, last_read_at timestamptz, meters integer)
     where h.meters = 0 and h.tenant_id = e.tenant_id and h.feeder_id = e.feeder_id and h.last_read_at = e.last_read_at;
  $$;
comment on function ami_private.shift_last_read_counts(jsonb) is
  'Adds signed meter counts (tenant_id, feeder_id, last_read_at, meters) to ami_last_read_counts and deletes the rows left at 0.';

create or replace function ami_private.last_reads_inserted() returns trigger
  language plpgsql
  as $fn$
  begin
    perform ami_private.shift_last_read_counts((
      select jsonb_agg(jsonb_build_object('tenant_id', n.tenant_id, 'feeder_id', n.feeder_id, 'last_read_at', coalesce(n.last_read_at, '-infinity'), 'meters', n.meters))
        from (select tenant_id, feeder_id, last_read_at, count(*) as meters from new_rows group by 1, 2, 3) n));
    return null;
  end
  $fn$;

create or replace function ami_private.last_reads_deleted() returns trigger
  language plpgsql
  as $fn$
  begin
    perform ami_private.shift_last_read_counts((
      select jsonb_agg(jsonb_build_object('tenant_id', o.tenant_id, 'feeder_id', o.feeder_id, 'last_read_at', coalesce(o.last_read_at, '-infinity'), 'meters', -o.meters))
        from (select tenant_id, feeder_id, last_read_at, count(*) as meters from old_rows group by 1, 2, 3) o));
    return null;
  end
  $fn$;

create or replace function ami_private.last_reads_updated() returns trigger
  language plpgsql
  as $fn$
  begin
    perform ami_private.shift_last_read_counts((
      select jsonb_agg(jsonb_build_object('tenant_id', c.tenant_id, 'feeder_id', c.feeder_id, 'last_read_at', coalesce(c.last_read_at, '-infinity'), 'meters', c.meters))
        from (select tenant_id, feeder_id, last_read_at, count(*) as meters from new_rows group by 1, 2, 3
              union all
              select tenant_id, feeder_id, last_read_at, -count(*) from old_rows group by 1, 2, 3) c));
    return null;
  end
  $fn$;

create or replace trigger ami_last_reads_inserted after insert on public.ami_meter_last_reads
  referencing new table as new_rows for each statement execute function ami_private.last_reads_inserted();
create or replace trigger ami_last_reads_deleted after delete on public.ami_meter_last_reads
  referencing old table as old_rows for each statement execute function ami_private.last_reads_deleted();
create or replace trigger ami_last_reads_updated after update on public.ami_meter_last_reads
  referencing old table as old_rows new table as new_rows for each statement execute function ami_private.last_reads_updated();

-- The histogram of the rows already there.
delete from public.ami_last_read_counts;
insert into public.ami_last_read_counts (tenant_id, feeder_id, last_read_at, meters)
select tenant_id, feeder_id, coalesce(last_read_at, '-infinity'), count(*) from public.ami_meter_last_reads group by 1, 2, 3;

grant select on public.ami_last_read_counts to ami_kpi_reader;

--------------------------------------------------------------------------------
-- A feeder's meters by id: the missing meters of a past interval are looked
-- for on the feeders that have any.

create index if not exists ami_meters_by_feeder on public.ami_meters (tenant_id, feeder_id, meter_id);

--------------------------------------------------------------------------------
-- The rollup's upsert in one order (concurrent batches share its rows).

create or replace function ami_private.reads_inserted() returns trigger
  language plpgsql
  as $fn$
  declare
    lowest integer;
    highest integer;
  begin
    insert into public.ami_interval_feeders as x
           (tenant_id, read_at, feeder_id, reporting_meters, kwh, kwh_received, baseline_kwh, voltage_sum, voltage_min, voltage_max, under_114, over_126,
            on_time, late, backfilled, received_4h, received_24h, power_down, voltage_reads)
    select i.tenant_id, i.read_at, i.feeder_id, count(*), sum(i.kwh::double precision), sum(i.kwh_received::double precision),
           sum(i.baseline_kwh::double precision),
           coalesce(sum(i.voltage::double precision) filter (where i.voltage > 0), 0),
           min(i.voltage) filter (where i.voltage > 0), max(i.voltage) filter (where i.voltage > 0),
           count(*) filter (where i.voltage > 0 and i.voltage < 114), count(*) filter (where i.voltage > 126),
           count(*) filter (where i.delivery = 0), count(*) filter (where i.delivery = 1), count(*) filter (where i.delivery = 2),
           count(*) filter (where i.received_at is null or i.received_at <= i.read_at + interval '4 hours'),
           count(*) filter (where i.received_at is null or i.received_at <= i.read_at + interval '24 hours'),
           count(*) filter (where i.status & 128 = 128), count(*) filter (where i.voltage > 0)
      from inserted i
     group by i.tenant_id, i.read_at, i.feeder_id
     -- One order for every statement: concurrent batches lock the rows they share in the same order.
     order by i.tenant_id, i.read_at, i.feeder_id
    on conflict (tenant_id, read_at, feeder_id) do update
       set reporting_meters = x.reporting_meters + excluded.reporting_meters,
           kwh = x.kwh + excluded.kwh,
           kwh_received = x.kwh_received + excluded.kwh_received,
           baseline_kwh = x.baseline_kwh + excluded.baseline_kwh,
           voltage_sum = x.voltage_sum + excluded.voltage_sum,
           voltage_min = least(x.voltage_min, excluded.voltage_min),
           voltage_max = greatest(x.voltage_max, excluded.voltage_max),
           under_114 = x.under_114 + excluded.under_114,
           over_126 = x.over_126 + excluded.over_126,
           on_time = x.on_time + excluded.on_time,
           late = x.late + excluded.late,
           backfilled = x.backfilled + excluded.backfilled,
           received_4h = x.received_4h + excluded.received_4h,
           received_24h = x.received_24h + excluded.received_24h,
           power_down = x.power_down + excluded.power_down,
           voltage_reads = x.voltage_reads + excluded.voltage_reads;
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

--------------------------------------------------------------------------------
-- The figures of an interval: b1 (the histogram) for the newest interval,
-- c on the feeders with missing meters, expected meters counted once.

create or replace function ami_kpi_private.interval_kpis(tenant_id text, read_at timestamptz, as_of timestamptz) returns ami_kpi.interval_kpi
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
    if as_of is null and (tick_meters is not null or not retired) then
      select coalesce(array_agg(row(
               f.feeder_id, x.expected_meters, coalesce(x.reporting_meters, 0),
               x.kwh, x.baseline_kwh, x.voltage_sum, x.voltage_min::numeric::double precision, x.voltage_max::numeric::double precision,
               coalesce(x.under_114, 0), coalesce(x.over_126, 0), x.kwh_received, coalesce(x.voltage_reads, 0)
             )::ami_kpi_private.feeder_reads order by f.feeder_id), '{}')
        into figures
        from public.ami_feeders f
        left join public.ami_interval_feeders x
          on x.tenant_id = f.tenant_id and x.read_at = interval_kpis.read_at and x.feeder_id = f.feeder_id
       where f.tenant_id = interval_kpis.tenant_id;
      -- Expected meters of feeders without them in the rollup (an interval
      -- without a tick, or rows written by hand): counted once, grouped.
      if exists (select 1 from unnest(figures) f where f.expected is null) then
        select array_agg(row(f.feeder_id, coalesce(f.expected, c.meters, 0), f.reporting, f.kwh, f.baseline, f.voltage_sum, f.voltage_min, f.voltage_max,
                             f.under_114, f.over_126, f.kwh_received, f.voltage_reads)::ami_kpi_private.feeder_reads order by f.feeder_id)
          into figures
          from unnest(figures) f
          left join (
            select m.feeder_id, count(*)::integer as meters
              from public.ami_meters m
             where m.tenant_id = interval_kpis.tenant_id
               and m.feeder_id in (select g.feeder_id from unnest(figures) g where g.expected is null)
               and (case when tick_meters is null then m.active else m.meter_id <= tick_meters end)
             group by m.feeder_id
          ) c on c.feeder_id = f.feeder_id;
      end if;
    else
      execute $sql$
        with reads as (
          select r.feeder_id, count(*)::integer as reporting, sum(r.kwh::double precision) as kwh, sum(r.kwh_received::double precision) as kwh_received,
                 sum(r.baseline_kwh::double precision) as baseline,
                 coalesce(sum(r.voltage::double precision) filter (where r.voltage > 0), 0) as voltage_sum,
                 (min(r.voltage) filter (where r.voltage > 0))::numeric::double precision as voltage_min,
                 (max(r.voltage) filter (where r.voltage > 0))::numeric::double precision as voltage_max,
                 (count(*) filter (where r.voltage > 0 and r.voltage < 114))::integer as under_114, (count(*) filter (where r.voltage > 126))::integer as over_126,
                 (count(*) filter (where r.voltage > 0))::integer as voltage_reads
            from public.meter_reads_electric r
           where r.tenant_id = $1 and r.read_at = $2
             and ($3::timestamptz is null or coalesce(r.received_at, r.read_at) <= $3)
             and exists (select 1 from public.ami_meters a where a.tenant_id = $1 and a.meter_id = r.meter_id
                           and (case when $4::integer is null then a.active else a.meter_id <= $4 end))
           group by r.feeder_id
        ),
        expected as (
          select m.feeder_id, count(*)::integer as meters from public.ami_meters m
           where m.tenant_id = $1 and (case when $4::integer is null then m.active else m.meter_id <= $4 end)
           group by m.feeder_id
        )
        select coalesce(array_agg(row(
                 f.feeder_id, coalesce(e.meters, 0), coalesce(r.reporting, 0), r.kwh, r.baseline, r.voltage_sum, r.voltage_min, r.voltage_max,
                 coalesce(r.under_114, 0), coalesce(r.over_126, 0), r.kwh_received, coalesce(r.voltage_reads, 0)
               )::ami_kpi_private.feeder_reads order by f.feeder_id), '{}')
          from public.ami_feeders f
          left join expected e on e.feeder_id = f.feeder_id
          left join reads r on r.feeder_id = f.feeder_id
         where f.tenant_id = $1
      $sql$ into figures using tenant_id, read_at, as_of, tick_meters;
    end if;

    -- Step 2.
    select max(x.read_at) into newest from public.ami_interval_feeders x where x.tenant_id = interval_kpis.tenant_id and x.reporting_meters > 0;
    select coalesce(sum(f.expected), 0) = coalesce(sum(f.reporting), 0) into every_meter_reported from unnest(figures) f;

    if read_at is not null and every_meter_reported and (tick_meters is not null or not retired) then
      -- a.
      stale := '{}';
    elsif as_of is null and (read_at is null or read_at >= coalesce(newest, '-infinity'))
          and not retired and (tick_meters is null or tick_meters = fleet_meters) then
      -- b1. Every registered meter is expected, and none has a read newer
      -- than read_at: the buckets are sums over the histogram of the meters'
      -- newest reads (ami_last_read_counts), a few rows per feeder.
      select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
        into stale
        from (
          select h.feeder_id,
                 coalesce(sum(h.meters) filter (where b.bucket <> 'current'), 0)::integer as not_current,
                 coalesce(sum(h.meters) filter (where b.bucket = 'staleOver15m'), 0)::integer as over_15m,
                 coalesce(sum(h.meters) filter (where b.bucket = 'staleOver1h'), 0)::integer as over_1h,
                 coalesce(sum(h.meters) filter (where b.bucket = 'staleOver4h'), 0)::integer as over_4h,
                 coalesce(sum(h.meters) filter (where b.bucket = 'staleOver24h'), 0)::integer as over_24h,
                 coalesce(sum(h.meters) filter (where b.bucket = 'neverReported'), 0)::integer as never
            from public.ami_last_read_counts h
            cross join lateral (select ami_kpi_private.stale_bucket(nullif(h.last_read_at, '-infinity'), coalesce(interval_kpis.read_at, 'infinity')) as bucket) b
           where h.tenant_id = interval_kpis.tenant_id
           group by h.feeder_id
        ) s;
      totals := null;
    elsif as_of is null and (read_at is null or read_at >= coalesce(newest, '-infinity')) then
      -- b2. Retired meters, or a tick of another size: each meter's newest read.
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
           and m.feeder_id = any($5::integer[])
           and (case when $3::integer is null then m.active else m.meter_id <= $3 end)
           and not exists (select 1 from public.meter_reads_electric r where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = m.meter_id
                             and ($4::timestamptz is null or coalesce(r.received_at, r.read_at) <= $4))
      $sql$ into missing
        -- Only the feeders with fewer reads than expected meters have any.
        using tenant_id, read_at, tick_meters, as_of, array(select f.feeder_id from unnest(figures) f where f.expected > f.reporting);
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
           where $4::timestamptz is null or coalesce(r.received_at, r.read_at) <= $4
        $sql$ into hits using tenant_id, walked, missing, as_of;
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
           ami_kpi_private.round_to(sum(f.voltage_sum) / nullif(sum(f.voltage_reads), 0), 2),
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
             ami_kpi_private.round_to(f.voltage_sum / nullif(f.voltage_reads, 0), 2),
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
