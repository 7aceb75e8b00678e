--! Previous: sha1:213e2bc1c873922d03c8f192bf8a7cdfaced24db
--! Hash: sha1:f6ece6e3956940652edcaa91eac0319e094e863b
--! Message: KPI views: schema ami_kpi for quickcheck and GraphQL, read-only role ami_kpi_reader

-- The KPIs of the data plane, as SQL the REST quickcheck and the GraphQL API
-- both read. `ami_kpi` is what GraphQL exposes (every comment below becomes
-- its documentation); `ami_kpi_private` holds helpers it does not expose.
--
-- The reference time of every KPI is an interval (a read_at), never the wall
-- clock: the *_at functions take it as an argument, and the latest_* views
-- apply them to the newest interval that has reads for the tenant.

drop schema if exists ami_kpi cascade;
drop schema if exists ami_kpi_private cascade;
drop index if exists public.ami_meters_active_by_feeder;
drop index if exists public.ami_meters_retired;

create schema ami_kpi;
comment on schema ami_kpi is
  'KPIs of the AMI data plane (read-only): per interval, per feeder, stale meters, events and the tick ledger.';
create schema ami_kpi_private;
comment on schema ami_kpi_private is
  'Helpers of the KPI schema; not exposed over GraphQL.';

--------------------------------------------------------------------------------
-- The role GraphQL runs as (PostGraphile sets it per request). Roles are
-- cluster-wide and several databases (tests, bench) migrate on one server,
-- so it is created only when missing, tolerating a concurrent creator.

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'ami_kpi_reader') then
    create role ami_kpi_reader nologin;
  end if;
exception
  when duplicate_object or unique_violation then null;
end
$$;
comment on role ami_kpi_reader is 'Read-only role of the GraphQL API: SELECT on the KPI schema and the tables it reads, nothing else.';
grant ami_kpi_reader to current_user;

--------------------------------------------------------------------------------
-- Small pure helpers: one rounding rule and one bucket rule for everything.

create function ami_kpi_private.round_to(value double precision, digits integer) returns double precision
  language sql immutable parallel safe
  as $$ select round(value::numeric, digits)::double precision $$;
comment on function ami_kpi_private.round_to(double precision, integer) is
  'value rounded to digits decimals, kept a double precision (a GraphQL Float, a JSON number).';

create function ami_kpi_private.pct(part double precision, whole double precision) returns double precision
  language sql immutable parallel safe
  as $$ select case when whole > 0 then round((100 * part / whole)::numeric, 2)::double precision end $$;
comment on function ami_kpi_private.pct(double precision, double precision) is
  '100 * part / whole to 2 decimals; null when whole is 0 (nothing to compare against).';

-- Buckets by the age of a meter's newest read, measured from the reference
-- interval. Every read_at is on a quarter hour, so "under 15 minutes" is age 0.
create function ami_kpi_private.stale_bucket(last_read_at timestamptz, reference timestamptz) returns text
  language sql immutable parallel safe
  as $$
    select case
      when last_read_at is null then 'neverReported'
      when reference - last_read_at < interval '15 minutes' then 'current'
      when reference - last_read_at < interval '1 hour' then 'staleOver15m'
      when reference - last_read_at < interval '4 hours' then 'staleOver1h'
      when reference - last_read_at < interval '24 hours' then 'staleOver4h'
      else 'staleOver24h'
    end
  $$;
comment on function ami_kpi_private.stale_bucket(timestamptz, timestamptz) is
  'Stale bucket of a meter whose newest read (as of reference) is last_read_at: current (age 0), staleOver15m (15 min <= age < 1 h), staleOver1h (< 4 h), staleOver4h (< 24 h), staleOver24h, or neverReported (null).';

-- Whether the meter has a read on one of the quarter hours from_at..to_at.
-- Probing each quarter hour is one primary-key lookup (tenant, read_at,
-- meter); a range scan would read every meter's reads of the range instead.
create function ami_kpi_private.has_read_between(p_tenant_id text, p_meter_id integer, p_from timestamptz, p_to timestamptz) returns boolean
  language sql stable parallel safe
  as $$
    select exists (
      select 1
        from generate_series(p_to, p_from, interval '-15 minutes') as q(read_at)
       where (select true from public.meter_reads_electric r
               where r.tenant_id = p_tenant_id and r.read_at = q.read_at and r.meter_id = p_meter_id)
    )
  $$;
comment on function ami_kpi_private.has_read_between(text, integer, timestamptz, timestamptz) is
  'True when the meter has a read on a quarter hour in [p_from, p_to] (p_to aligned); one primary-key probe per quarter hour, stopping at the first hit.';

