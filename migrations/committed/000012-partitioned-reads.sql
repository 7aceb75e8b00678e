--! Previous: sha1:57f302193207ab007326882213a20388cbd7e9e2
--! Hash: sha1:8cc1e85614476265f2547347fdd28c232be48a47
--! Message: partitioned reads

-- Scale (SPEC section 14): the reads partitioned by day, with a compact row.
--
-- meter_reads_electric becomes a declarative range-partitioned table on
-- read_at, one partition per UTC day (meter_reads_electric_pYYYYMMDD) and a
-- default partition that catches a read of a day without one (never lost; the
-- maintenance moves it into its day's partition once that is made). Retention
-- drops whole days. The primary key and INSERT ... ON CONFLICT DO NOTHING keep
-- their meaning: read_at, the partition key, is in the key.
--
-- Column order: 8-byte columns first, then 4-byte, then 2-byte, then the
-- tenant's text, so no byte is lost to alignment padding (80 bytes of tuple
-- per read instead of 96; docs/scaling.md has the measured figures).

--------------------------------------------------------------------------------
-- Partition management. SQL owns it; the worker's maintenance (task ami_prune)
-- and the start of the service call these.

create or replace function ami_private.read_partition_name(day date) returns text
  language sql immutable
  as $$ select 'meter_reads_electric_p' || to_char(day, 'YYYYMMDD') $$;
comment on function ami_private.read_partition_name(date) is 'The name of the partition of meter_reads_electric holding the reads of one UTC day.';

-- The UTC day of an instant.
create or replace function ami_private.utc_day(at timestamptz) returns date
  language sql immutable
  as $$ select (at at time zone 'UTC')::date $$;

