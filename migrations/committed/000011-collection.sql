--! Previous: sha1:45720797531e797c3bcfc8a13be10ded25271b04
--! Hash: sha1:57f302193207ab007326882213a20388cbd7e9e2
--! Message: collection

-- A head-end that collects like a real one (SPEC section 13): when each read
-- arrived and how, the reads still in the meters' memory, last gasps and
-- restorations, power outages, and the rollup's collection figures.

--------------------------------------------------------------------------------
-- The fleet's collection profile, fixed once registered like its clock.

alter table public.ami_fleets add column if not exists collection text not null default 'ideal';
alter table public.ami_fleets drop constraint if exists ami_fleets_collection;
alter table public.ami_fleets add constraint ami_fleets_collection check (collection in ('ideal', 'typical'));
comment on column public.ami_fleets.collection is 'Collection profile: ideal (every read arrives with its tick) or typical (a few percent late over the next hours, a few meters per thousand unreachable for days, their reads backfilled). src/emulator/collection.ts.';

--------------------------------------------------------------------------------
-- Events: power outages, and whether a comms outage's reads come back.

alter table public.ami_events drop constraint if exists ami_events_type_check;
alter table public.ami_events add constraint ami_events_type_check check (type in ('theft', 'comms-outage', 'voltage-sag', 'power-outage'));
alter table public.ami_events add column if not exists backfill boolean not null default true;
comment on column public.ami_events.type is 'theft: kwh *= (1 - severity); comms-outage: a share severity of the feeder''s meters cannot send (their reads are withheld, sent when it ends unless backfill is false); voltage-sag: voltage falls into 90-114 V; power-outage: a share severity of the feeder''s meters lose power (last gasp, no reads, restoration, then the outage intervals with kwh 0 and the power-down bit).';
comment on column public.ami_events.backfill is 'comms-outage: true (the default) sends the withheld reads once it ends; false loses them for good (a failed meter memory).';

--------------------------------------------------------------------------------
-- Reads: when the head-end stored each one and how it came. Reads stored
-- before this migration have no received_at (they arrived with their tick).
-- A meter without power at the end of its interval reads 0 V.

alter table public.meter_reads_electric add column if not exists received_at timestamptz;
alter table public.meter_reads_electric add column if not exists delivery smallint not null default 0;
alter table public.meter_reads_electric drop constraint if exists meter_reads_electric_delivery;
alter table public.meter_reads_electric add constraint meter_reads_electric_delivery check (delivery in (0, 1, 2));
alter table public.meter_reads_electric drop constraint if exists meter_reads_electric_voltage_check;
alter table public.meter_reads_electric add constraint meter_reads_electric_voltage_check check (voltage > 0 or (voltage = 0 and status & 128 = 128));
comment on column public.meter_reads_electric.received_at is 'When the head-end stored the read (the service''s clock): with its tick, or later for a late or backfilled read. Null for reads stored before collection was recorded.';
comment on column public.meter_reads_electric.delivery is 'How the read came: 0 with its tick, 1 late (network latency), 2 backfilled from the meter''s memory after it was cut off (unreachable, comms outage, power outage).';
comment on column public.meter_reads_electric.voltage is 'Service voltage at the end of the interval, volts (120 V nominal); 0 when the meter had no power then (status bit 128).';

--------------------------------------------------------------------------------
-- Reads generated but not yet at the head-end: late ones, and those a meter
-- keeps in memory while it is cut off. The minute sweep (task ami_collect)
-- hands the due ones to ami_deliver jobs, which write them and delete them
-- here in one statement: a read is in exactly one of the two tables.

create table if not exists public.ami_pending_reads (
  tenant_id text not null,
  read_at timestamptz not null,
  meter_id integer not null,
  feeder_id integer not null,
  delivery smallint not null check (delivery in (1, 2)),
  arrive_at timestamptz,
  held_by bigint references public.ami_events (id) on delete cascade,
  drain_ms integer not null default 0 check (drain_ms >= 0),
  primary key (tenant_id, read_at, meter_id),
  constraint ami_pending_reads_when check ((arrive_at is null) <> (held_by is null))
);
create index if not exists ami_pending_reads_due on public.ami_pending_reads (arrive_at) where arrive_at is not null;
create index if not exists ami_pending_reads_held on public.ami_pending_reads (held_by) where held_by is not null;
comment on table public.ami_pending_reads is
  'Reads generated but not yet received by the head-end: late ones (arrive_at), and those withheld by an event until it ends (held_by: arrival at the event''s end + drain_ms). Delivered by task ami_deliver, which deletes them here as it writes them.';