-- The bucket of a meter as of a past interval p_at, for a meter whose newest
-- read is later than p_at (so ami_meter_last_reads cannot answer). Bounded
-- windows, nearest first: at most 1 + 3 + 12 + 80 probes, then one forward
-- scan that stops at the meter's first read older than 24 hours.
create function ami_kpi_private.stale_bucket_as_of(p_tenant_id text, p_meter_id integer, p_at timestamptz) returns text
  language sql stable parallel safe
  as $$
    select case
      when ami_kpi_private.has_read_between(p_tenant_id, p_meter_id, p_at, p_at) then 'current'
      when ami_kpi_private.has_read_between(p_tenant_id, p_meter_id, p_at - interval '45 minutes', p_at - interval '15 minutes') then 'staleOver15m'
      when ami_kpi_private.has_read_between(p_tenant_id, p_meter_id, p_at - interval '3 hours 45 minutes', p_at - interval '1 hour') then 'staleOver1h'
      when ami_kpi_private.has_read_between(p_tenant_id, p_meter_id, p_at - interval '23 hours 45 minutes', p_at - interval '4 hours') then 'staleOver4h'
      when exists (select 1 from public.meter_reads_electric r
                    where r.tenant_id = p_tenant_id and r.read_at <= p_at - interval '24 hours' and r.meter_id = p_meter_id) then 'staleOver24h'
      else 'neverReported'
    end
  $$;
comment on function ami_kpi_private.stale_bucket_as_of(text, integer, timestamptz) is
  'Stale bucket of one meter as of the interval p_at, from the reads table (for a past interval, when the meter has reported since).';

--------------------------------------------------------------------------------
-- Registry indexes for the KPIs: expected meters per feeder is an index-only
-- scan, and "has this tenant retired meters" one probe of a (usually empty)
-- index. The registry changes only when a fleet is registered or resized.

create index ami_meters_active_by_feeder on public.ami_meters (tenant_id, feeder_id) where active;
create index ami_meters_retired on public.ami_meters (tenant_id) where not active;

