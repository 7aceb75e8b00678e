-- What one grid event did to its feeder: for each interval from 4 before the
-- event to 4 after it (at most 96 inside it), the feeder's reporting meters,
-- energy against the load model (kwh_deviation_pct) and reads under 114 V,
-- marked inside/outside the event window [starts_at, ends_at). Theft shows as
-- kwh_deviation_pct near -100 * severity, an outage as fewer reporting meters,
-- a sag as under_114 equal to the reporting meters.
--
--   psql "$DATABASE_URL" -v event_id=7 -f sql/event-impact.sql

\if :{?event_id}
\else
  \echo 'usage: psql -v event_id=<id> -f sql/event-impact.sql'
  \quit
\endif

with event as (
  select e.*, coalesce(a.interval_minutes, 15) * interval '1 minute' as step
    from ami_events e
    left join ami_auto_config a on a.tenant_id = e.tenant_id
   where e.id = :event_id
),
window_bounds as (
  -- The aligned intervals around the event, capped at a day inside it.
  select ev.*,
         to_timestamp(floor(extract(epoch from ev.starts_at) / extract(epoch from ev.step)) * extract(epoch from ev.step)) - 4 * ev.step as first_read_at,
         least(coalesce(ev.ends_at, 'infinity'), ev.starts_at + 96 * ev.step) + 4 * ev.step as last_read_at
    from event ev
),
expected as (
  select count(*) as meters
    from ami_meters m, window_bounds w
   where m.tenant_id = w.tenant_id and m.feeder_id = w.feeder_id and m.active
)
select r.read_at,
       ami_in_force(w.starts_at, w.ends_at, r.read_at) as in_event,
       (select meters from expected) as expected,
       count(*) as reporting,
       round(100.0 * count(*) / nullif((select meters from expected), 0), 2) as reporting_rate_pct,
       round((100 * (sum(r.kwh) - sum(r.baseline_kwh)) / nullif(sum(r.baseline_kwh), 0))::numeric, 2) as kwh_deviation_pct,
       round(avg(r.voltage)::numeric, 2) as mean_voltage,
       count(*) filter (where r.voltage < 114) as under_114
  from window_bounds w
  join meter_reads_electric r
    on r.tenant_id = w.tenant_id and r.feeder_id = w.feeder_id
   and r.read_at >= w.first_read_at and r.read_at <= least(w.last_read_at, ami_now())
 group by r.read_at, w.starts_at, w.ends_at
 order by r.read_at;
