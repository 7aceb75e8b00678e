--! Previous: sha1:c09846209c2043442b4b1fb81ada5304bd3b8adb
--! Hash: sha1:915bc5df31af4d95e8f098404ceab31b8f7e3da7
--! Message: series one view

-- The per-interval series written once: the REST series (src/db/series.ts) and
-- GraphQL's intervalHistories both read this view. An interval is measured
-- against the fleet its tick was published for; reads without a tick against
-- the tenant's active meters today.

create or replace view ami_kpi.interval_history as
  select r.tenant_id,
         r.read_at,
         coalesce(t.meter_count, f.active_meters) as fleet_meters,
         count(*)::integer as reporting_meters,
         ami_kpi_private.pct(count(*), coalesce(t.meter_count, f.active_meters)) as reporting_rate_pct,
         ami_kpi_private.round_to(sum(r.kwh::double precision), 4) as total_kwh,
         ami_kpi_private.round_to(sum(r.baseline_kwh::double precision), 4) as baseline_kwh,
         ami_kpi_private.pct(sum(r.kwh::double precision) - sum(r.baseline_kwh::double precision), sum(r.baseline_kwh::double precision)) as kwh_deviation_pct,
         ami_kpi_private.round_to(avg(r.voltage::double precision), 2) as mean_voltage,
         min(r.voltage)::numeric::double precision as min_voltage,
         max(r.voltage)::numeric::double precision as max_voltage,
         (count(*) filter (where r.voltage < 114))::integer as under_114,
         (count(*) filter (where r.voltage > 126))::integer as over_126
    from public.meter_reads_electric r
    join (select m.tenant_id, (count(*) filter (where m.active))::integer as active_meters
            from public.ami_meters m
           group by m.tenant_id) f on f.tenant_id = r.tenant_id
    left join public.ami_ticks t on t.tenant_id = r.tenant_id and t.read_at = r.read_at
   group by r.tenant_id, r.read_at, f.active_meters, t.meter_count;
comment on view ami_kpi.interval_history is E'@primaryKey tenant_id,read_at\nOne row per tenant and interval with reads: reporting, energy and voltage over time (the dashboard''s series reads the same view). Filter by tenant and a read_at range: each row aggregates a whole interval.';
comment on column ami_kpi.interval_history.fleet_meters is
  'The fleet the interval was published for (its tick in the ledger); the tenant''s active meters today for reads without a tick.';