--------------------------------------------------------------------------------
-- The figures of one interval. One composite per feeder, one per interval
-- (the tenant's totals, with its feeders inside), computed in one pass over
-- the interval's reads.

create type ami_kpi.feeder_kpi as (
  tenant_id text,
  read_at timestamptz,
  feeder_id integer,
  expected_meters integer,
  reporting_meters integer,
  missing_meters integer,
  reporting_rate_pct double precision,
  total_kwh double precision,
  baseline_kwh double precision,
  kwh_deviation_pct double precision,
  mean_kwh double precision,
  mean_voltage double precision,
  min_voltage double precision,
  max_voltage double precision,
  under_114 integer,
  over_126 integer,
  stale_meters integer,
  never_reported integer
);
comment on type ami_kpi.feeder_kpi is 'The KPIs of one feeder in one interval.';
comment on column ami_kpi.feeder_kpi.tenant_id is 'The tenant.';
comment on column ami_kpi.feeder_kpi.read_at is 'The interval (its read_at); null when the tenant has no reads yet.';
comment on column ami_kpi.feeder_kpi.feeder_id is 'The feeder.';
comment on column ami_kpi.feeder_kpi.expected_meters is 'Active meters of the feeder in the registry: the meters expected to report.';
comment on column ami_kpi.feeder_kpi.reporting_meters is 'Meters of the feeder with a read in the interval.';
comment on column ami_kpi.feeder_kpi.missing_meters is 'expected_meters - reporting_meters (never below 0).';
comment on column ami_kpi.feeder_kpi.reporting_rate_pct is '100 * reporting_meters / expected_meters, 2 decimals; null without expected meters.';
comment on column ami_kpi.feeder_kpi.total_kwh is 'Energy of the reporting meters in the interval, kWh, 4 decimals.';
comment on column ami_kpi.feeder_kpi.baseline_kwh is 'What the load model expected those same reporting meters to use (no noise, no events), kWh, 4 decimals.';
comment on column ami_kpi.feeder_kpi.kwh_deviation_pct is '100 * (total_kwh - baseline_kwh) / baseline_kwh over the meters that reported, 2 decimals: near -100 * severity under theft, near 0 otherwise (a comms outage does not move it). Null without reads.';
comment on column ami_kpi.feeder_kpi.mean_kwh is 'total_kwh / reporting_meters, 4 decimals.';
comment on column ami_kpi.feeder_kpi.mean_voltage is 'Mean voltage of the reads, volts, 2 decimals.';
comment on column ami_kpi.feeder_kpi.min_voltage is 'Lowest voltage read, volts.';
comment on column ami_kpi.feeder_kpi.max_voltage is 'Highest voltage read, volts.';
comment on column ami_kpi.feeder_kpi.under_114 is 'Reads under 114 V (below ANSI C84.1 Range A for 120 V nominal).';
comment on column ami_kpi.feeder_kpi.over_126 is 'Reads over 126 V (above ANSI C84.1 Range A).';
comment on column ami_kpi.feeder_kpi.stale_meters is 'Expected meters whose newest read (as of the interval) is 15 minutes old or more.';
comment on column ami_kpi.feeder_kpi.never_reported is 'Expected meters with no read at all up to the interval.';

create type ami_kpi.interval_kpi as (
  tenant_id text,
  read_at timestamptz,
  expected_meters integer,
  reporting_meters integer,
  missing_meters integer,
  reporting_rate_pct double precision,
  total_kwh double precision,
  mean_kwh double precision,
  baseline_kwh double precision,
  kwh_deviation_pct double precision,
  mean_voltage double precision,
  min_voltage double precision,
  max_voltage double precision,
  under_114 integer,
  over_126 integer,
  current integer,
  stale_over_15m integer,
  stale_over_1h integer,
  stale_over_4h integer,
  stale_over_24h integer,
  never_reported integer,
  feeders ami_kpi.feeder_kpi[]
);
comment on type ami_kpi.interval_kpi is 'The KPIs of one tenant in one interval: reporting summary, stale buckets, energy, voltage, and each feeder.';
comment on column ami_kpi.interval_kpi.tenant_id is 'The tenant.';
comment on column ami_kpi.interval_kpi.read_at is 'The interval every figure refers to (its read_at); null when the tenant has no reads yet.';
comment on column ami_kpi.interval_kpi.expected_meters is 'Active meters in the registry.';
comment on column ami_kpi.interval_kpi.reporting_meters is 'Meters with a read in the interval.';
comment on column ami_kpi.interval_kpi.missing_meters is 'expected_meters - reporting_meters, summed per feeder.';
comment on column ami_kpi.interval_kpi.reporting_rate_pct is '100 * reporting_meters / expected_meters, 2 decimals.';
comment on column ami_kpi.interval_kpi.total_kwh is 'Energy of all reads of the interval, kWh, 4 decimals.';
comment on column ami_kpi.interval_kpi.mean_kwh is 'total_kwh / reporting_meters, 4 decimals.';
comment on column ami_kpi.interval_kpi.baseline_kwh is 'The load model''s expectation for the reporting meters, kWh, 4 decimals.';
comment on column ami_kpi.interval_kpi.kwh_deviation_pct is '100 * (total_kwh - baseline_kwh) / baseline_kwh, 2 decimals.';
comment on column ami_kpi.interval_kpi.mean_voltage is 'Mean voltage of the reads, volts, 2 decimals.';
comment on column ami_kpi.interval_kpi.min_voltage is 'Lowest voltage read, volts.';
comment on column ami_kpi.interval_kpi.max_voltage is 'Highest voltage read, volts.';
comment on column ami_kpi.interval_kpi.under_114 is 'Reads under 114 V (ANSI C84.1 Range A).';
comment on column ami_kpi.interval_kpi.over_126 is 'Reads over 126 V (ANSI C84.1 Range A).';
comment on column ami_kpi.interval_kpi.current is 'Expected meters whose newest read is the interval itself (age 0).';
comment on column ami_kpi.interval_kpi.stale_over_15m is 'Expected meters whose newest read is 15 minutes to under 1 hour older than the interval.';
comment on column ami_kpi.interval_kpi.stale_over_1h is 'Newest read 1 hour to under 4 hours older than the interval.';
comment on column ami_kpi.interval_kpi.stale_over_4h is 'Newest read 4 hours to under 24 hours older than the interval.';
comment on column ami_kpi.interval_kpi.stale_over_24h is 'Newest read 24 hours or more older than the interval.';
comment on column ami_kpi.interval_kpi.never_reported is 'Expected meters with no read up to the interval. The six buckets add up to expected_meters.';
comment on column ami_kpi.interval_kpi.feeders is 'The same figures per feeder, by feeder id.';

-- How the stale buckets are counted:
--  * the interval is the newest with reads (or later): ami_meter_last_reads,
--    kept by the ingest, is each meter's newest read as of the interval. Only
--    the meters that are not current are looked at (a scan of that narrow
--    table, then registry lookups for the few found), and current is the rest.
--  * a past interval: meters without a read in it are found with one pass
--    over the interval; each of those whose newest read is later than the
--    interval is placed by stale_bucket_as_of (bounded probes).
-- The two branches are exclusive; each is gated by a one-time filter, so
-- only one runs.
create function ami_kpi.interval_kpis_at(tenant_id text, read_at timestamptz) returns ami_kpi.interval_kpi
  language plpgsql stable parallel safe
  -- Every statement here reads key ranges (an interval of the reads, a
  -- tenant's slice of the registry): index scans whatever the statistics
  -- say, and no JIT compilation, which costs more than these queries.
  set enable_seqscan = off
  set jit = off
  as $fn$
  declare
    result ami_kpi.interval_kpi;
  begin
    -- EXECUTE plans with the actual tenant and interval (a custom plan): a
    -- generic plan guesses how many rows a tenant has and, on a server with
    -- several tenants, scans them all.
    execute $sql$
    with newest as (
      select max(r.read_at) as read_at from public.meter_reads_electric r where r.tenant_id = $1
    ),
    reads as (
      select r.feeder_id,
             count(*)::integer as reporting,
             sum(r.kwh::double precision) as kwh,
             sum(r.baseline_kwh::double precision) as baseline,
             sum(r.voltage::double precision) as voltage_sum,
             min(r.voltage)::double precision as voltage_min,
             max(r.voltage)::double precision as voltage_max,
             (count(*) filter (where r.voltage < 114))::integer as under_114,
             (count(*) filter (where r.voltage > 126))::integer as over_126
        from public.meter_reads_electric r
       where r.tenant_id = $1 and r.read_at = $2
       group by r.feeder_id
    ),
    expected as (
      select m.feeder_id, count(*)::integer as meters
        from public.ami_meters m
       where m.tenant_id = $1 and m.active
       group by m.feeder_id
    ),
    not_current as (
      select m.feeder_id, ami_kpi_private.stale_bucket(l.last_read_at, $2) as bucket
        from public.ami_meter_last_reads l
        join public.ami_meters m on m.tenant_id = l.tenant_id and m.meter_id = l.meter_id and m.active
       where l.tenant_id = $1
         and (l.last_read_at is null or l.last_read_at < $2 or $2 is null)
         and ($2 is null or $2 >= coalesce((select n.read_at from newest n), '-infinity'))
         -- Every active meter reported: nobody is stale, skip the scan.
         and ((select coalesce(sum(e.meters), 0) from expected e) <> (select coalesce(sum(r.reporting), 0) from reads r)
              or exists (select 1 from public.ami_meters x where x.tenant_id = $1 and not x.active))
      union all
      select m.feeder_id,
             case when l.last_read_at is null or l.last_read_at < $2
                  then ami_kpi_private.stale_bucket(l.last_read_at, $2)
                  else ami_kpi_private.stale_bucket_as_of($1, m.meter_id, $2)
             end
        from public.ami_meters m
        join public.ami_meter_last_reads l on l.tenant_id = m.tenant_id and l.meter_id = m.meter_id
       where m.tenant_id = $1 and m.active
         and $2 < (select n.read_at from newest n)
         and not exists (select 1 from public.meter_reads_electric r
                          where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = m.meter_id)
    ),
    stale as (
      select feeder_id,
             (count(*) filter (where bucket <> 'current'))::integer as not_current,
             (count(*) filter (where bucket = 'staleOver15m'))::integer as over_15m,
             (count(*) filter (where bucket = 'staleOver1h'))::integer as over_1h,
             (count(*) filter (where bucket = 'staleOver4h'))::integer as over_4h,
             (count(*) filter (where bucket = 'staleOver24h'))::integer as over_24h,
             (count(*) filter (where bucket = 'neverReported'))::integer as never
        from not_current
       group by feeder_id
    ),
    feeders as (
      select f.feeder_id,
             coalesce(e.meters, 0) as expected,
             coalesce(r.reporting, 0) as reporting,
             r.kwh, r.baseline, r.voltage_sum, r.voltage_min, r.voltage_max,
             coalesce(r.under_114, 0) as under_114,
             coalesce(r.over_126, 0) as over_126,
             coalesce(s.not_current, 0) as not_current,
             coalesce(s.over_15m, 0) as over_15m,
             coalesce(s.over_1h, 0) as over_1h,
             coalesce(s.over_4h, 0) as over_4h,
             coalesce(s.over_24h, 0) as over_24h,
             coalesce(s.never, 0) as never
        from public.ami_feeders f
        left join expected e on e.feeder_id = f.feeder_id
        left join reads r on r.feeder_id = f.feeder_id
        left join stale s on s.feeder_id = f.feeder_id
       where f.tenant_id = $1
    )
    select $1, $2,
           coalesce(sum(expected), 0)::integer,
           coalesce(sum(reporting), 0)::integer,
           coalesce(sum(greatest(expected - reporting, 0)), 0)::integer,
           ami_kpi_private.pct(sum(reporting), sum(expected)),
           coalesce(ami_kpi_private.round_to(sum(kwh), 4), 0),
           ami_kpi_private.round_to(sum(kwh) / nullif(sum(reporting), 0), 4),
           coalesce(ami_kpi_private.round_to(sum(baseline), 4), 0),
           ami_kpi_private.pct(sum(kwh) - sum(baseline), sum(baseline)),
           ami_kpi_private.round_to(sum(voltage_sum) / nullif(sum(reporting), 0), 2),
           min(voltage_min),
           max(voltage_max),
           coalesce(sum(under_114), 0)::integer,
           coalesce(sum(over_126), 0)::integer,
           coalesce(sum(expected - not_current), 0)::integer,
           coalesce(sum(over_15m), 0)::integer,
           coalesce(sum(over_1h), 0)::integer,
           coalesce(sum(over_4h), 0)::integer,
           coalesce(sum(over_24h), 0)::integer,
           coalesce(sum(never), 0)::integer,
           coalesce(array_agg(row(
             $1, $2, feeder_id, expected, reporting, greatest(expected - reporting, 0),
             ami_kpi_private.pct(reporting, expected),
             coalesce(ami_kpi_private.round_to(kwh, 4), 0),
             coalesce(ami_kpi_private.round_to(baseline, 4), 0),
             ami_kpi_private.pct(kwh - baseline, baseline),
             ami_kpi_private.round_to(kwh / nullif(reporting, 0), 4),
             ami_kpi_private.round_to(voltage_sum / nullif(reporting, 0), 2),
             voltage_min, voltage_max, under_114, over_126,
             not_current - never, never
           )::ami_kpi.feeder_kpi order by feeder_id) filter (where feeder_id is not null), '{}')
      from feeders
    $sql$ into result using tenant_id, read_at;
    return result;
  end
  $fn$;
comment on function ami_kpi.interval_kpis_at(text, timestamptz) is
  'The KPIs of a tenant for one interval (read_at on the tenant''s interval boundary): reporting summary, stale buckets by the age of each meter''s newest read measured from that interval, energy, voltage, and every feeder. A tenant without a fleet gives zeros.';

create function ami_kpi.feeder_kpis_at(tenant_id text, read_at timestamptz) returns setof ami_kpi.feeder_kpi
  language sql stable parallel safe
  as $$ select f.* from unnest((ami_kpi.interval_kpis_at($1, $2)).feeders) as f $$;
comment on function ami_kpi.feeder_kpis_at(text, timestamptz) is
  'The KPIs of each feeder of a tenant for one interval, by feeder id.';

--------------------------------------------------------------------------------
-- Tenants and their newest interval: the reference of every latest_* view.

create view ami_kpi.tenants as
  select f.tenant_id,
         f.meter_count,
         f.feeder_count,
         coalesce(a.interval_minutes, 15) as interval_minutes,
         coalesce(a.enabled, false) as auto_enabled,
         (select max(r.read_at) from public.meter_reads_electric r where r.tenant_id = f.tenant_id) as latest_interval,
         (select min(r.read_at) from public.meter_reads_electric r where r.tenant_id = f.tenant_id) as first_interval
    from public.ami_fleets f
    left join public.ami_auto_config a on a.tenant_id = f.tenant_id;
comment on view ami_kpi.tenants is E'@primaryKey tenant_id\nEach tenant with a registered fleet, and its newest interval: the reference time of its KPIs.';
comment on column ami_kpi.tenants.tenant_id is 'The tenant.';
comment on column ami_kpi.tenants.meter_count is 'Size of the fleet (active meters 1..meter_count).';
comment on column ami_kpi.tenants.feeder_count is 'Feeders of the fleet.';
comment on column ami_kpi.tenants.interval_minutes is 'Interval length of the tenant: from its auto mode configuration, 15 without one.';
comment on column ami_kpi.tenants.auto_enabled is 'True while automatic mode publishes the tenant.';
comment on column ami_kpi.tenants.latest_interval is 'The newest read_at with reads: the reference of the latest_* KPIs (never the wall clock). Null before the first read.';
comment on column ami_kpi.tenants.first_interval is 'The oldest read_at with reads.';

create view ami_kpi.latest_interval_kpis as
  select t.tenant_id, k.read_at, t.interval_minutes,
         k.expected_meters, k.reporting_meters, k.missing_meters, k.reporting_rate_pct,
         k.total_kwh, k.mean_kwh, k.baseline_kwh, k.kwh_deviation_pct,
         k.mean_voltage, k.min_voltage, k.max_voltage, k.under_114, k.over_126,
         k.current, k.stale_over_15m, k.stale_over_1h, k.stale_over_4h, k.stale_over_24h, k.never_reported
    from ami_kpi.tenants t
    cross join lateral ami_kpi.interval_kpis_at(t.tenant_id, t.latest_interval) k;
comment on view ami_kpi.latest_interval_kpis is E'@primaryKey tenant_id\nEach tenant''s KPIs for its newest interval with reads (what the quickcheck dashboard shows).';
comment on column ami_kpi.latest_interval_kpis.tenant_id is 'The tenant.';
comment on column ami_kpi.latest_interval_kpis.read_at is 'The newest interval with reads; null before the first read.';
comment on column ami_kpi.latest_interval_kpis.interval_minutes is 'Interval length of the tenant.';
comment on column ami_kpi.latest_interval_kpis.expected_meters is 'Active meters in the registry.';
comment on column ami_kpi.latest_interval_kpis.reporting_meters is 'Meters with a read in the interval.';
comment on column ami_kpi.latest_interval_kpis.missing_meters is 'Expected meters without a read in the interval.';
comment on column ami_kpi.latest_interval_kpis.reporting_rate_pct is '100 * reporting / expected, 2 decimals.';
comment on column ami_kpi.latest_interval_kpis.total_kwh is 'Energy of the interval, kWh.';
comment on column ami_kpi.latest_interval_kpis.mean_kwh is 'Energy per reporting meter, kWh.';
comment on column ami_kpi.latest_interval_kpis.baseline_kwh is 'The load model''s expectation for the reporting meters, kWh.';
comment on column ami_kpi.latest_interval_kpis.kwh_deviation_pct is 'Energy against the load model over the reporting meters, percent.';
comment on column ami_kpi.latest_interval_kpis.mean_voltage is 'Mean voltage, volts.';
comment on column ami_kpi.latest_interval_kpis.min_voltage is 'Lowest voltage, volts.';
comment on column ami_kpi.latest_interval_kpis.max_voltage is 'Highest voltage, volts.';
comment on column ami_kpi.latest_interval_kpis.under_114 is 'Reads under 114 V.';
comment on column ami_kpi.latest_interval_kpis.over_126 is 'Reads over 126 V.';
comment on column ami_kpi.latest_interval_kpis.current is 'Meters whose newest read is this interval.';
comment on column ami_kpi.latest_interval_kpis.stale_over_15m is 'Meters whose newest read is 15 min to under 1 h old.';
comment on column ami_kpi.latest_interval_kpis.stale_over_1h is 'Meters whose newest read is 1 h to under 4 h old.';
comment on column ami_kpi.latest_interval_kpis.stale_over_4h is 'Meters whose newest read is 4 h to under 24 h old.';
comment on column ami_kpi.latest_interval_kpis.stale_over_24h is 'Meters whose newest read is 24 h old or more.';
comment on column ami_kpi.latest_interval_kpis.never_reported is 'Meters that never reported.';

create view ami_kpi.latest_feeder_kpis as
  select t.tenant_id, f.read_at, f.feeder_id,
         f.expected_meters, f.reporting_meters, f.missing_meters, f.reporting_rate_pct,
         f.total_kwh, f.baseline_kwh, f.kwh_deviation_pct, f.mean_kwh,
         f.mean_voltage, f.min_voltage, f.max_voltage, f.under_114, f.over_126,
         f.stale_meters, f.never_reported
    from ami_kpi.tenants t
    cross join lateral ami_kpi.feeder_kpis_at(t.tenant_id, t.latest_interval) f;
comment on view ami_kpi.latest_feeder_kpis is E'@primaryKey tenant_id,feeder_id\nEach feeder''s KPIs for its tenant''s newest interval with reads (the feeders of quickcheck).';
comment on column ami_kpi.latest_feeder_kpis.tenant_id is 'The tenant.';
comment on column ami_kpi.latest_feeder_kpis.read_at is 'The tenant''s newest interval with reads.';
comment on column ami_kpi.latest_feeder_kpis.feeder_id is 'The feeder.';
comment on column ami_kpi.latest_feeder_kpis.expected_meters is 'Active meters of the feeder.';
comment on column ami_kpi.latest_feeder_kpis.reporting_meters is 'Meters of the feeder with a read in the interval.';
comment on column ami_kpi.latest_feeder_kpis.missing_meters is 'Expected meters without a read in the interval.';
comment on column ami_kpi.latest_feeder_kpis.reporting_rate_pct is '100 * reporting / expected, 2 decimals: near 100 * (1 - severity) under a comms outage.';
comment on column ami_kpi.latest_feeder_kpis.total_kwh is 'Energy of the feeder''s reads, kWh.';
comment on column ami_kpi.latest_feeder_kpis.baseline_kwh is 'The load model''s expectation for the same meters, kWh.';
comment on column ami_kpi.latest_feeder_kpis.kwh_deviation_pct is 'Energy against the load model over the meters that reported, percent: near -100 * severity under theft.';
comment on column ami_kpi.latest_feeder_kpis.mean_kwh is 'Energy per reporting meter, kWh.';
comment on column ami_kpi.latest_feeder_kpis.mean_voltage is 'Mean voltage, volts.';
comment on column ami_kpi.latest_feeder_kpis.min_voltage is 'Lowest voltage, volts.';
comment on column ami_kpi.latest_feeder_kpis.max_voltage is 'Highest voltage, volts.';
comment on column ami_kpi.latest_feeder_kpis.under_114 is 'Reads under 114 V: every reporting meter during a voltage sag.';
comment on column ami_kpi.latest_feeder_kpis.over_126 is 'Reads over 126 V.';
comment on column ami_kpi.latest_feeder_kpis.stale_meters is 'Meters whose newest read is 15 minutes old or more.';
comment on column ami_kpi.latest_feeder_kpis.never_reported is 'Meters that never reported.';

--------------------------------------------------------------------------------
-- History per interval, for charts: aggregated from the reads, so filter it by
-- tenant and read_at (the primary key order) and page through it.

create view ami_kpi.interval_history as
  select r.tenant_id,
         r.read_at,
         f.meter_count as fleet_meters,
         count(*)::integer as reporting_meters,
         ami_kpi_private.pct(count(*), f.meter_count) as reporting_rate_pct,
         ami_kpi_private.round_to(sum(r.kwh::double precision), 4) as total_kwh,
         ami_kpi_private.round_to(sum(r.baseline_kwh::double precision), 4) as baseline_kwh,
         ami_kpi_private.pct(sum(r.kwh::double precision) - sum(r.baseline_kwh::double precision), sum(r.baseline_kwh::double precision)) as kwh_deviation_pct,
         ami_kpi_private.round_to(avg(r.voltage::double precision), 2) as mean_voltage,
         min(r.voltage)::double precision as min_voltage,
         max(r.voltage)::double precision as max_voltage,
         (count(*) filter (where r.voltage < 114))::integer as under_114,
         (count(*) filter (where r.voltage > 126))::integer as over_126
    from public.meter_reads_electric r
    join public.ami_fleets f on f.tenant_id = r.tenant_id
   group by r.tenant_id, r.read_at, f.meter_count;
comment on view ami_kpi.interval_history is E'@primaryKey tenant_id,read_at\nOne row per tenant and interval with reads: reporting, energy and voltage over time. Filter by tenant and a read_at range: each row aggregates a whole interval.';
comment on column ami_kpi.interval_history.tenant_id is 'The tenant.';
comment on column ami_kpi.interval_history.read_at is 'The interval.';
comment on column ami_kpi.interval_history.fleet_meters is 'Size of the tenant''s fleet today (the registry keeps no history of it).';
comment on column ami_kpi.interval_history.reporting_meters is 'Meters with a read in the interval.';
comment on column ami_kpi.interval_history.reporting_rate_pct is '100 * reporting_meters / fleet_meters, 2 decimals.';
comment on column ami_kpi.interval_history.total_kwh is 'Energy of the interval, kWh.';
comment on column ami_kpi.interval_history.baseline_kwh is 'The load model''s expectation for the reporting meters, kWh.';
comment on column ami_kpi.interval_history.kwh_deviation_pct is 'Energy against the load model, percent.';
comment on column ami_kpi.interval_history.mean_voltage is 'Mean voltage, volts.';
comment on column ami_kpi.interval_history.min_voltage is 'Lowest voltage, volts.';
comment on column ami_kpi.interval_history.max_voltage is 'Highest voltage, volts.';
comment on column ami_kpi.interval_history.under_114 is 'Reads under 114 V.';
comment on column ami_kpi.interval_history.over_126 is 'Reads over 126 V.';

--------------------------------------------------------------------------------
-- Events and the tick ledger, read-only.

create view ami_kpi.events as
  select e.id::integer as id,
         e.tenant_id,
         e.feeder_id,
         e.type,
         e.severity,
         e.starts_at,
         e.ends_at,
         e.created_at,
         (e.starts_at <= now() and (e.ends_at is null or e.ends_at > now())) as active_now
    from public.ami_events e;
comment on view ami_kpi.events is E'@primaryKey id\nGrid events injected by operators. An event applies to the reads of its feeder with starts_at <= read_at < ends_at.';
comment on column ami_kpi.events.id is 'Event id.';
comment on column ami_kpi.events.tenant_id is 'The tenant.';
comment on column ami_kpi.events.feeder_id is 'The feeder affected.';
comment on column ami_kpi.events.type is 'theft (kwh *= 1 - severity), comms-outage (a share severity of the feeder''s meters stops reporting) or voltage-sag (voltage falls into 90-114 V).';
comment on column ami_kpi.events.severity is 'Strength, in (0, 1].';
comment on column ami_kpi.events.starts_at is 'First instant of the event.';
comment on column ami_kpi.events.ends_at is 'End, exclusive; null while open-ended.';
comment on column ami_kpi.events.created_at is 'When it was injected.';
comment on column ami_kpi.events.active_now is 'True when the event is in force at the time of the query (database clock).';

-- The rule of quickcheck's activeEvents: the events that affected the
-- interval, plus (when at_time is given) those in force at that time, which
-- the data may not show yet. An event injected a minute ago shows at once.
create function ami_kpi.events_at(tenant_id text, read_at timestamptz, at_time timestamptz) returns setof ami_kpi.events
  language sql stable parallel safe
  as $$
    select e.*
      from ami_kpi.events e
     where e.tenant_id = $1
       and ((e.starts_at <= $2 and (e.ends_at is null or e.ends_at > $2))
            or (e.starts_at <= $3 and (e.ends_at is null or e.ends_at > $3)))
     order by e.feeder_id, e.starts_at, e.id
  $$;
comment on function ami_kpi.events_at(text, timestamptz, timestamptz) is
  'Events of a tenant that affected the interval read_at (starts_at <= read_at < ends_at) or, when at_time is given, are in force at at_time.';

create view ami_kpi.latest_active_events as
  select e.*
    from ami_kpi.tenants t
    cross join lateral ami_kpi.events_at(t.tenant_id, t.latest_interval, now()) e;
comment on view ami_kpi.latest_active_events is E'@primaryKey id\nFor each tenant, the events that affected its newest interval or are in force now (quickcheck''s activeEvents).';
comment on column ami_kpi.latest_active_events.id is 'Event id.';
comment on column ami_kpi.latest_active_events.tenant_id is 'The tenant.';
comment on column ami_kpi.latest_active_events.feeder_id is 'The feeder affected.';
comment on column ami_kpi.latest_active_events.type is 'theft, comms-outage or voltage-sag.';
comment on column ami_kpi.latest_active_events.severity is 'Strength, in (0, 1].';
comment on column ami_kpi.latest_active_events.starts_at is 'First instant of the event.';
comment on column ami_kpi.latest_active_events.ends_at is 'End, exclusive; null while open-ended.';
comment on column ami_kpi.latest_active_events.created_at is 'When it was injected.';
comment on column ami_kpi.latest_active_events.active_now is 'True when in force now; false when it ended after the newest interval.';

create view ami_kpi.ticks as
  select t.tenant_id, t.read_at, t.requested_by, t.status, t.skip_reason,
         t.meter_count, t.feeder_count, t.batch_size, t.batch_count, t.attempts,
         t.jobs_enqueued, t.batches_done, t.rows_written, t.queue_depth_at_request,
         t.requested_at, t.enqueued_at, t.first_batch_at, t.completed_at,
         (extract(epoch from t.completed_at - t.enqueued_at) * 1000)::integer as duration_ms
    from public.ami_ticks t;
comment on view ami_kpi.ticks is E'@primaryKey tenant_id,read_at\nThe tick ledger: one row per tenant and interval ever requested, with who asked, what was enqueued and how it ended.';
comment on column ami_kpi.ticks.tenant_id is 'The tenant.';
comment on column ami_kpi.ticks.read_at is 'The interval published.';
comment on column ami_kpi.ticks.requested_by is 'cron, catch-up or manual.';
comment on column ami_kpi.ticks.status is 'enqueued, complete or skipped (see skip_reason).';
comment on column ami_kpi.ticks.skip_reason is 'Why the last attempt was skipped (backpressure).';
comment on column ami_kpi.ticks.meter_count is 'Meters published.';
comment on column ami_kpi.ticks.feeder_count is 'Feeders of the fleet.';
comment on column ami_kpi.ticks.batch_size is 'Meters per batch job.';
comment on column ami_kpi.ticks.batch_count is 'Batches that make the interval whole.';
comment on column ami_kpi.ticks.attempts is 'Publish attempts.';
comment on column ami_kpi.ticks.jobs_enqueued is 'Batch jobs enqueued over all attempts.';
comment on column ami_kpi.ticks.batches_done is 'Batches that have landed.';
comment on column ami_kpi.ticks.rows_written is 'Reads inserted.';
comment on column ami_kpi.ticks.queue_depth_at_request is 'Waiting + delayed batch jobs when the last attempt was decided.';
comment on column ami_kpi.ticks.requested_at is 'When the interval was first requested.';
comment on column ami_kpi.ticks.enqueued_at is 'When its batches were last enqueued.';
comment on column ami_kpi.ticks.first_batch_at is 'When the first batch landed.';
comment on column ami_kpi.ticks.completed_at is 'When the last batch landed.';
comment on column ami_kpi.ticks.duration_ms is 'completed_at - enqueued_at in milliseconds: the ingest latency.';

--------------------------------------------------------------------------------
-- Grants: the reader sees the KPI schema and the tables its functions read
-- (functions run with the caller's rights), and can change nothing.

grant usage on schema ami_kpi, ami_kpi_private to ami_kpi_reader;
grant select on all tables in schema ami_kpi to ami_kpi_reader;
grant execute on all functions in schema ami_kpi, ami_kpi_private to ami_kpi_reader;
grant select on public.meter_reads_electric, public.ami_meters, public.ami_meter_last_reads, public.ami_fleets,
  public.ami_feeders, public.ami_events, public.ami_ticks, public.ami_auto_config to ami_kpi_reader;
