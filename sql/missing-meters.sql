-- Intervals with missing meters over the last day of data: for each interval
-- with reads (the 96 up to the tenant's newest fully published interval,
-- ami_kpi_private.latest_interval, as the KPIs count them; newest first), how many
-- active meters did not report, per feeder, next to the events in force on
-- that feeder then. An interval with no reads at all does not appear here:
-- see sql/tick-history.sql for those (skipped or never requested).
--
--   psql "$DATABASE_URL" -v tenant=DEMO_TENANT -f sql/missing-meters.sql

\if :{?tenant}
\else
  \set tenant DEMO_TENANT
\endif

with newest as (
  select ami_kpi_private.latest_interval(:'tenant') as read_at
),
expected as (
  select feeder_id, count(*) as meters from ami_meters where tenant_id = :'tenant' and active group by feeder_id
),
reported as (
  select r.read_at, r.feeder_id, count(*) as meters
    from meter_reads_electric r, newest n
   where r.tenant_id = :'tenant'
     and r.read_at > n.read_at - interval '24 hours' and r.read_at <= n.read_at
   group by r.read_at, r.feeder_id
),
intervals as (
  select distinct read_at from reported
)
select i.read_at,
       e.feeder_id,
       e.meters as expected,
       coalesce(p.meters, 0) as reporting,
       e.meters - coalesce(p.meters, 0) as missing,
       (select string_agg(ev.type || ' ' || ev.severity || ' (#' || ev.id || ')', ', ' order by ev.id)
          from ami_events ev
         where ev.tenant_id = :'tenant' and ev.feeder_id = e.feeder_id
           and ami_in_force(ev.starts_at, ev.ends_at, i.read_at)) as events_then
  from intervals i
 cross join expected e
  left join reported p on p.read_at = i.read_at and p.feeder_id = e.feeder_id
 where e.meters > coalesce(p.meters, 0)
 order by i.read_at desc, e.feeder_id;
