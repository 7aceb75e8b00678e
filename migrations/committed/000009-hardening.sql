--! Previous: sha1:89de5dbc02d9f9119926f65da45581d426599267
--! Hash: sha1:be88fec258faf5c9a2339683b156a7bcf972ba07
--! Message: hardening

-- Hardening: a cancelled event keeps its row with an empty window; the series
-- counts a tenant's active meters only for intervals without a tick.

-- A scheduled event cancelled before it starts (or ended at its very start)
-- keeps its row for the record, with ends_at = starts_at: a window in force at
-- no instant (public.ami_in_force).
alter table public.ami_events drop constraint if exists ami_events_window;
alter table public.ami_events add constraint ami_events_window check (ends_at is null or ends_at >= starts_at);
comment on column public.ami_events.ends_at is 'End of the event, exclusive; null while open-ended; equal to starts_at for an event cancelled before it started (it applies to nothing).';

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
         ami_kpi_private.round_to(sum(x.voltage_sum) / nullif(sum(x.reporting_meters), 0), 2) as mean_voltage,
         min(x.voltage_min)::numeric::double precision as min_voltage,
         max(x.voltage_max)::numeric::double precision as max_voltage,
         sum(x.under_114)::integer as under_114,
         sum(x.over_126)::integer as over_126
    from public.ami_interval_feeders x
    left join public.ami_ticks t on t.tenant_id = x.tenant_id and t.read_at = x.read_at
   group by x.tenant_id, x.read_at, t.meter_count
  having sum(x.reporting_meters) > 0;
comment on column ami_kpi.interval_history.fleet_meters is
  'The fleet the interval was published for (its tick in the ledger); the tenant''s active meters today for reads without a tick.';
