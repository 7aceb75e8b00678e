--! Previous: sha1:cf6a76fd0b04a5d903a1835e917c5653c5d245c6
--! Hash: sha1:01630dcefd6fa87b21fd0c5da58ec8f7c56280ad
--! Message: stale from gaps

-- A past interval's stale buckets at a million meters: the gaps in each
-- meter's reads. A gap (prev_read_at, next_read_at) says the meter has no
-- read strictly between two of its reads more than one interval apart. For a
-- past interval T, the meters without a read at T are then, exactly:
--   - those whose newest read is before T (the histogram of newest reads),
--   - those inside a gap around T (their last read before T is its prev),
--   - those whose first read is after T (never reported as of T).
-- No per-meter probe: at 1,000,000 meters with 32,000 dark on one feeder the
-- interval after an outage answers from ~32,000 rows of one index range.

alter table public.ami_meter_last_reads add column if not exists before_last_read_at timestamptz;
alter table public.ami_meter_last_reads add column if not exists before_first_read_at timestamptz;
comment on column public.ami_meter_last_reads.before_last_read_at is 'last_read_at before the last statement that moved it (how the reads trigger learns the hole a read closes).';
comment on column public.ami_meter_last_reads.before_first_read_at is 'first_read_at before the last statement that moved it.';
create index if not exists ami_meter_last_reads_first on public.ami_meter_last_reads (tenant_id, first_read_at);

create table if not exists public.ami_meter_gaps (
  tenant_id text not null,
  meter_id integer not null,
  feeder_id integer not null,
  prev_read_at timestamptz not null,
  next_read_at timestamptz not null,
  primary key (tenant_id, meter_id, prev_read_at),
  constraint ami_meter_gaps_order check (prev_read_at < next_read_at)
);
create index if not exists ami_meter_gaps_by_end on public.ami_meter_gaps (tenant_id, next_read_at);
comment on table public.ami_meter_gaps is
  'Holes in each meter''s reads between its first and newest read: no read strictly between prev_read_at and next_read_at, which are more than one interval apart. Kept by the reads trigger (a read that moves the newest or oldest read past a hole opens one, a late or backfilled read inside one splits it). The stale buckets of a past interval count the gaps around it.';
comment on column public.ami_meter_gaps.prev_read_at is 'The read before the hole: the meter''s last read as of any interval inside it.';
comment on column public.ami_meter_gaps.next_read_at is 'The read after the hole.';

-- Splits every gap that holds one of `reads` (tenant_id, meter_id, read_at)
-- into the holes left around them (each kept only if wider than an interval).
create or replace function ami_private.split_gaps(reads jsonb) returns void
  language sql
  as $$
    with r as (
      select distinct e.tenant_id, e.meter_id, e.read_at from jsonb_to_recordset(reads) as e(tenant_id text, meter_id integer, read_at timestamptz)
    ), hit as (
      delete from public.ami_meter_gaps g
       where (g.tenant_id, g.meter_id, g.prev_read_at) in (
               select g2.tenant_id, g2.meter_id, g2.prev_read_at
                 from r join public.ami_meter_gaps g2
                   on g2.tenant_id = r.tenant_id and g2.meter_id = r.meter_id and g2.prev_read_at < r.read_at and r.read_at < g2.next_read_at)
      returning g.tenant_id, g.meter_id, g.feeder_id, g.prev_read_at, g.next_read_at
    ), points as (
      select h.tenant_id, h.meter_id, h.feeder_id, h.prev_read_at as gap, p.at
        from hit h
        cross join lateral (
          select h.prev_read_at as at union select h.next_read_at
          union select r.read_at from r where r.tenant_id = h.tenant_id and r.meter_id = h.meter_id and r.read_at > h.prev_read_at and r.read_at < h.next_read_at
        ) p
    ), holes as (
      select p.tenant_id, p.meter_id, p.feeder_id, p.at as prev_read_at, lead(p.at) over (partition by p.tenant_id, p.meter_id, p.gap order by p.at) as next_read_at
        from points p
    )
    insert into public.ami_meter_gaps (tenant_id, meter_id, feeder_id, prev_read_at, next_read_at)
    select h.tenant_id, h.meter_id, h.feeder_id, h.prev_read_at, h.next_read_at
      from holes h
     where h.next_read_at is not null
       and h.next_read_at - h.prev_read_at > make_interval(mins => coalesce((select f.interval_minutes from public.ami_fleets f where f.tenant_id = h.tenant_id), 15))
    on conflict do nothing
  $$;
