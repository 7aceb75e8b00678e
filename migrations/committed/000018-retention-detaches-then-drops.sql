--! Previous: sha1:e575c5c1514a82fa1a7d8ef714e581672477909d
--! Hash: sha1:6c977bcea13807fccecd6ca48d424153f68dd2ca
--! Message: retention detaches, then drops

-- Retention in two steps. The first transaction takes each day out of
-- meter_reads_electric (DETACH PARTITION) with its rollup rows: from its
-- commit no reader sees those reads or counts them, and nothing newer was
-- touched. The second drops the detached tables: removing a day's files
-- (300 MB at 25,000 meters) takes the filesystem about as long as the rest
-- together (an rm of a 300 MB file: 124 ms on the benchmark's machine), and
-- it no longer holds the reads table's lock meanwhile, so ticks and KPI
-- reads wait for the detach only. A detached day left by a crash between
-- the two is dropped by the next run.
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
      execute format('alter table public.meter_reads_electric detach partition public.%I', part.relname);
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
  'Retention, first step: detaches the daily partitions of meter_reads_electric whose whole UTC day is before `before`, deleting their rollup rows in the same transaction, and deletes older reads the default partition holds. Returns each partition detached with its read count; ami_private.drop_detached_read_partitions drops them.';

create or replace function ami_private.drop_detached_read_partitions() returns setof text
  language plpgsql
  as $fn$
  declare
    part record;
  begin
    for part in
      select c.relname
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname ~ '^meter_reads_electric_p[0-9]{8}$'
         and not exists (select 1 from pg_inherits i where i.inhrelid = c.oid)
       order by c.relname
    loop
      execute format('drop table public.%I', part.relname);
      return next part.relname;
    end loop;
  end
  $fn$;
comment on function ami_private.drop_detached_read_partitions() is
  'Retention, second step: drops the daily read tables detached from meter_reads_electric (by ami_private.drop_read_partitions, or left by a crash between the two steps). Returns their names.';
