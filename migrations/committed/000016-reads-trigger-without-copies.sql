--! Previous: sha1:4b6e7f215ca3c1acb02c2067b3a0a35b35f98f53
--! Hash: sha1:7de942a3c6285237304924f4bd14c5a3b35b8fda
--! Message: reads trigger without copies

-- The reads trigger, two fixes found by the benchmark's bulk loads:
--   - a read behind its meter's newest splits the gaps it falls in through
--     one hashed join of the gaps hit with the transition table itself. It
--     went through a jsonb copy of the statement's reads (a 1,000,000-read
--     statement exceeded jsonb's 256 MB limit and failed) and scanned every
--     read of the statement for each gap (a 5,000-read delivery of a backfill
--     took 2.9 s; about 0.1 s now);
--   - a meter's first reads written several in one statement (a history
--     load, a catch-up of several intervals) open one gap over them, which the
--     split cuts around each read: a hole inside the statement is a gap like
--     any other, where it used to be seen only by the KPIs' probe fallback.
-- And the quarter-hour CHECK of every read inlined: extract(epoch from
-- timestamptz) is only STABLE, so the IMMUTABLE SQL function was called as a
-- function once per read inserted. date_bin on timestamptz is IMMUTABLE and
-- answers the same (every UTC offset of a real time zone being a whole number
-- of quarter hours does not matter: both test the UTC instant).

create or replace function ami_private.reads_inserted() returns trigger
  language plpgsql
  as $fn$
  declare
    lowest integer;
    highest integer;
    reads integer;
    meters integer;
    moved_meters integer;
    minutes integer;
    deltas jsonb;
  begin
    -- The interval length of the statement's tenant (a writer writes one tenant at a time).
    select coalesce(max(f.interval_minutes), 15) into minutes
      from public.ami_fleets f where f.tenant_id = (select i.tenant_id from inserted i limit 1);
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
        from (select tenant_id, meter_id, max(read_at) as newest, min(read_at) as oldest, count(*) as reads from inserted group by tenant_id, meter_id) i
       where l.tenant_id = i.tenant_id and l.meter_id = i.meter_id
         and l.meter_id between lowest and highest
         and (l.last_read_at is null or l.last_read_at < i.newest or l.first_read_at is null or l.first_read_at > i.oldest)
      returning l.tenant_id, l.meter_id, l.feeder_id, l.before_last_read_at, l.last_read_at, l.before_first_read_at, l.first_read_at, i.reads
    ), opened as (
      insert into public.ami_meter_gaps (tenant_id, meter_id, feeder_id, prev_read_at, next_read_at)
      select m.tenant_id, m.meter_id, m.feeder_id, g.prev_read_at, g.next_read_at
        from moved m
        cross join lateral (
          select m.before_last_read_at as prev_read_at, m.last_read_at as next_read_at
           where m.before_last_read_at is not null and m.last_read_at - m.before_last_read_at > make_interval(mins => minutes)
          union all
          select m.first_read_at, m.before_first_read_at
           where m.before_first_read_at is not null and m.before_first_read_at - m.first_read_at > make_interval(mins => minutes)
          union all
          -- A meter's first reads, several in one statement (history, catch-up),
          -- fewer than the intervals they span: one gap over them all, which the
          -- split below cuts around each read.
          select m.first_read_at, m.last_read_at
           where m.before_last_read_at is null and m.last_read_at - m.first_read_at > make_interval(mins => minutes)
             and m.reads < extract(epoch from m.last_read_at - m.first_read_at) / (60 * minutes) + 1
        ) g
      on conflict do nothing
      returning 1
    )
    select count(*),
           -- The histogram of newest reads moves with them: one less at the
           -- old instant, one more at the new, per feeder (from the row the
           -- update wrote, so concurrent writers of a meter count once each).
           (select jsonb_agg(jsonb_build_object('tenant_id', d.tenant_id, 'feeder_id', d.feeder_id, 'last_read_at', d.last_read_at, 'meters', d.meters))
              from (select m.tenant_id, m.feeder_id, m.last_read_at, count(*) as meters
                      from moved m where m.last_read_at is distinct from m.before_last_read_at group by 1, 2, 3
                    union all
                    select m.tenant_id, m.feeder_id, coalesce(m.before_last_read_at, '-infinity'), -count(*)
                      from moved m where m.last_read_at is distinct from m.before_last_read_at group by 1, 2, 3) d)
      into moved_meters, deltas
      from moved;
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
      -- The gaps the statement's reads fall in, split around them: the
      -- points of each gap hit (its two ends and the reads inside it) from
      -- one hashed join of the gaps hit with the statement's reads (the
      -- transition table itself: no copy of it, whatever its size).
      with r as (
        select distinct i.tenant_id, i.meter_id, i.read_at from inserted i
      ), hit as (
        delete from public.ami_meter_gaps g
         where (g.tenant_id, g.meter_id, g.prev_read_at) in (
                 select g2.tenant_id, g2.meter_id, g2.prev_read_at
                   from r join public.ami_meter_gaps g2
                     on g2.tenant_id = r.tenant_id and g2.meter_id = r.meter_id and g2.prev_read_at < r.read_at and r.read_at < g2.next_read_at)
        returning g.tenant_id, g.meter_id, g.feeder_id, g.prev_read_at, g.next_read_at
      ), points as (
        select h.tenant_id, h.meter_id, h.feeder_id, h.prev_read_at as gap, h.prev_read_at as at from hit h
        union
        select h.tenant_id, h.meter_id, h.feeder_id, h.prev_read_at, h.next_read_at from hit h
        union
        select h.tenant_id, h.meter_id, h.feeder_id, h.prev_read_at, r.read_at
          from hit h
          join r on r.tenant_id = h.tenant_id and r.meter_id = h.meter_id and r.read_at > h.prev_read_at and r.read_at < h.next_read_at
      ), holes as (
        select p.tenant_id, p.meter_id, p.feeder_id, p.at as prev_read_at,
               lead(p.at) over (partition by p.tenant_id, p.meter_id, p.gap order by p.at) as next_read_at
          from points p
      )
      insert into public.ami_meter_gaps (tenant_id, meter_id, feeder_id, prev_read_at, next_read_at)
      select h.tenant_id, h.meter_id, h.feeder_id, h.prev_read_at, h.next_read_at
        from holes h
       where h.next_read_at is not null and h.next_read_at - h.prev_read_at > make_interval(mins => minutes)
      on conflict do nothing;
    end if;
    -- Last, the rows every batch of an interval shares (the rollup of the
    -- interval's feeders, the histogram's counts): their locks are held
    -- from here to the commit only, so concurrent batches wait for each
    -- other's tail, not for each other's writes.
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
    perform ami_private.shift_last_read_counts(deltas);
    return null;
  end
  $fn$;

drop function if exists ami_private.split_gaps(jsonb);

create or replace function public.ami_is_quarter_hour(ts timestamptz) returns boolean
  language sql
  immutable
  parallel safe
  as $$ select ts = date_bin('15 minutes'::interval, ts, '2000-01-01 00:00:00+00'::timestamptz) $$;
