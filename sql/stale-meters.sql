-- Which meters are stale right now, and since when: the active meters whose
-- newest read is older than the tenant's newest fully published interval
-- (ami_kpi_private.latest_interval: the reference of every KPI, never the wall
-- clock; an interval whose batches are still landing is not it yet), oldest
-- first, with their feeder and stale bucket. neverReported meters have no last read.
--
--   psql "$DATABASE_URL" -v tenant=DEMO_TENANT -f sql/stale-meters.sql

\if :{?tenant}
\else
  \set tenant DEMO_TENANT
\endif

with newest as (
  select ami_kpi_private.latest_interval(:'tenant') as read_at
)
select m.meter_id,
       m.feeder_id,
       m.service_class,
       l.last_read_at,
       n.read_at - l.last_read_at as age,
       ami_kpi_private.stale_bucket(l.last_read_at, n.read_at) as bucket
  from ami_meter_last_reads l
  join ami_meters m on m.tenant_id = l.tenant_id and m.meter_id = l.meter_id and m.active
 cross join newest n
 where l.tenant_id = :'tenant'
   and (l.last_read_at is null or l.last_read_at < n.read_at)
 order by l.last_read_at nulls first, m.meter_id
 limit 1000;