comment on function ami_private.split_gaps(jsonb) is 'Splits the gaps of ami_meter_gaps that hold one of the given reads around them.';

-- The gaps of the reads already stored (each meter's consecutive reads more
-- than one interval apart), and the histogram's companions.
insert into public.ami_meter_gaps (tenant_id, meter_id, feeder_id, prev_read_at, next_read_at)
select s.tenant_id, s.meter_id, s.feeder_id, s.prev_read_at, s.read_at
  from (select r.tenant_id, r.meter_id, r.feeder_id, r.read_at,
               lag(r.read_at) over (partition by r.tenant_id, r.meter_id order by r.read_at) as prev_read_at
          from public.meter_reads_electric r) s
 where s.prev_read_at is not null
   and s.read_at - s.prev_read_at > make_interval(mins => coalesce((select f.interval_minutes from public.ami_fleets f where f.tenant_id = s.tenant_id), 15))
on conflict do nothing;

grant select on public.ami_meter_gaps to ami_kpi_reader;

--------------------------------------------------------------------------------
-- The reads trigger keeps the gaps.

create or replace function ami_private.reads_inserted() returns trigger
  language plpgsql
  as $fn$
  declare
    lowest integer;
    highest integer;
    reads integer;
    meters integer;
    moved_meters integer;
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
    -- the bounds let the planner probe them, not hash the whole fleet. The
    -- values before the update come back from the row the update wrote
    -- (before_*): a read that moves a meter's newest (or oldest) read past a
    -- hole of intervals opens a gap there.
    select min(i.meter_id), max(i.meter_id), count(*), count(distinct (i.tenant_id, i.meter_id)) into lowest, highest, reads, meters from inserted i;
    with moved as (
      update public.ami_meter_last_reads l
         set before_last_read_at = l.last_read_at,
             before_first_read_at = l.first_read_at,
             last_read_at = greatest(l.last_read_at, i.newest),
             first_read_at = least(l.first_read_at, i.oldest)
        from (select tenant_id, meter_id, max(read_at) as newest, min(read_at) as oldest from inserted group by tenant_id, meter_id) i
       where l.tenant_id = i.tenant_id and l.meter_id = i.meter_id
         and l.meter_id between lowest and highest
         and (l.last_read_at is null or l.last_read_at < i.newest or l.first_read_at is null or l.first_read_at > i.oldest)
      returning l.tenant_id, l.meter_id, l.feeder_id, l.before_last_read_at, l.last_read_at, l.before_first_read_at, l.first_read_at
    ), opened as (
      insert into public.ami_meter_gaps (tenant_id, meter_id, feeder_id, prev_read_at, next_read_at)
      select m.tenant_id, m.meter_id, m.feeder_id, g.prev_read_at, g.next_read_at
        from moved m
        cross join lateral (select coalesce((select f.interval_minutes from public.ami_fleets f where f.tenant_id = m.tenant_id), 15) as minutes) iv
        cross join lateral (
          select m.before_last_read_at as prev_read_at, m.last_read_at as next_read_at
           where m.before_last_read_at is not null and m.last_read_at - m.before_last_read_at > make_interval(mins => iv.minutes)
          union all
          select m.first_read_at, m.before_first_read_at
           where m.before_first_read_at is not null and m.before_first_read_at - m.first_read_at > make_interval(mins => iv.minutes)
        ) g
      on conflict do nothing
      returning 1
    )
    select count(*) into moved_meters from moved;
    -- The usual statement (a tick's batch: one read per meter, each the
    -- meter's newest) stops here. Otherwise some read lies before its
    -- meter's newest: a late or backfilled read, a catch-up of a past
    -- interval. Such a read fills part of a gap, which splits around it. The
    -- meters' rows are locked first, so the gaps a concurrent writer of the
    -- same meter opened are committed, and seen by the next statement.
    if moved_meters < meters or reads > meters then
      perform 1 from public.ami_meter_last_reads l
        join (select distinct tenant_id, meter_id from inserted) i on l.tenant_id = i.tenant_id and l.meter_id = i.meter_id
       order by l.tenant_id, l.meter_id
         for update of l;
      perform ami_private.split_gaps((
        select jsonb_agg(jsonb_build_object('tenant_id', i.tenant_id, 'meter_id', i.meter_id, 'read_at', i.read_at)) from inserted i));
    end if;
    return null;
  end
  $fn$;

--------------------------------------------------------------------------------
-- The figures of an interval: c1 (the gaps) for a past interval. Where it
-- does not apply (c2), each missing meter is one probe of the primary key
-- (a lateral LIMIT 1 is a probe whatever the statistics say: an interval
-- just written has none, and the plans chosen on "one row" cost seconds at a
-- million meters), carried with its feeder. No parallel workers or JIT for
-- these small reads.


create or replace function ami_kpi_private.interval_kpis(tenant_id text, read_at timestamptz, as_of timestamptz) returns ami_kpi.interval_kpi
  language plpgsql stable parallel unsafe
  -- Plans that do not depend on the statistics being fresh (an interval just
  -- written has none): index probes, no parallel workers to start, no JIT.
  set enable_seqscan = off
  set jit = off
  set max_parallel_workers_per_gather = 0
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
    missing_feeders integer[];
    hits integer[];
    hit_feeders integer[];
    found_feeders integer[] := '{}';
    use_probes boolean := false;
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
    elsif as_of is null and not retired and (tick_meters is null or tick_meters = fleet_meters) then
      -- c1. Every registered meter is expected: the meters without a read at
      -- read_at are those whose newest read is before it (the histogram),
      -- those in a gap around it, and those whose first read is after it.
      select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
        into stale
        from (
          select b.feeder_id,
                 sum(b.meters)::integer as not_current,
                 coalesce(sum(b.meters) filter (where b.bucket = 'staleOver15m'), 0)::integer as over_15m,
                 coalesce(sum(b.meters) filter (where b.bucket = 'staleOver1h'), 0)::integer as over_1h,
                 coalesce(sum(b.meters) filter (where b.bucket = 'staleOver4h'), 0)::integer as over_4h,
                 coalesce(sum(b.meters) filter (where b.bucket = 'staleOver24h'), 0)::integer as over_24h,
                 coalesce(sum(b.meters) filter (where b.bucket = 'neverReported'), 0)::integer as never
            from (
              select h.feeder_id, ami_kpi_private.stale_bucket(nullif(h.last_read_at, '-infinity'), interval_kpis.read_at) as bucket, h.meters::bigint as meters
                from public.ami_last_read_counts h
               where h.tenant_id = interval_kpis.tenant_id and h.last_read_at < interval_kpis.read_at
              union all
              select g.feeder_id, ami_kpi_private.stale_bucket(g.prev_read_at, interval_kpis.read_at), count(*)
                from public.ami_meter_gaps g
               where g.tenant_id = interval_kpis.tenant_id and g.next_read_at > interval_kpis.read_at and g.prev_read_at < interval_kpis.read_at
               group by 1, 2
              union all
              select l.feeder_id, 'neverReported', count(*)
                from public.ami_meter_last_reads l
               where l.tenant_id = interval_kpis.tenant_id and l.first_read_at > interval_kpis.read_at
               group by 1
            ) b
           group by b.feeder_id
        ) s;
      totals := null;
      -- They must add up to the interval's missing meters, feeder by
      -- feeder; they do unless reads were deleted by hand inside a meter's
      -- history (a delete recounts the rollup but opens no gap): then c2.
      use_probes := exists (
        select 1 from unnest(figures) f left join unnest(stale) s on s.feeder_id = f.feeder_id
         where greatest(f.expected - f.reporting, 0) <> coalesce(s.not_current, 0));
    else
      use_probes := true;
    end if;
    if use_probes then
      -- c2. Retired meters, a tick of another size, as of an instant, or
      -- reads deleted by hand: the expected meters without a read in the
      -- interval, on the
      -- feeders with fewer reads than expected meters: one probe of the
      -- primary key per meter (a lateral LIMIT 1 is a probe whatever the
      -- statistics say), with each meter's feeder carried along.
      execute $sql$
        select coalesce(array_agg(m.meter_id), '{}'), coalesce(array_agg(m.feeder_id), '{}')
          from public.ami_meters m
          left join lateral (
            select 1 as found from public.meter_reads_electric r
             where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = m.meter_id
               and ($4::timestamptz is null or coalesce(r.received_at, r.read_at) <= $4)
             limit 1
          ) p on true
         where m.tenant_id = $1
           and m.feeder_id = any($5::integer[])
           and (case when $3::integer is null then m.active else m.meter_id <= $3 end)
           and p.found is null
      $sql$ into missing, missing_feeders
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
          select coalesce(array_agg(u.meter_id), '{}'), coalesce(array_agg(u.feeder_id), '{}')
            from unnest($3::integer[], $5::integer[]) as u(meter_id, feeder_id)
            cross join lateral (
              select 1 from public.meter_reads_electric r
               where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = u.meter_id
                 and ($4::timestamptz is null or coalesce(r.received_at, r.read_at) <= $4)
               limit 1
            ) p
        $sql$ into hits, hit_feeders using tenant_id, walked, missing, as_of, missing_feeders;
        if cardinality(hits) > 0 then
          found_meters := found_meters || hits;
          found_feeders := found_feeders || hit_feeders;
          found_buckets := found_buckets || array_fill(ami_kpi_private.stale_bucket(walked, read_at), array[cardinality(hits)]);
          select coalesce(array_agg(r.meter_id), '{}'), coalesce(array_agg(r.feeder_id), '{}') into missing, missing_feeders
            from (select u.meter_id, u.feeder_id from unnest(missing, missing_feeders) as u(meter_id, feeder_id)
                  except
                  select h.meter_id, h.feeder_id from unnest(hits, hit_feeders) as h(meter_id, feeder_id)) r;
        end if;
      end loop;
      -- The rest: reported before the day (staleOver24h), or not at all as of the interval.
      execute $sql$
        select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
          from (
            select b.feeder_id,
                   count(*)::integer as not_current,
                   (count(*) filter (where b.bucket = 'staleOver15m'))::integer as over_15m,
                   (count(*) filter (where b.bucket = 'staleOver1h'))::integer as over_1h,
                   (count(*) filter (where b.bucket = 'staleOver4h'))::integer as over_4h,
                   (count(*) filter (where b.bucket = 'staleOver24h'))::integer as over_24h,
                   (count(*) filter (where b.bucket = 'neverReported'))::integer as never
              from (select f.meter_id, f.feeder_id, f.bucket from unnest($3::integer[], $6::integer[], $4::text[]) as f(meter_id, feeder_id, bucket)
                    union all
                    select u.meter_id, u.feeder_id, case when l.first_read_at <= $2 then 'staleOver24h' else 'neverReported' end
                      from unnest($5::integer[], $7::integer[]) as u(meter_id, feeder_id)
                      cross join lateral (
                        select x.first_read_at from public.ami_meter_last_reads x where x.tenant_id = $1 and x.meter_id = u.meter_id
                      ) l) b
             group by b.feeder_id
          ) s
      $sql$ into stale using tenant_id, read_at, found_meters, found_buckets, missing, found_feeders, missing_feeders;
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

-- The collection figures: small reads, no JIT or parallel workers either (the
-- as-of branch's estimate alone would start a JIT compile of 30 ms).
alter function ami_kpi.collection_kpis_at(text, timestamptz, timestamptz, timestamptz) set jit = off;
alter function ami_kpi.collection_kpis_at(text, timestamptz, timestamptz, timestamptz) set max_parallel_workers_per_gather = 0;
