/**
 * `npx tsx bench/series.ts`: latency of GET /api/ami/kpi/series (the
 * dashboard's charts) at full size: 25,000 meters x 96 intervals, 2.4 M reads.
 * Not a test: it prints figures for the README, it asserts nothing.
 *
 *   BENCH_DATABASE_URL   superuser connection used to create a scratch database
 *                        (default postgres://postgres@127.0.0.1:5432/postgres)
 *   SERIES_METERS        fleet size (default 25000)
 *   SERIES_INTERVALS     15-minute intervals of reads (default 96: a day)
 *   SERIES_RUNS          measured requests (default 30)
 */
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { makeApp } from '../src/api/app.ts';
import { loadConfig } from '../src/config.ts';
import { ensureFleet } from '../src/db/fleet.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createPool, withTransaction } from '../src/db/pool.ts';
import { intervalSeries, seriesContext } from '../src/db/series.ts';
import { fleetProfiles, generateBatch, getAlignedIntervalTimestamp } from '../src/emulator/index.ts';
import { createLogger } from '../src/logger.ts';

const logger = createLogger({ level: 'warn', pretty: false });
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const METERS = Number(process.env.SERIES_METERS ?? 25_000);
const INTERVALS = Number(process.env.SERIES_INTERVALS ?? 96);
const RUNS = Number(process.env.SERIES_RUNS ?? 30);
const FEEDERS = 25;
const TENANT = 'BENCH_SERIES';
const CHUNK = 5_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const name = `ami_bench_series_${process.pid}`;
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), logger, { max: 8, applicationName: 'ami-bench-series' });
  try {
    await migrateDatabase({ pool, connectionString: url.toString(), logger });
    await withTransaction(pool, (client) => ensureFleet(client, { tenantId: TENANT, meterCount: METERS, feederCount: FEEDERS }));

    // A day of reads from the real generator, oldest interval first, as the ingest writes them.
    const latest = getAlignedIntervalTimestamp(15, new Date());
    const profiles = fleetProfiles(TENANT, 1, METERS, FEEDERS);
    const loadStarted = performance.now();
    for (let i = INTERVALS - 1; i >= 0; i--) {
      const readAt = new Date(latest.getTime() - i * 900_000);
      const reads = generateBatch(TENANT, profiles, readAt, []);
      for (let from = 0; from < reads.length; from += CHUNK) {
        const chunk = reads.slice(from, from + CHUNK);
        await pool.query(
          `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
           select $1, $2, * from unnest($3::int[], $4::int[], $5::real[], $6::real[], $7::real[])`,
          [TENANT, readAt, chunk.map((r) => r.meterId), chunk.map((r) => r.feederId), chunk.map((r) => r.kwh), chunk.map((r) => r.voltage), chunk.map((r) => r.baselineKwh)],
        );
      }
    }
    await pool.query('vacuum analyze meter_reads_electric');
    const { rows } = await pool.query<{ reads: number; size: string }>(
      `select count(*)::int as reads, pg_size_pretty(pg_total_relation_size('meter_reads_electric')) as size from meter_reads_electric`,
    );
    console.log(`loaded ${rows[0]!.reads.toLocaleString('en-US')} reads (${METERS.toLocaleString('en-US')} meters x ${INTERVALS} intervals, ${rows[0]!.size}) in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

    // The endpoint itself, over HTTP, as the page calls it.
    const config = loadConfig({ DATABASE_URL: url.toString() });
    const app = makeApp({ config, pool, logger, isReady: async () => true });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const request = async () => {
      const started = performance.now();
      const res = await fetch(`${base}/api/ami/kpi/series?tenantId=${TENANT}&hours=24`);
      const body = (await res.json()) as { points: unknown[] };
      if (res.status !== 200 || body.points.length !== Math.min(INTERVALS, 96)) throw new Error(`unexpected answer ${res.status}: ${body.points.length} points`);
      return performance.now() - started;
    };
    for (let i = 0; i < 3; i++) await request();
    const timings: number[] = [];
    for (let i = 0; i < RUNS; i++) timings.push(await request());
    server.close();

    const context = await seriesContext(pool, TENANT);
    const from = new Date(context.latestInterval!.getTime() - 24 * 3_600_000 + 15 * 60_000);
    const contextStarted = performance.now();
    await seriesContext(pool, TENANT);
    const contextMs = performance.now() - contextStarted;
    const queryStarted = performance.now();
    await intervalSeries(pool, TENANT, from, context.latestInterval!, context.expectedMeters);
    const queryMs = performance.now() - queryStarted;

    console.log(`GET /api/ami/kpi/series?hours=24 (96 points), ${RUNS} requests after 3 warm-ups:`);
    console.log(`  median ${ms(percentile(timings, 50))}, p95 ${ms(percentile(timings, 95))}, max ${ms(Math.max(...timings))}`);
    console.log(`  of which: context (latest interval, expected meters) ${ms(contextMs)}, aggregate over the window ${ms(queryMs)}`);
    // The plan as intervalSeries runs it (its planner settings).
    const plan = await withTransaction(pool, async (client) => {
      await client.query('set local random_page_cost = 1.1; set local jit = off');
      return client.query(
        `explain (analyze, buffers, costs off)
         select r.read_at, count(*), sum(r.kwh::float8), sum(r.baseline_kwh::float8), avg(r.voltage::float8), min(r.voltage),
                count(*) filter (where r.voltage < 114)
           from meter_reads_electric r
          where r.tenant_id = $1 and r.read_at >= $2 and r.read_at <= $3
          group by r.read_at order by r.read_at`,
        [TENANT, from, context.latestInterval],
      );
    });
    console.log('plan of the aggregate:');
    for (const row of plan.rows as Array<Record<string, string>>) console.log(`  ${row['QUERY PLAN']}`);
    const version = await pool.query<{ server_version: string }>('show server_version');
    console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} x ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, PostgreSQL ${version.rows[0]!.server_version}`);
  } finally {
    await pool.end();
    await admin(`drop database if exists ${name} with (force)`);
  }
}

await main();