comment on column public.ami_pending_reads.tenant_id is 'The tenant.';
comment on column public.ami_pending_reads.read_at is 'The interval of the read.';
comment on column public.ami_pending_reads.meter_id is 'The meter.';
comment on column public.ami_pending_reads.feeder_id is 'The meter''s feeder.';
comment on column public.ami_pending_reads.delivery is 'How it will arrive: 1 late, 2 backfilled (meter_reads_electric.delivery).';
comment on column public.ami_pending_reads.arrive_at is 'When it reaches the head-end (null while an event holds it).';
comment on column public.ami_pending_reads.held_by is 'The event withholding it (a comms outage with backfill, a power outage): it arrives drain_ms after the event ends.';
comment on column public.ami_pending_reads.drain_ms is 'Where the read falls in the drain after its event ends, milliseconds.';

--------------------------------------------------------------------------------
-- Meter events: last gasps and restorations of a power outage.

create table if not exists public.ami_meter_events (
  tenant_id text not null,
  meter_id integer not null,
  feeder_id integer not null,
  type text not null check (type in ('last-gasp', 'power-restored')),
  occurred_at timestamptz not null,
  received_at timestamptz not null,
  event_id bigint references public.ami_events (id) on delete set null,
  primary key (tenant_id, meter_id, type, occurred_at)
);
create index if not exists ami_meter_events_recent on public.ami_meter_events (tenant_id, occurred_at);
create index if not exists ami_meter_events_outage on public.ami_meter_events (event_id, type);
comment on table public.ami_meter_events is
  'Events meters send on their own: a last gasp when they lose power, power-restored when it comes back. Written within a minute of the instant they occur.';
comment on column public.ami_meter_events.tenant_id is 'The tenant.';
comment on column public.ami_meter_events.meter_id is 'The meter.';
comment on column public.ami_meter_events.feeder_id is 'The meter''s feeder.';
comment on column public.ami_meter_events.type is 'last-gasp (power lost) or power-restored.';
comment on column public.ami_meter_events.occurred_at is 'When the meter sent it.';
comment on column public.ami_meter_events.received_at is 'When the head-end stored it.';
comment on column public.ami_meter_events.event_id is 'The power outage (ami_events) behind it.';

--------------------------------------------------------------------------------
-- The rollup: how the reads came, when they came (read success within 4 h and
-- 24 h), and voltage over the reads taken with power only.

alter table public.ami_interval_feeders add column if not exists on_time integer not null default 0;
alter table public.ami_interval_feeders add column if not exists late integer not null default 0;
alter table public.ami_interval_feeders add column if not exists backfilled integer not null default 0;
alter table public.ami_interval_feeders add column if not exists received_4h integer not null default 0;
alter table public.ami_interval_feeders add column if not exists received_24h integer not null default 0;
alter table public.ami_interval_feeders add column if not exists power_down integer not null default 0;
alter table public.ami_interval_feeders add column if not exists voltage_reads integer not null default 0;
comment on column public.ami_interval_feeders.on_time is 'Reads that arrived with their tick (delivery 0): the reporting at first delivery.';
comment on column public.ami_interval_feeders.late is 'Reads that arrived later (delivery 1).';
comment on column public.ami_interval_feeders.backfilled is 'Reads backfilled from the meters'' memory (delivery 2).';
comment on column public.ami_interval_feeders.received_4h is 'Reads received within 4 hours of the end of the interval (read success at 4 h).';
comment on column public.ami_interval_feeders.received_24h is 'Reads received within 24 hours of the end of the interval.';
comment on column public.ami_interval_feeders.power_down is 'Reads with the power-down bit (128): the meter lost power during the interval.';
comment on column public.ami_interval_feeders.voltage_reads is 'Reads with a voltage (the meter had power at the end of the interval): the denominator of the mean voltage.';
update public.ami_interval_feeders
   set on_time = reporting_meters, received_4h = reporting_meters, received_24h = reporting_meters, voltage_reads = reporting_meters
 where on_time = 0 and late = 0 and backfilled = 0 and reporting_meters > 0;

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
             coalesce(sum(r.voltage::double precision) filter (where r.voltage > 0), 0) as voltage_sum,
             min(r.voltage) filter (where r.voltage > 0) as voltage_min, max(r.voltage) filter (where r.voltage > 0) as voltage_max,
             (count(*) filter (where r.voltage > 0 and r.voltage < 114))::integer as under_114, (count(*) filter (where r.voltage > 126))::integer as over_126,
             (count(*) filter (where r.delivery = 0))::integer as on_time, (count(*) filter (where r.delivery = 1))::integer as late,
             (count(*) filter (where r.delivery = 2))::integer as backfilled,
             (count(*) filter (where r.meter_id is not null and (r.received_at is null or r.received_at <= r.read_at + interval '4 hours')))::integer as received_4h,
             (count(*) filter (where r.meter_id is not null and (r.received_at is null or r.received_at <= r.read_at + interval '24 hours')))::integer as received_24h,
             (count(*) filter (where r.status & 128 = 128))::integer as power_down,
             (count(*) filter (where r.voltage > 0))::integer as voltage_reads
        from g
        left join public.meter_reads_electric r on r.tenant_id = g.tenant_id and r.read_at = g.read_at and r.feeder_id = g.feeder_id
       group by g.tenant_id, g.read_at, g.feeder_id
    )
    update public.ami_interval_feeders x
       set reporting_meters = c.reporting, kwh = c.kwh, kwh_received = c.kwh_received, baseline_kwh = c.baseline, voltage_sum = c.voltage_sum,
           voltage_min = c.voltage_min, voltage_max = c.voltage_max, under_114 = c.under_114, over_126 = c.over_126,
           on_time = c.on_time, late = c.late, backfilled = c.backfilled, received_4h = c.received_4h, received_24h = c.received_24h,
           power_down = c.power_down, voltage_reads = c.voltage_reads
      from counted c
     where x.tenant_id = c.tenant_id and x.read_at = c.read_at and x.feeder_id = c.feeder_id;
    delete from public.ami_interval_feeders x
     using jsonb_to_recordset(groups) as g(tenant_id text, read_at timestamptz, feeder_id integer)
     where x.tenant_id = g.tenant_id and x.read_at = g.read_at and x.feeder_id = g.feeder_id
       and x.reporting_meters = 0 and x.expected_meters is null;
  end
  $fn$;

