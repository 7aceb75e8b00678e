--! Previous: sha1:e245f4f6c7ffe4cef411709148ba473066066af4
--! Hash: sha1:c6bc391126c04437fd96b0f777df1c7cac68aa2e
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
comment on column ami_kpi.feeder_kpi.reporting_meters is 'Active meters of the feeder with a read in the interval (the reads of meters retired from a shrunk fleet count nowhere).';
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

-- Intermediate figures of interval_kpis_at, per feeder.
create type ami_kpi_private.feeder_reads as (
  feeder_id integer,
  expected integer,
  reporting integer,
  kwh double precision,
  baseline double precision,
  voltage_sum double precision,
  voltage_min double precision,
  voltage_max double precision,
  under_114 integer,
  over_126 integer
);
comment on type ami_kpi_private.feeder_reads is 'One feeder in one interval: its active meters, and the sums of its reads.';

create type ami_kpi_private.feeder_stale as (
  feeder_id integer,
  not_current integer,
  over_15m integer,
  over_1h integer,
  over_4h integer,
  over_24h integer,
  never integer
);
comment on type ami_kpi_private.feeder_stale is 'One feeder in one interval: its active meters that are not current, by stale bucket.';

-- The figures of one interval, in steps (each EXECUTE is planned with the
-- actual tenant and interval):
--  1. the interval's reads and the active meters, per feeder: key range scans
--     only (enable_seqscan off: on a server with one large tenant the
--     statistics can claim an interval of a small one holds a million rows,
--     and a scan of the whole table follows);
--  2. the meters that are not current, by feeder and by stale bucket:
--     a. every active meter reported in the interval (no retired meter, and
--        as many reads as expected meters): none, nothing more to read (the
--        usual case, whichever the interval);
--     b. the newest interval, no retired meter: every registered meter is
--        expected, so a feeder's meters that are not current are its missing
--        meters. One scan of ami_meter_last_reads (kept by the ingest: each
--        meter's newest read as of the interval; the planner picks a
--        sequential scan for a large tenant) gives the bucket counts and the
--        never-reported meters, whose feeders are then looked up;
--     c. the newest interval with retired meters: the same scan collects the
--        meters that are not current, then the registry gives feeder and
--        status of each;
--     d. a past interval with missing meters: the meters without a read in
--        it (one pass over the interval). For each of those that has reported
--        since, its newest read as of the interval is found by bounded
--        probes: one primary-key lookup per quarter hour of the day before
--        (newest first, at most 95), then, if none, one forward scan that
--        stops at its first read older than a day (staleOver24h) or finds
--        none (neverReported);
--  3. the totals and the feeder rows, from 1 and 2.
create function ami_kpi.interval_kpis_at(tenant_id text, read_at timestamptz) returns ami_kpi.interval_kpi
  -- Parallel unsafe: it changes a setting (set_config) between its statements.
  language plpgsql stable parallel unsafe
  set enable_seqscan = off
  -- JIT compilation costs more than these queries take.
  set jit = off
  as $fn$
  declare
    figures ami_kpi_private.feeder_reads[];
    stale ami_kpi_private.feeder_stale[];
    -- The tenant's bucket totals: not current, 15m, 1h, 4h, 24h, never.
    totals integer[];
    newest timestamptz;
    retired boolean;
    every_meter_reported boolean;
    dark_meters integer[];
    dark_last_reads timestamptz[];
    result ami_kpi.interval_kpi;
  begin
    -- Meters retired by a shrunk fleet are not expected: their reads, if any,
    -- are left out below (only then is the registry consulted per read).
    retired := exists (select 1 from public.ami_meters x where x.tenant_id = interval_kpis_at.tenant_id and not x.active);

    -- Step 1.
    execute $sql$
      with reads as (
        select r.feeder_id,
               count(*)::integer as reporting,
               sum(r.kwh::double precision) as kwh,
               sum(r.baseline_kwh::double precision) as baseline,
               sum(r.voltage::double precision) as voltage_sum,
               min(r.voltage)::numeric::double precision as voltage_min,
               max(r.voltage)::numeric::double precision as voltage_max,
               (count(*) filter (where r.voltage < 114))::integer as under_114,
               (count(*) filter (where r.voltage > 126))::integer as over_126
          from public.meter_reads_electric r
         where r.tenant_id = $1 and r.read_at = $2
           and (not $3 or exists (select 1 from public.ami_meters a
                                   where a.tenant_id = $1 and a.meter_id = r.meter_id and a.active))
         group by r.feeder_id
      ),
      expected as (
        select m.feeder_id, count(*)::integer as meters
          from public.ami_meters m
         where m.tenant_id = $1 and m.active
         group by m.feeder_id
      )
      select coalesce(array_agg(row(
               f.feeder_id, coalesce(e.meters, 0), coalesce(r.reporting, 0),
               r.kwh, r.baseline, r.voltage_sum, r.voltage_min, r.voltage_max,
               coalesce(r.under_114, 0), coalesce(r.over_126, 0)
             )::ami_kpi_private.feeder_reads order by f.feeder_id), '{}')
        from public.ami_feeders f
        left join expected e on e.feeder_id = f.feeder_id
        left join reads r on r.feeder_id = f.feeder_id
       where f.tenant_id = $1
    $sql$ into figures using tenant_id, read_at, retired;

    -- Step 2.
    execute 'select max(r.read_at) from public.meter_reads_electric r where r.tenant_id = $1' into newest using tenant_id;
    select coalesce(sum(f.expected), 0) = coalesce(sum(f.reporting), 0) into every_meter_reported from unnest(figures) f;

    if every_meter_reported and read_at is not null and not retired then
      -- a.
      stale := '{}';
    elsif read_at is not null and read_at < coalesce(newest, '-infinity') then
      -- d.
      execute $sql$
        select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
          from (
            select b.feeder_id,
                   (count(*) filter (where b.bucket <> 'current'))::integer as not_current,
                   (count(*) filter (where b.bucket = 'staleOver15m'))::integer as over_15m,
                   (count(*) filter (where b.bucket = 'staleOver1h'))::integer as over_1h,
                   (count(*) filter (where b.bucket = 'staleOver4h'))::integer as over_4h,
                   (count(*) filter (where b.bucket = 'staleOver24h'))::integer as over_24h,
                   (count(*) filter (where b.bucket = 'neverReported'))::integer as never
              from (
                select missing.feeder_id,
                       case
                         -- Its newest read of all is older than the interval: that is the one.
                         when missing.last_read_at is null or missing.last_read_at < $2
                           then ami_kpi_private.stale_bucket(missing.last_read_at, $2)
                         when within_day.read_at is not null
                           then ami_kpi_private.stale_bucket(within_day.read_at, $2)
                         when exists (select 1 from public.meter_reads_electric r
                                       where r.tenant_id = $1 and r.read_at <= $2 - interval '24 hours' and r.meter_id = missing.meter_id)
                           then 'staleOver24h'
                         else 'neverReported'
                       end as bucket
                  from (
                    select m.meter_id, m.feeder_id, l.last_read_at
                      from public.ami_meters m
                      join public.ami_meter_last_reads l on l.tenant_id = m.tenant_id and l.meter_id = m.meter_id
                     where m.tenant_id = $1 and m.active
                       and not exists (select 1 from public.meter_reads_electric r
                                        where r.tenant_id = $1 and r.read_at = $2 and r.meter_id = m.meter_id)
                  ) missing
                  -- Its newest read in the day before, for a meter that has
                  -- reported since: one primary-key probe per quarter hour,
                  -- newest first, stopping at the first found.
                  left join lateral (
                    select q.read_at
                      from generate_series($2 - interval '15 minutes', $2 - interval '23 hours 45 minutes', interval '-15 minutes') as q(read_at)
                     where missing.last_read_at > $2
                       and exists (select 1 from public.meter_reads_electric r
                                    where r.tenant_id = $1 and r.read_at = q.read_at and r.meter_id = missing.meter_id)
                     limit 1
                  ) within_day on true
              ) b
             group by b.feeder_id
          ) s
      $sql$ into stale using tenant_id, read_at;
    else
      perform set_config('enable_seqscan', 'on', true);
      execute $sql$
        select array[(count(*) filter (where b.bucket <> 'current'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver15m'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver1h'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver4h'))::integer,
                     (count(*) filter (where b.bucket = 'staleOver24h'))::integer,
                     (count(*) filter (where b.bucket = 'neverReported'))::integer],
               coalesce(array_agg(b.meter_id) filter (where $3 or b.bucket = 'neverReported'), '{}'),
               coalesce(array_agg(b.last_read_at) filter (where $3 or b.bucket = 'neverReported'), '{}')
          from (select l.meter_id, l.last_read_at, ami_kpi_private.stale_bucket(l.last_read_at, $2) as bucket
                  from public.ami_meter_last_reads l
                 where l.tenant_id = $1 and (l.last_read_at is null or $2 is null or l.last_read_at < $2)) b
      $sql$ into totals, dark_meters, dark_last_reads using tenant_id, read_at, retired;
      perform set_config('enable_seqscan', 'off', true);
      -- The registry for the meters collected: all of them (c), or only the
      -- never-reported ones (b), usually none.
      execute $sql$
        select coalesce(array_agg(row(s.feeder_id, s.not_current, s.over_15m, s.over_1h, s.over_4h, s.over_24h, s.never)::ami_kpi_private.feeder_stale), '{}')
          from (
            select m.feeder_id,
                   (count(*) filter (where b.bucket <> 'current'))::integer as not_current,
                   (count(*) filter (where b.bucket = 'staleOver15m'))::integer as over_15m,
                   (count(*) filter (where b.bucket = 'staleOver1h'))::integer as over_1h,
                   (count(*) filter (where b.bucket = 'staleOver4h'))::integer as over_4h,
                   (count(*) filter (where b.bucket = 'staleOver24h'))::integer as over_24h,
                   (count(*) filter (where b.bucket = 'neverReported'))::integer as never
              from (select d.meter_id, ami_kpi_private.stale_bucket(d.last_read_at, $2) as bucket
                      from unnest($3::integer[], $4::timestamptz[]) as d(meter_id, last_read_at)) b
              join public.ami_meters m on m.tenant_id = $1 and m.meter_id = b.meter_id and m.active
             group by m.feeder_id
          ) s
      $sql$ into stale using tenant_id, read_at, dark_meters, dark_last_reads;
      if not retired then
        -- b: a feeder's meters that are not current are its missing ones.
        select coalesce(array_agg(row(f.feeder_id, greatest(f.expected - f.reporting, 0), null, null, null, null, coalesce(s.never, 0))::ami_kpi_private.feeder_stale), '{}')
          into stale
          from unnest(figures) f
          left join unnest(stale) s on s.feeder_id = f.feeder_id;
      else
        -- c: the scan counted retired meters too; the registry's answer holds.
        totals := null;
      end if;
    end if;
    if totals is null then
      select array[coalesce(sum(s.not_current), 0), coalesce(sum(s.over_15m), 0), coalesce(sum(s.over_1h), 0),
                   coalesce(sum(s.over_4h), 0), coalesce(sum(s.over_24h), 0), coalesce(sum(s.never), 0)]::integer[]
        into totals
        from unnest(stale) s;
    end if;

    -- Step 3.
    select interval_kpis_at.tenant_id, interval_kpis_at.read_at,
           coalesce(sum(f.expected), 0)::integer,
           coalesce(sum(f.reporting), 0)::integer,
           coalesce(sum(greatest(f.expected - f.reporting, 0)), 0)::integer,
           ami_kpi_private.pct(sum(f.reporting), sum(f.expected)),
           coalesce(ami_kpi_private.round_to(sum(f.kwh), 4), 0),
           ami_kpi_private.round_to(sum(f.kwh) / nullif(sum(f.reporting), 0), 4),
           coalesce(ami_kpi_private.round_to(sum(f.baseline), 4), 0),
           ami_kpi_private.pct(sum(f.kwh) - sum(f.baseline), sum(f.baseline)),
           ami_kpi_private.round_to(sum(f.voltage_sum) / nullif(sum(f.reporting), 0), 2),
           min(f.voltage_min),
           max(f.voltage_max),
           coalesce(sum(f.under_114), 0)::integer,
           coalesce(sum(f.over_126), 0)::integer,
           (coalesce(sum(f.expected), 0) - totals[1])::integer,
           totals[2], totals[3], totals[4], totals[5], totals[6],
           coalesce(array_agg(row(
             interval_kpis_at.tenant_id, interval_kpis_at.read_at, f.feeder_id, f.expected, f.reporting,
             greatest(f.expected - f.reporting, 0),
             ami_kpi_private.pct(f.reporting, f.expected),
             coalesce(ami_kpi_private.round_to(f.kwh, 4), 0),
             coalesce(ami_kpi_private.round_to(f.baseline, 4), 0),
             ami_kpi_private.pct(f.kwh - f.baseline, f.baseline),
             ami_kpi_private.round_to(f.kwh / nullif(f.reporting, 0), 4),
             ami_kpi_private.round_to(f.voltage_sum / nullif(f.reporting, 0), 2),
             f.voltage_min, f.voltage_max, f.under_114, f.over_126,
             coalesce(s.not_current - s.never, 0), coalesce(s.never, 0)
           )::ami_kpi.feeder_kpi order by f.feeder_id) filter (where f.feeder_id is not null), '{}')
      into result
      from unnest(figures) f
      left join unnest(stale) s on s.feeder_id = f.feeder_id;
    return result;
  end
  $fn$;
comment on function ami_kpi.interval_kpis_at(text, timestamptz) is
  'The KPIs of a tenant for one interval (read_at on the tenant''s interval boundary): reporting summary, stale buckets by the age of each meter''s newest read measured from that interval, energy, voltage, and every feeder. A tenant without a fleet gives zeros.';

create function ami_kpi.feeder_kpis_at(tenant_id text, read_at timestamptz) returns setof ami_kpi.feeder_kpi
  language sql stable parallel unsafe
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
         min(r.voltage)::numeric::double precision as min_voltage,
         max(r.voltage)::numeric::double precision as max_voltage,
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
