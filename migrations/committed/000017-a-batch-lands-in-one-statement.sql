--! Previous: sha1:7de942a3c6285237304924f4bd14c5a3b35b8fda
--! Hash: sha1:e575c5c1514a82fa1a7d8ef714e581672477909d
--! Message: a batch lands in one statement

-- A batch of a tick lands in one statement, one round trip: the reads that
-- reach the head-end now, the ones that come later (ami_pending_reads), the
-- batch's row and the ledger's counters, in one implicit transaction that
-- commits as the statement ends. Sent as a transaction of two statements,
-- the rows every batch of an interval shares (its rollup rows, written last
-- by the reads trigger, and the ledger row) stayed locked over two more
-- round trips to a worker whose event loop is busy generating the next
-- batches, and the batches of a 1,000,000-meter tick queued on them.
--
-- It commits without waiting for the WAL flush (synchronous_commit off for
-- this transaction only): the job that calls it is marked done afterwards by
-- Graphile Worker in a synchronous commit, which flushes the WAL up to its
-- own record, this one included; a crash loses a batch only together with
-- its job's completion, and the job runs again (idempotent: nothing is
-- counted twice).
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
    perform set_config('synchronous_commit', 'off', true);
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
  'One batch of a tick lands, in one statement: its reads (INSERT ... ON CONFLICT DO NOTHING, received_at p_now), the reads that arrive later (ami_pending_reads, the first time only), the batch''s row and the ledger''s counters. Commits without waiting for the WAL flush: the job''s synchronous completion flushes it. Idempotent: a batch that already landed inserts nothing and counts nothing.';
