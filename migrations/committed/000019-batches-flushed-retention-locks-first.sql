--! Previous: sha1:6c977bcea13807fccecd6ca48d424153f68dd2ca
--! Hash: sha1:7c7b0197e43b02a40f499ce50a05f8fb621ea646
--! Message: batches flushed, retention locks first

-- Two corrections to 000017 and 000018, found in review:
--   - a batch commits with the flush again (synchronous_commit as configured).
--     Relying on the job's later completion to flush it held only while the
--     server stayed up: after a crash and restart between the two, the batch
--     was gone and the completion, sent again on a new connection, could still
--     succeed, and the job would not run again. The asynchronous commit bought
--     nothing measurable (the 1,000,000-meter tick took 21-25 s with it and without).
--   - retention takes the reads table's lock before it deletes a day's rollup
--     rows: a late read written between that delete and the detach would have
--     left a rollup row without its reads.

create or replace function ami_private.land_batch(
  p_tenant_id text, p_read_at timestamptz, p_batch_index integer, p_now timestamptz,
  r_meter_id integer[], r_feeder_id integer[], r_kwh real[], r_voltage real[], r_baseline_kwh real[], r_kwh_received real[],
  r_status smallint[], r_delivery smallint[],
  q_meter_id integer[], q_feeder_id integer[], q_delivery smallint[], q_arrive_at timestamptz[], q_held_by bigint[], q_drain_ms integer[])
  returns table (inserted integer, recorded boolean, status text, batches_done integer, batch_count integer, rows_written integer, duration_ms integer)
  language plpgsql
  as $fn$
  #variable_conflict use_column
  declare
    batch_rows integer;
  begin
    with input as (
      select * from unnest(r_meter_id, r_feeder_id, r_kwh, r_voltage, r_baseline_kwh, r_kwh_received, r_status, r_delivery)
        as t(meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery)
    ), written as (
      insert into public.meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery, received_at)
      select p_tenant_id, p_read_at, t.meter_id, t.feeder_id, t.kwh, t.voltage, t.baseline_kwh, t.kwh_received, t.status, t.delivery, p_now from input t
      on conflict do nothing
      returning 1
    ), pending as (
      insert into public.ami_pending_reads (tenant_id, read_at, meter_id, feeder_id, delivery, arrive_at, held_by, drain_ms)
      select p_tenant_id, p_read_at, p.* from unnest(q_meter_id, q_feeder_id, q_delivery, q_arrive_at, q_held_by, q_drain_ms)
        as p(meter_id, feeder_id, delivery, arrive_at, held_by, drain_ms)
       -- Once per batch: a batch that already landed may have had its pending reads delivered since.
       where not exists (select 1 from public.ami_tick_batches b where b.tenant_id = p_tenant_id and b.read_at = p_read_at and b.batch_index = p_batch_index)
      on conflict do nothing
    ), batch as (
      insert into public.ami_tick_batches (tenant_id, read_at, batch_index, rows_written, completed_at)
      select p_tenant_id, p_read_at, p_batch_index, (select count(*) from written), p_now
       where exists (select 1 from public.ami_ticks t where t.tenant_id = p_tenant_id and t.read_at = p_read_at)
      on conflict do nothing
      returning ami_tick_batches.rows_written
    )
    select (select count(*) from written)::integer, exists (select 1 from batch), (select b.rows_written from batch b)
      into inserted, recorded, batch_rows;
    if not recorded then
      return next;
      return;
    end if;
    -- The ledger row last: concurrent batches of one tick queue on it, held to the end of this statement only.
    update public.ami_ticks t
       set batches_done = t.batches_done + 1,
           rows_written = t.rows_written + coalesce(batch_rows, 0),
           first_batch_at = coalesce(t.first_batch_at, p_now),
           status = case when t.batches_done + 1 >= t.batch_count then 'complete' else t.status end,
           completed_at = case when t.batches_done + 1 >= t.batch_count then p_now else t.completed_at end
     where t.tenant_id = p_tenant_id and t.read_at = p_read_at
    returning t.status, t.batches_done, t.batch_count, t.rows_written, (extract(epoch from t.completed_at - t.enqueued_at) * 1000)::integer
      into status, batches_done, batch_count, rows_written, duration_ms;
    return next;
  end
  $fn$;
comment on function ami_private.land_batch(text, timestamptz, integer, timestamptz, integer[], integer[], real[], real[], real[], real[], smallint[], smallint[], integer[], integer[], smallint[], timestamptz[], bigint[], integer[]) is
  'One batch of a tick lands, in one statement: its reads (INSERT ... ON CONFLICT DO NOTHING, received_at p_now), the reads that arrive later (ami_pending_reads, the first time only), the batch''s row and the ledger''s counters. Idempotent: a batch that already landed inserts nothing and counts nothing.';

create or replace function ami_private.drop_read_partitions(before timestamptz)
  returns table (partition_name text, day date, reads bigint)
  language plpgsql
  as $fn$
  declare
    part record;
    part_day date;
  begin
    -- The lock DETACH takes, first: no write reaches a day between its rollup rows' delete and its detach.
    lock table public.meter_reads_electric in access exclusive mode;
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