--------------------------------------------------------------------------------
-- The KPIs of an interval: the mean voltage over the reads taken with power.

do $$
begin
  if not exists (select 1 from pg_attribute where attrelid = 'ami_kpi_private.feeder_reads'::regclass and attname = 'voltage_reads') then
    alter type ami_kpi_private.feeder_reads add attribute voltage_reads integer;
  end if;
end
$$;

-- as_of (null: now): the figures as the data stood at that instant, counting
-- only the reads the head-end had received by then (by received_at; a read
-- stored before migration 000011 has none and counts as received with its
-- tick). It takes the raw reads (step 1) and the walk back (step 2c): an
-- analyst's replay, not the dashboard's path. Its one approximation: a meter
-- with no read received by as_of in the day before read_at counts as
-- staleOver24h when its first read is before read_at, whenever that read came.
-- The two-argument form (the views' and interval_kpis_at's) is now as_of null.
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
               f.feeder_id, coalesce(x.expected_meters, e.meters, 0), coalesce(x.reporting_meters, 0),
               x.kwh, x.baseline_kwh, x.voltage_sum, x.voltage_min::numeric::double precision, x.voltage_max::numeric::double precision,
               coalesce(x.under_114, 0), coalesce(x.over_126, 0), x.kwh_received, coalesce(x.voltage_reads, 0)
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
    elsif as_of is null and (read_at is null or read_at >= coalesce(newest, '-infinity')) then
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
           and not exists (select 1 from public.meter_reads_electric r where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = m.meter_id
                             and ($4::timestamptz is null or coalesce(r.received_at, r.read_at) <= $4))
      $sql$ into missing using tenant_id, read_at, tick_meters, as_of;
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

create or replace function ami_kpi_private.interval_kpis(tenant_id text, read_at timestamptz) returns ami_kpi.interval_kpi
  language sql stable parallel unsafe
  as $$ select ami_kpi_private.interval_kpis($1, $2, null::timestamptz) $$;

-- The public as-of form, with the same check of read_at as interval_kpis_at.
create or replace function ami_kpi.interval_kpis_as_of(tenant_id text, read_at timestamptz, as_of timestamptz) returns ami_kpi.interval_kpi
  language plpgsql stable parallel unsafe
  as $fn$
  declare
    problem text;
  begin
    if coalesce(current_setting('ami.now', true), '') <> '' then
      problem := ami_kpi_private.read_at_problem(read_at,
        coalesce((select f.interval_minutes from public.ami_fleets f where f.tenant_id = interval_kpis_as_of.tenant_id), 15),
        public.ami_now(), coalesce(nullif(current_setting('ami.retention_days', true), '')::integer, 0));
      if problem is not null then
        raise exception 'readAt: %', problem using errcode = '22023';
      end if;
    end if;
    if as_of is null or as_of < read_at then
      raise exception 'asOf must be at or after readAt: nothing of an interval arrives before it ends' using errcode = '22023';
    end if;
    return ami_kpi_private.interval_kpis(tenant_id, read_at, as_of);
  end
  $fn$;
