-- The history of the data plane: one row per tenant and interval from the
-- tick ledger (ami_ticks), newest first. Who asked (cron, catch-up, manual),
-- how it ended (enqueued, complete, skipped by backpressure and why), the
-- reads written, and the ingest latency from enqueue to the last batch.
-- A gap between consecutive read_at values is an interval never requested.
--
--   psql "$DATABASE_URL" -v tenant=DEMO_TENANT -v limit=96 -f sql/tick-history.sql

\if :{?tenant}
\else
  \set tenant DEMO_TENANT
\endif
\if :{?limit}
\else
  \set limit 96
\endif

select t.read_at,
       t.requested_by,
       t.status,
       t.skip_reason,
       t.batches_done || '/' || t.batch_count as batches,
       t.rows_written,
       t.meter_count,
       t.attempts,
       t.completed_at - t.enqueued_at as ingest,
       t.read_at - lag(t.read_at) over (order by t.read_at) as since_previous
  from ami_ticks t
 where t.tenant_id = :'tenant'
 order by t.read_at desc
 limit :limit;