create or replace function ami_private.ensure_read_partitions(from_day date, to_day date) returns integer
  language plpgsql
  as $fn$
  declare
    day date;
    name text;
    lower_bound timestamptz;
    upper_bound timestamptz;
    made integer := 0;
  begin
    if not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname = 'public' and c.relname = 'meter_reads_electric' and c.relkind = 'p') then
      return 0;
    end if;
    for day in select generate_series(from_day, to_day, interval '1 day')::date loop
      name := ami_private.read_partition_name(day);
      continue when to_regclass('public.' || quote_ident(name)) is not null;
      lower_bound := day::timestamp at time zone 'UTC';
      upper_bound := (day + 1)::timestamp at time zone 'UTC';
      if exists (select 1 from public.meter_reads_electric_default d where d.read_at >= lower_bound and d.read_at < upper_bound) then
        -- The default partition caught reads of this day: they move into the
        -- new partition in this transaction (a partition cannot be attached
        -- while the default holds rows of its range). Rows move between
        -- partitions without passing through the parent, so the rollup,
        -- which counts them already, does not count them again.
        execute format('create table public.%I (like public.meter_reads_electric including defaults including constraints)', name);
        execute format(
          'with moved as (delete from public.meter_reads_electric_default where read_at >= %L and read_at < %L returning *)
           insert into public.%I select * from moved', lower_bound, upper_bound, name);
        execute format('alter table public.meter_reads_electric attach partition public.%I for values from (%L) to (%L)', name, lower_bound, upper_bound);
      else
        execute format('create table public.%I partition of public.meter_reads_electric for values from (%L) to (%L)', name, lower_bound, upper_bound);
      end if;
      made := made + 1;
    end loop;
    return made;
  end
  $fn$;
comment on function ami_private.ensure_read_partitions(date, date) is
  'Creates the daily partitions of meter_reads_electric from from_day to to_day (UTC) that do not exist, moving in any reads of those days the default partition caught. Returns how many it made.';

-- What the maintenance runs: the partitions of the days around now, and of
-- any day the default partition caught reads of (a catch-up or a past publish
-- of a day without a partition), which moves those reads in.
create or replace function ami_private.maintain_read_partitions(now timestamptz, days_ahead integer) returns integer
  language plpgsql
  as $fn$
  declare
    made integer;
    caught date;
  begin
    made := ami_private.ensure_read_partitions(ami_private.utc_day(now) - 1, ami_private.utc_day(now) + days_ahead);
    for caught in select distinct ami_private.utc_day(d.read_at) from public.meter_reads_electric_default d loop
      made := made + ami_private.ensure_read_partitions(caught, caught);
    end loop;
    return made;
  end
  $fn$;
comment on function ami_private.maintain_read_partitions(timestamptz, integer) is
  'Makes the daily partitions of meter_reads_electric from the day before `now` to days_ahead days after it, and those of the days the default partition caught reads of (moving them in). Returns how many it made.';

-- The day partitions whose whole day is before `before` are dropped, with
-- their rollup rows in the same transaction: no reader ever sees the rollup
-- count reads that are gone. Reads older than `before` in the default
-- partition are deleted through the parent (the triggers recount their
-- groups). The partition of the day `before` falls in is kept whole.
create or replace function ami_private.drop_read_partitions(before timestamptz)
  returns table (partition_name text, day date, reads bigint)
  language plpgsql
  as $fn$
  declare
    part record;
    part_day date;
  begin
    for part in
      select c.relname
        from pg_inherits i
        join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'public.meter_reads_electric'::regclass
         and c.relname ~ '^meter_reads_electric_p[0-9]{8}$'
       order by c.relname
    loop
      part_day := to_date(substring(part.relname from '[0-9]{8}$'), 'YYYYMMDD');
      exit when (part_day + 1)::timestamp at time zone 'UTC' > before;
      partition_name := part.relname;
      day := part_day;
      -- The rollup counts the partition's reads exactly: no scan of them.
      with gone as (
        delete from public.ami_interval_feeders x
         where x.read_at >= part_day::timestamp at time zone 'UTC' and x.read_at < (part_day + 1)::timestamp at time zone 'UTC'
        returning x.reporting_meters
      )
      select coalesce(sum(gone.reporting_meters), 0) into reads from gone;
      execute format('drop table public.%I', part.relname);
      return next;
    end loop;
    -- Only the default partition can hold reads of days before the kept ones.
    delete from public.meter_reads_electric r where r.read_at < ami_private.utc_day(before)::timestamp at time zone 'UTC';
    get diagnostics reads = row_count;
    if reads > 0 then
      partition_name := 'meter_reads_electric_default';
      day := null;
      return next;
    end if;
  end
  $fn$;
comment on function ami_private.drop_read_partitions(timestamptz) is
  'Retention: drops the daily partitions of meter_reads_electric whose whole UTC day is before `before`, deleting their rollup rows in the same transaction, and deletes older reads the default partition holds. Returns each partition dropped with its read count.';

--------------------------------------------------------------------------------
-- The partitioned table, from the plain one: every stored read kept.

do $migrate$
begin
  if exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relname = 'meter_reads_electric' and c.relkind = 'p') then
    return;
  end if;

  alter table public.meter_reads_electric rename to meter_reads_electric_unpartitioned;
  alter table public.meter_reads_electric_unpartitioned rename constraint meter_reads_electric_pkey to meter_reads_electric_unpartitioned_pkey;

  create table public.meter_reads_electric (
    read_at timestamptz not null,
    received_at timestamptz,
    meter_id integer not null,
    feeder_id integer not null,
    kwh real not null,
    voltage real not null,
    baseline_kwh real not null,
    kwh_received real not null default 0,
    status smallint not null default 0,
    delivery smallint not null default 0,
    tenant_id text not null,
    constraint meter_reads_electric_pkey primary key (tenant_id, read_at, meter_id),
    constraint meter_reads_electric_read_at_aligned check (public.ami_is_quarter_hour(read_at)),
    constraint meter_reads_electric_kwh_check check (kwh >= 0),
    constraint meter_reads_electric_baseline_kwh_check check (baseline_kwh >= 0),
    constraint meter_reads_electric_kwh_received check (kwh_received >= 0),
    constraint meter_reads_electric_status check (status >= 0 and status <= 255),
    constraint meter_reads_electric_delivery check (delivery in (0, 1, 2)),
    constraint meter_reads_electric_voltage_check check (voltage > 0 or (voltage = 0 and status & 128 = 128))
  ) partition by range (read_at);
  create table public.meter_reads_electric_default partition of public.meter_reads_electric default;

  -- A partition for every day with reads, and for the days around now.
  perform ami_private.ensure_read_partitions(
    least(coalesce((select ami_private.utc_day(min(read_at)) from public.meter_reads_electric_unpartitioned), current_date), current_date - 1),
    greatest(coalesce((select ami_private.utc_day(max(read_at)) from public.meter_reads_electric_unpartitioned), current_date), current_date + 2));
  -- Before the triggers exist: the rollup already counts these reads.
  insert into public.meter_reads_electric (read_at, received_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery, tenant_id)
  select read_at, received_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery, tenant_id
    from public.meter_reads_electric_unpartitioned;

  -- The view that names the table, bound to the new one.
  create or replace view ami_kpi.tenants as
    select f.tenant_id, f.meter_count, f.feeder_count, coalesce(a.interval_minutes, 15) as interval_minutes,
           coalesce(a.enabled, false) as auto_enabled, ami_kpi_private.latest_interval(f.tenant_id) as latest_interval,
           (select min(r.read_at) from public.meter_reads_electric r where r.tenant_id = f.tenant_id) as first_interval,
           f.time_zone, f.solar_share::numeric::double precision as solar_share
      from public.ami_fleets f
      left join public.ami_auto_config a on a.tenant_id = f.tenant_id;
  drop table public.meter_reads_electric_unpartitioned;