comment on function ami_kpi.interval_kpis_as_of(text, timestamptz, timestamptz) is
  'The figures of a tenant''s interval read_at as the data stood at as_of: only the reads received by then (received_at). A replay of what the dashboard showed at that instant.';
grant execute on function ami_kpi.interval_kpis_as_of(text, timestamptz, timestamptz) to ami_kpi_reader;


--------------------------------------------------------------------------------
-- Collection and outage figures of an interval (quickcheck `collection` and
-- `outage`, GraphQL collectionKpisAt): from the rollup and ami_meter_events.

drop function if exists ami_kpi.collection_kpis_at(text, timestamptz, timestamptz);
drop function if exists ami_kpi.collection_kpis_at(text, timestamptz, timestamptz, timestamptz);
drop type if exists ami_kpi.collection_kpi;
drop type if exists ami_kpi.feeder_power;

create type ami_kpi.feeder_power as (
  feeder_id integer,
  meters_without_power integer
);
comment on type ami_kpi.feeder_power is 'Meters of one feeder without power at an instant.';
comment on column ami_kpi.feeder_power.feeder_id is 'The feeder.';
comment on column ami_kpi.feeder_power.meters_without_power is 'Meters whose newest meter event up to the instant is a last gasp.';

create type ami_kpi.collection_kpi as (
  tenant_id text,
  read_at timestamptz,
  profile text,
  on_time_reads integer,
  late_reads integer,
  backfilled_reads integer,
  read_success_4h_pct double precision,
  read_success_24h_pct double precision,
  outage_at timestamptz,
  meters_without_power integer,
  last_gasps integer,
  restorations integer,
  feeders ami_kpi.feeder_power[]
);
comment on type ami_kpi.collection_kpi is 'How the reads of an interval reached the head-end, the read success of the intervals 4 h and 24 h before it, and the power outages as the meters reported them.';
comment on column ami_kpi.collection_kpi.tenant_id is 'The tenant.';
comment on column ami_kpi.collection_kpi.read_at is 'The interval.';
comment on column ami_kpi.collection_kpi.profile is 'The tenant''s collection profile: ideal or typical.';
comment on column ami_kpi.collection_kpi.on_time_reads is 'Reads of the interval that arrived with their tick.';
comment on column ami_kpi.collection_kpi.late_reads is 'Reads of the interval that arrived later.';
comment on column ami_kpi.collection_kpi.backfilled_reads is 'Reads of the interval backfilled from the meters'' memory.';
comment on column ami_kpi.collection_kpi.read_success_4h_pct is 'Of the reads expected in the interval 4 h before this one, the share received within 4 h of its end, percent; null without that interval.';
comment on column ami_kpi.collection_kpi.read_success_24h_pct is 'Of the reads expected in the interval 24 h before this one, the share received within 24 h, percent; null without that interval.';
comment on column ami_kpi.collection_kpi.outage_at is 'The instant the outage figures are taken at.';
comment on column ami_kpi.collection_kpi.meters_without_power is 'Meters whose newest meter event up to outage_at is a last gasp.';
comment on column ami_kpi.collection_kpi.last_gasps is 'Last gasps that occurred in the 24 hours up to outage_at.';
comment on column ami_kpi.collection_kpi.restorations is 'Restorations (power-restored) that occurred in the 24 hours up to outage_at.';
comment on column ami_kpi.collection_kpi.feeders is 'Meters without power at outage_at, per feeder that has any.';

