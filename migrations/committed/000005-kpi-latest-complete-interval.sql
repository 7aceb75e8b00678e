--! Previous: sha1:c6bc391126c04437fd96b0f777df1c7cac68aa2e
--! Hash: sha1:6f4a675909eecacc8dd2c2c03c637454910d57c5
--! Message: KPI reference: the newest interval fully published; history rates against the fleet each interval was published for

-- The KPIs' reference interval is the newest one fully published, and the
-- history divides each interval by the fleet it was published for.
--
-- Until now the reference was the newest read_at with any read: it moved as
-- soon as a tick's first batch landed, so for the fraction of a second (at
-- 25,000 meters; seconds at 1,000,000) until the last one did, the latest_*
-- views and quickcheck showed the new interval part-written, as an outage.

create or replace function ami_kpi_private.latest_interval(tenant_id text) returns timestamptz
  language plpgsql stable parallel safe
  as $fn$
  declare
    candidate timestamptz;
  begin
    select max(r.read_at) into candidate from public.meter_reads_electric r where r.tenant_id = latest_interval.tenant_id;
    -- Step back past intervals whose tick is still being written (a few at
    -- most: catch-up waves); each step is one probe of the primary key.
    while candidate is not null and exists (
      select 1 from public.ami_ticks t
       where t.tenant_id = latest_interval.tenant_id and t.read_at = candidate and t.status = 'enqueued'
    ) loop
      select max(r.read_at) into candidate from public.meter_reads_electric r
       where r.tenant_id = latest_interval.tenant_id and r.read_at < candidate;
    end loop;
    return candidate;
  end
  $fn$;
comment on function ami_kpi_private.latest_interval(text) is
  'The tenant''s newest read_at with reads whose tick is not still being written (complete, or reads without a tick): the reference of the latest_* KPIs. Null before the first read.';
grant execute on function ami_kpi_private.latest_interval(text) to ami_kpi_reader;

create or replace view ami_kpi.tenants as
  select f.tenant_id,
         f.meter_count,
         f.feeder_count,
         coalesce(a.interval_minutes, 15) as interval_minutes,
         coalesce(a.enabled, false) as auto_enabled,
         ami_kpi_private.latest_interval(f.tenant_id) as latest_interval,
         (select min(r.read_at) from public.meter_reads_electric r where r.tenant_id = f.tenant_id) as first_interval
    from public.ami_fleets f
    left join public.ami_auto_config a on a.tenant_id = f.tenant_id;
comment on column ami_kpi.tenants.latest_interval is
  'The newest interval fully published (its tick complete): the reference of the latest_* KPIs (never the wall clock). An interval whose batches are still landing is not it yet. Null before the first read.';

create or replace view ami_kpi.interval_history as
  select r.tenant_id,
         r.read_at,
         coalesce(t.meter_count, f.meter_count) as fleet_meters,
         count(*)::integer as reporting_meters,
         ami_kpi_private.pct(count(*), coalesce(t.meter_count, f.meter_count)) as reporting_rate_pct,
         ami_kpi_private.round_to(sum(r.kwh::double precision), 4) as total_kwh,
         ami_kpi_private.round_to(sum(r.baseline_kwh::double precision), 4) as baseline_kwh,
         ami_kpi_private.pct(sum(r.kwh::double precision) - sum(r.baseline_kwh::double precision), sum(r.baseline_kwh::double precision)) as kwh_deviation_pct,
         ami_kpi_private.round_to(avg(r.voltage::double precision), 2) as mean_voltage,
         min(r.voltage)::numeric::double precision as min_voltage,
         max(r.voltage)::numeric::double precision as max_voltage,
         (count(*) filter (where r.voltage < 114))::integer as under_114,
         (count(*) filter (where r.voltage > 126))::integer as over_126
    from public.meter_reads_electric r
    join public.ami_fleets f on f.tenant_id = r.tenant_id
    left join public.ami_ticks t on t.tenant_id = r.tenant_id and t.read_at = r.read_at
   group by r.tenant_id, r.read_at, f.meter_count, t.meter_count;
comment on column ami_kpi.interval_history.fleet_meters is
  'Size of the fleet the interval was published for (its tick in the ledger); today''s fleet for reads without a tick.';
comment on column ami_kpi.interval_history.reporting_rate_pct is '100 * reporting_meters / fleet_meters, 2 decimals.';