end
$migrate$;

create or replace trigger ami_reads_inserted after insert on public.meter_reads_electric
  referencing new table as inserted for each statement execute function ami_private.reads_inserted();
create or replace trigger ami_reads_deleted after delete on public.meter_reads_electric
  referencing old table as old_reads for each statement execute function ami_private.reads_deleted();
create or replace trigger ami_reads_updated after update on public.meter_reads_electric
  referencing old table as old_reads new table as new_reads for each statement execute function ami_private.reads_updated();

grant select on public.meter_reads_electric to ami_kpi_reader;

comment on table public.meter_reads_electric is
  'Interval reads, one per (tenant, meter, read_at). Partitioned by read_at, one partition per UTC day (meter_reads_electric_pYYYYMMDD) made ahead by the worker''s maintenance, and a default partition that catches a read of a day without one until the maintenance moves it; retention drops whole days. Statement triggers keep the KPI rollup (ami_interval_feeders) in the same transaction.';
comment on table public.meter_reads_electric_default is
  'Reads of a day that had no partition yet: moved into the day''s partition by ami_private.ensure_read_partitions. Empty in steady state.';
comment on column public.meter_reads_electric.tenant_id is 'The tenant owning the meter.';
comment on column public.meter_reads_electric.read_at is 'End of the interval (UTC, on a quarter-hour boundary): the energy is for (read_at - interval, read_at]. The partition key.';
comment on column public.meter_reads_electric.meter_id is 'The meter (ami_meters.meter_id).';
comment on column public.meter_reads_electric.feeder_id is 'The meter''s feeder at the time of the read.';
comment on column public.meter_reads_electric.kwh is 'Energy delivered to the customer in the interval, kWh (after any theft event; only the powered share of the interval during a power outage).';
comment on column public.meter_reads_electric.kwh_received is 'Energy the customer sent to the grid in the interval (rooftop solar), kWh, >= 0.';
comment on column public.meter_reads_electric.voltage is 'Service voltage at the end of the interval, volts (120 V nominal); 0 when the meter had no power then (status bit 128).';
comment on column public.meter_reads_electric.baseline_kwh is 'The load model''s expectation of kwh for this meter and interval (weather, calendar, archetype, expected solar), without its random part and without events: the reference of kwhDeviationPct.';
comment on column public.meter_reads_electric.status is 'Status bitmask after the DLMS/COSEM AMR profile status: 1 critical error, 2 clock invalid, 4 data not valid, 8 daylight saving (set from the tenant''s time zone), 32 clock adjusted, 128 power down (the meter lost power during the interval).';
comment on column public.meter_reads_electric.received_at is 'When the head-end stored the read (the service''s clock): with its tick, or later for a late or backfilled read. Null for reads stored before collection was recorded, or written by hand without it.';
comment on column public.meter_reads_electric.delivery is 'How the read came: 0 with its tick, 1 late (network latency), 2 backfilled from the meter''s memory after it was cut off (unreachable, comms outage, power outage).';