-- as_of (null: now): only what the head-end had received by then. The read
-- success figures need no as_of: they count what had arrived by read_at.
create function ami_kpi.collection_kpis_at(tenant_id text, read_at timestamptz, outage_at timestamptz, as_of timestamptz default null)
  returns ami_kpi.collection_kpi
  language sql stable parallel safe
  as $$
    with here as (
      select coalesce(sum(x.on_time), 0)::integer as on_time, coalesce(sum(x.late), 0)::integer as late, coalesce(sum(x.backfilled), 0)::integer as backfilled
        from public.ami_interval_feeders x
       where $4 is null and x.tenant_id = $1 and x.read_at = $2
      union all
      select (count(*) filter (where r.delivery = 0))::integer, (count(*) filter (where r.delivery = 1))::integer, (count(*) filter (where r.delivery = 2))::integer
        from public.meter_reads_electric r
       where $4 is not null and r.tenant_id = $1 and r.read_at = $2 and coalesce(r.received_at, r.read_at) <= $4
    ),
    earlier as (
      select ami_kpi_private.pct(sum(x.received_4h) filter (where x.read_at = $2 - interval '4 hours'),
                                 sum(x.expected_meters) filter (where x.read_at = $2 - interval '4 hours')) as success_4h,
             ami_kpi_private.pct(sum(x.received_24h) filter (where x.read_at = $2 - interval '24 hours'),
                                 sum(x.expected_meters) filter (where x.read_at = $2 - interval '24 hours')) as success_24h
        from public.ami_interval_feeders x
       where x.tenant_id = $1 and x.read_at in ($2 - interval '4 hours', $2 - interval '24 hours')
    ),
    newest as (
      select distinct on (e.meter_id) e.meter_id, e.feeder_id, e.type
        from public.ami_meter_events e
       where e.tenant_id = $1 and e.occurred_at <= $3 and ($4 is null or e.received_at <= $4)
       order by e.meter_id, e.occurred_at desc
    ),
    dark as (
      select n.feeder_id, count(*)::integer as meters from newest n where n.type = 'last-gasp' group by n.feeder_id
    ),
    recent as (
      select (count(*) filter (where e.type = 'last-gasp'))::integer as gasps, (count(*) filter (where e.type = 'power-restored'))::integer as restored
        from public.ami_meter_events e
       where e.tenant_id = $1 and e.occurred_at <= $3 and e.occurred_at > $3 - interval '24 hours' and ($4 is null or e.received_at <= $4)
    )
    select $1, $2, coalesce((select f.collection from public.ami_fleets f where f.tenant_id = $1), 'ideal'),
           here.on_time, here.late, here.backfilled, earlier.success_4h, earlier.success_24h,
           $3, coalesce((select sum(d.meters) from dark d), 0)::integer, recent.gasps, recent.restored,
           coalesce((select array_agg(row(d.feeder_id, d.meters)::ami_kpi.feeder_power order by d.feeder_id) from dark d), '{}')
      from (select sum(h.on_time)::integer as on_time, sum(h.late)::integer as late, sum(h.backfilled)::integer as backfilled from here h) here, earlier, recent
  $$;
comment on function ami_kpi.collection_kpis_at(text, timestamptz, timestamptz, timestamptz) is
  'Collection figures of a tenant''s interval read_at (on time, late, backfilled; read success of the intervals 4 h and 24 h before), and its power outages as the meters reported them up to outage_at; with as_of, only what the head-end had received by then.';

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
         ami_kpi_private.round_to(sum(x.voltage_sum) / nullif(sum(x.voltage_reads), 0), 2) as mean_voltage,
         min(x.voltage_min)::numeric::double precision as min_voltage,
         max(x.voltage_max)::numeric::double precision as max_voltage,
         sum(x.under_114)::integer as under_114,
         sum(x.over_126)::integer as over_126,
         ami_kpi_private.round_to(sum(x.kwh_received), 4) as received_kwh,
         t.temperature_c::numeric::double precision as temperature_c,
         sum(x.on_time)::integer as on_time_reads,
         ami_kpi_private.pct(sum(x.on_time),
           coalesce(t.meter_count, (select count(*)::integer from public.ami_meters m where m.tenant_id = x.tenant_id and m.active))) as first_delivery_rate_pct,
         sum(x.late)::integer as late_reads,
         sum(x.backfilled)::integer as backfilled_reads,
         sum(x.power_down)::integer as power_down_reads
    from public.ami_interval_feeders x
    left join public.ami_ticks t on t.tenant_id = x.tenant_id and t.read_at = x.read_at
   group by x.tenant_id, x.read_at, t.meter_count, t.temperature_c
  having sum(x.reporting_meters) > 0;
comment on column ami_kpi.interval_history.on_time_reads is 'Reads that arrived with the interval''s tick.';
comment on column ami_kpi.interval_history.first_delivery_rate_pct is 'Reporting rate at first delivery (the tick): 100 * on_time_reads / fleet_meters, 2 decimals; reporting_rate_pct is the rate now, late and backfilled reads included.';
comment on column ami_kpi.interval_history.late_reads is 'Reads that arrived after the tick.';
comment on column ami_kpi.interval_history.backfilled_reads is 'Reads backfilled from the meters'' memory.';
comment on column ami_kpi.interval_history.power_down_reads is 'Reads with the power-down bit.';

grant select on public.ami_pending_reads, public.ami_meter_events to ami_kpi_reader;
grant execute on function ami_kpi.collection_kpis_at(text, timestamptz, timestamptz, timestamptz) to ami_kpi_reader;
