/**
 * The `series` section of `npm run bench`: latency of GET /api/ami/kpi/series
 * (the dashboard's charts) at full size, 25,000 meters x 96 intervals (2.4 M
 * reads) by default.
 *
 *   SERIES_METERS        fleet size (default 25000)
 *   SERIES_INTERVALS     15-minute intervals of reads (default 96: a day)
 *   SERIES_RUNS          measured requests (default 30)
 */
import { ensureFleet } from '../src/db/fleet.ts';
import { withTransaction } from '../src/db/pool.ts';
import { intervalSeries, SERIES_SQL, seriesContext } from '../src/db/series.ts';
import { fleetProfiles, generateBatch, getAlignedIntervalTimestamp, tenantModel } from '../src/emulator/index.ts';
import { recordTicks } from './history.ts';
import { fmt, percentile, scratchDatabase, startApi } from './scratch.ts';

const METERS = Number(process.env.SERIES_METERS ?? 25_000);
const INTERVALS = Number(process.env.SERIES_INTERVALS ?? 96);
const RUNS = Number(process.env.SERIES_RUNS ?? 30);
const FEEDERS = 25;
const TENANT = 'BENCH_SERIES';
const CHUNK = 5_000;
const ms = (value: number) => `${fmt(value, 1)} ms`;

export async function seriesSection(): Promise<void> {
  console.log(`\n## Dashboard series: ${fmt(METERS)} meters x ${INTERVALS} intervals\n`);
  const db = await scratchDatabase('series', 8);
  const { pool } = db;
  try {
    await withTransaction(pool, (client) => ensureFleet(client, { tenantId: TENANT, meterCount: METERS, feederCount: FEEDERS, now: new Date() }));
    // The daily partitions of the day loaded, as the worker's maintenance keeps them.
    await pool.query(`select ami_private.ensure_read_partitions(ami_private.utc_day(now() - interval '1 day'), ami_private.utc_day(now()))`);

    // A day of reads from the real generator, oldest interval first, as the ingest writes them.
    const latest = getAlignedIntervalTimestamp(15, new Date());
    const profiles = fleetProfiles(tenantModel(TENANT), 1, METERS, FEEDERS);
    const loadStarted = performance.now();
    for (let i = INTERVALS - 1; i >= 0; i--) {
      const readAt = new Date(latest.getTime() - i * 900_000);
      const reads = generateBatch(tenantModel(TENANT), profiles, readAt, []);
      for (let from = 0; from < reads.length; from += CHUNK) {
        const chunk = reads.slice(from, from + CHUNK);
        await pool.query(
          `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
           select $1, $2, * from unnest($3::int[], $4::int[], $5::real[], $6::real[], $7::real[])`,
          [
            TENANT,
            readAt,
            chunk.map((r) => r.meterId),
            chunk.map((r) => r.feederId),
            chunk.map((r) => r.kwh),
            chunk.map((r) => r.voltage),
            chunk.map((r) => r.baselineKwh),
          ],
        );
      }
    }
    // The tick ledger, as the ingest leaves it: the series reads each interval's expected meters from its tick.
    const readAts = Array.from({ length: INTERVALS }, (_, i) => new Date(latest.getTime() - (INTERVALS - 1 - i) * 900_000));
    await recordTicks(pool, { tenantId: TENANT, meterCount: METERS, feederCount: FEEDERS, latest, intervals: INTERVALS, connections: 1 }, readAts);
    await pool.query('vacuum analyze');
    const { rows } = await pool.query<{ reads: number; size: string }>(
      `select count(*)::int as reads,
              pg_size_pretty((select sum(pg_total_relation_size(i.inhrelid)) from pg_inherits i where i.inhparent = 'meter_reads_electric'::regclass)) as size
         from meter_reads_electric`,
    );
    console.log(
      `loaded ${fmt(rows[0]!.reads)} reads (${fmt(METERS)} meters x ${INTERVALS} intervals, ${rows[0]!.size}) in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );

    // The endpoint itself, over HTTP, as the page calls it.
    const api = await startApi(db);
    const request = async () => {
      const started = performance.now();
      const res = await fetch(`${api.url}/api/ami/kpi/series?tenantId=${TENANT}&hours=24`);
      const body = (await res.json()) as { points: unknown[] };
      if (res.status !== 200 || body.points.length !== Math.min(INTERVALS, 96))
        throw new Error(`unexpected answer ${res.status}: ${body.points.length} points`);
      return performance.now() - started;
    };
    for (let i = 0; i < 3; i++) await request();
    const timings: number[] = [];
    for (let i = 0; i < RUNS; i++) timings.push(await request());
    await api.close();

    const context = await seriesContext(pool, TENANT);
    const from = new Date(context.latestInterval!.getTime() - 24 * 3_600_000 + 15 * 60_000);
    const contextStarted = performance.now();
    await seriesContext(pool, TENANT);
    const contextMs = performance.now() - contextStarted;
    const queryStarted = performance.now();
    await intervalSeries(pool, TENANT, from, context.latestInterval!);
    const queryMs = performance.now() - queryStarted;

    console.log(`GET /api/ami/kpi/series?hours=24 (96 points), ${RUNS} requests after 3 warm-ups:`);
    console.log(`  median ${ms(percentile(timings, 0.5))}, p95 ${ms(percentile(timings, 0.95))}, max ${ms(Math.max(...timings))}`);
    console.log(`  of which: context (latest interval) ${ms(contextMs)}, aggregate over the window ${ms(queryMs)}`);
    // The plan of the statement intervalSeries runs.
    const plan = await pool.query(`explain (analyze, buffers, costs off) ${SERIES_SQL}`, [TENANT, from, context.latestInterval]);
    console.log('plan of the aggregate:');
    for (const row of plan.rows as Array<Record<string, string>>) console.log(`  ${row['QUERY PLAN']}`);
  } finally {
    await db.drop();
  }
}
