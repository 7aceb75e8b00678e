/**
 * `npm run bench`: measures the data plane on this machine, in one run.
 * Not a test: it prints figures for the README, it asserts nothing.
 *
 *   BENCH_DATABASE_URL   superuser connection used to create a scratch database
 *                        (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_SECTIONS       comma list of sections to run: ingest, kpi, series, retention, tenants, load (default: all)
 *   BENCH_MILLION=0      skip the 1,000,000-meter tick and KPI runs
 *   BENCH_KPI_DAYS       days of history for the 25,000-meter KPI run (default 7)
 *   SERIES_METERS, SERIES_INTERVALS, SERIES_RUNS   the series run (default 25000, 96: a day, 30)
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import type { Pool } from '../src/db/pool.ts';
import { getAlignedIntervalTimestamp } from '../src/emulator/index.ts';
import { publishTick } from '../src/ingest/publishTick.ts';
import { startWorker } from '../src/worker/runner.ts';
import { appendInterval, loadHistory, registerFleet, type HistoryShape } from './history.ts';
import { rawFleet, rawInsert } from './raw.ts';
import { seriesSection } from './series.ts';
import { retentionSection } from './retention.ts';
import { adminUrl, fmt, logger, median, percentile, scratchDatabase, startApi, summary, target } from './scratch.ts';
import { tenantsSection } from './tenants.ts';

const QUARTER = 900_000;

/** Publishes one tick through the queue and waits for its ledger row to be complete. */
async function queuedTick(pool: Pool, config: ReturnType<typeof loadConfig>, tenantId: string, readAt: Date, meterCount: number, batchSize: number) {
  const started = performance.now();
  const result = await publishTick({ pool, caps: config.caps, logger, clock: systemClock, retentionDays: 0 }, tenantId, readAt, meterCount, 25, batchSize, {
    requestedBy: 'manual',
    onBackpressure: 'refuse',
  });
  if (result.outcome !== 'enqueued') throw new Error(`tick not enqueued: ${JSON.stringify(result)}`);
  const enqueuedMs = performance.now() - started;
  for (;;) {
    const { rows } = await pool.query(`select status, rows_written from ami_ticks where tenant_id = $1 and read_at = $2`, [tenantId, readAt]);
    if (rows[0]?.status === 'complete') return { totalMs: performance.now() - started, enqueuedMs, rows: rows[0].rows_written as number };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function ingestSection(): Promise<void> {
  const config = loadConfig({
    ...process.env,
    AMI_MAX_METER_COUNT: '1000000',
    AMI_MAX_JOBS_PER_TICK: '2000',
    AMI_MAX_QUEUE_DEPTH: '2000',
    AMI_MAX_BATCH_SIZE: '5000',
  });
  const db = await scratchDatabase('ingest');
  const now = getAlignedIntervalTimestamp(15, new Date());
  const interval = (n: number) => new Date(now.getTime() - n * QUARTER);
  // The daily partitions of the window, as the worker's maintenance keeps them.
  await db.pool.query('select ami_private.ensure_read_partitions(ami_private.utc_day($1), ami_private.utc_day($2))', [interval(310), now]);
  try {
    console.log('\n## Ingest: one 25,000-meter tick\n');
    const raw: number[] = [];
    const rawSingle: number[] = [];
    await rawFleet(db.pool, 'RAW', interval(99), 25_000);
    await rawFleet(db.pool, 'RAW1', interval(99), 25_000);
    for (let i = 0; i < 5; i++) raw.push(await rawInsert(db.pool, 'RAW', interval(100 + i), 25_000, 500, 8));
    for (let i = 0; i < 5; i++) rawSingle.push(await rawInsert(db.pool, 'RAW1', interval(100 + i), 25_000, 25_000, 1));
    const rawMs = Math.min(median(raw), median(rawSingle));

    const worker = await startWorker({ pool: db.pool, config, logger, connectionString: db.url });
    try {
      // Registers the fleet (25,000 meters) outside the timing.
      await queuedTick(db.pool, config, 'DEMO_TENANT', interval(200), 25_000, 500);
      const ticks: number[] = [];
      for (let i = 0; i < 7; i++) ticks.push((await queuedTick(db.pool, config, 'DEMO_TENANT', interval(i), 25_000, 500)).totalMs);
      const tickMs = median(ticks);
      console.log('| path | median | reads/s |');
      console.log('|---|---|---|');
      console.log(
        `| raw INSERT ... SELECT unnest ON CONFLICT DO NOTHING of a registered fleet, 50 x 500 rows over 8 connections (5 runs) | ${fmt(median(raw))} ms | ${fmt(25_000 / (median(raw) / 1000))} |`,
      );
      console.log(`| raw, one 25,000-row statement (5 runs) | ${fmt(median(rawSingle))} ms | ${fmt(25_000 / (median(rawSingle) / 1000))} |`);
      console.log(
        `| tick through the queue: publishTick to ledger complete, 50 jobs, concurrency 8 (7 runs) | ${fmt(tickMs)} ms | ${fmt(25_000 / (tickMs / 1000))} |`,
      );
      console.log(`\ntick/raw reads per second: ${fmt(rawMs / tickMs, 2)} (against the faster raw path); slowest tick ${fmt(Math.max(...ticks))} ms`);

      if (process.env.BENCH_MILLION !== '0') {
        console.log('\n## Ingest: one 1,000,000-meter tick (caps raised by configuration)\n');
        // The ceiling in the same run: 1,000,000 reads, 200 statements of 5,000 over 8 connections, no queue.
        await rawFleet(db.pool, 'RAW1M', interval(298), 1_000_000);
        const rawMillionMs = await rawInsert(db.pool, 'RAW1M', interval(299), 1_000_000, 5000, 8);
        // The floor under both: the same statements with no trigger at all (superuser only; bench:floor takes it apart).
        const { rows: superuser } = await db.pool.query<{ on: boolean }>(`select rolsuper as on from pg_roles where rolname = current_user`);
        const bareMillionMs = superuser[0]!.on
          ? await rawInsert(db.pool, 'RAW1M', interval(297), 1_000_000, 5000, 8, 'set session_replication_role = replica')
          : null;
        const registerStarted = performance.now();
        await queuedTick(db.pool, config, 'MILLION', interval(300), 1_000_000, 5000);
        const firstMs = performance.now() - registerStarted;
        const rows: string[] = [];
        const millionMs: number[] = [];
        for (const batchSize of [5000, 2000]) {
          const result = await queuedTick(db.pool, config, 'MILLION', interval(batchSize === 5000 ? 301 : 302), 1_000_000, batchSize);
          millionMs.push(result.totalMs);
          rows.push(
            `| batchSize ${batchSize} (${1_000_000 / batchSize} jobs) | ${fmt(result.totalMs / 1000, 1)} s | ${fmt(result.rows / (result.totalMs / 1000))} |`,
          );
        }
        console.log('| tick | publishTick to ledger complete | reads/s |');
        console.log('|---|---|---|');
        console.log(
          `| raw ceiling: 200 x 5,000-row INSERT of a registered fleet over 8 connections, no queue | ${fmt(rawMillionMs / 1000, 1)} s | ${fmt(1_000_000 / (rawMillionMs / 1000))} |`,
        );
        console.log(
          bareMillionMs === null
            ? '| floor: the same INSERTs with no trigger | n/a: needs a superuser (BENCH_DATABASE_URL) | |'
            : `| floor: the same INSERTs with no trigger (session_replication_role = replica) | ${fmt(bareMillionMs / 1000, 1)} s | ${fmt(1_000_000 / (bareMillionMs / 1000))} |`,
        );
        for (const row of rows) console.log(row);
        console.log(`\nfirst tick including registering 1,000,000 meters: ${fmt(firstMs / 1000, 1)} s`);
        const best = Math.min(...millionMs);
        target(
          '1,000,000-meter tick, publishTick to ledger complete (best batch size)',
          '<= 6.5 s',
          `${fmt(best / 1000, 1)} s (raw ceiling ${fmt(rawMillionMs / 1000, 1)} s${bareMillionMs === null ? '' : `, no-trigger floor ${fmt(bareMillionMs / 1000, 1)} s`})`,
          best <= 6_500,
        );
      }
    } finally {
      await worker.stop();
    }
  } finally {
    await db.drop();
  }
}

/** `calls` sequential GET quickcheck calls (after 5 to warm up): p50, p95, max in ms. */
async function timeQuickcheck(url: string, tenantId: string, calls: number, readAt?: Date) {
  const target = `${url}/api/ami/kpi/quickcheck?tenantId=${tenantId}${readAt ? `&readAt=${readAt.toISOString()}` : ''}`;
  let last: any;
  for (let i = 0; i < 5; i++) last = await (await fetch(target)).json();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const res = await fetch(target);
    last = await res.json();
    times.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`quickcheck answered ${res.status}: ${JSON.stringify(last)}`);
  }
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: Math.max(...times), body: last };
}

async function kpiScenario(label: string, shape: HistoryShape): Promise<string[]> {
  const db = await scratchDatabase(label);
  const api = await startApi(db);
  const rows: string[] = [];
  const fleet = `${fmt(shape.meterCount)} meters, ${fmt(shape.intervals)} intervals of history`;
  const row = (what: string, t: { p50: number; p95: number; max: number; body: any }) =>
    rows.push(
      `| ${fleet} | ${what} | ${fmt(t.p50, 1)} ms | ${fmt(t.p95, 1)} ms | ${fmt(t.max, 1)} ms | ${fmt(t.body.reportingSummary.reportingMeters)}/${fmt(t.body.reportingSummary.expectedMeters)} |`,
    );
  try {
    let started = performance.now();
    await registerFleet(db.pool, shape);
    const registerS = (performance.now() - started) / 1000;
    started = performance.now();
    await loadHistory(db.pool, shape);
    const loadS = (performance.now() - started) / 1000;
    // As a new user finds it: freshly loaded, the planner's statistics not gathered yet.
    row('newest interval, every meter reporting, freshly loaded (no ANALYZE yet)', await timeQuickcheck(api.url, shape.tenantId, 20));
    started = performance.now();
    // What autovacuum does on its own after bulk inserts (visibility map, statistics).
    await db.pool.query('vacuum analyze meter_reads_electric, ami_meters, ami_meter_last_reads, ami_ticks');
    const vacuumS = (performance.now() - started) / 1000;
    const reads = shape.meterCount * shape.intervals;
    const { rows: size } = await db.pool.query<{ bytes: number; heap: number }>(
      `select sum(pg_total_relation_size(i.inhrelid))::float8 as bytes, sum(pg_table_size(i.inhrelid))::float8 as heap
         from pg_inherits i where i.inhparent = 'meter_reads_electric'::regclass`,
    );
    console.log(
      `${label}: registered ${fmt(shape.meterCount)} meters in ${fmt(registerS, 1)} s; loaded ${fmt(reads)} reads in ${fmt(loadS, 1)} s (${fmt(reads / loadS)} reads/s); vacuum analyze ${fmt(vacuumS, 1)} s; ` +
        `meter_reads_electric ${fmt(size[0]!.bytes / 2 ** 20)} MiB: ${fmt(size[0]!.bytes / reads, 1)} bytes per read (table ${fmt(size[0]!.heap / reads, 1)}, primary key ${fmt((size[0]!.bytes - size[0]!.heap) / reads, 1)})`,
    );
    if (shape.meterCount === 25_000) {
      target(
        `storage per read at ${fmt(shape.meterCount)} meters x ${fmt(shape.intervals / 96, 1)} days, table + primary key`,
        'measured',
        `${fmt(size[0]!.bytes / reads, 1)} B (${fmt(size[0]!.bytes / 2 ** 20)} MiB)`,
        null,
      );
    }

    const newest = await timeQuickcheck(api.url, shape.tenantId, 50);
    row('newest interval, every meter reporting', newest);
    const back = Math.min(96, shape.intervals - 1);
    row(
      `readAt = newest - ${back} intervals, every meter reporting`,
      await timeQuickcheck(api.url, shape.tenantId, 20, new Date(shape.latest.getTime() - back * QUARTER)),
    );

    // A comms outage (0.8 on feeder 2) in one more interval: stale meters to count (no ANALYZE after it).
    const outageAt = new Date(shape.latest.getTime() + QUARTER);
    await appendInterval(db.pool, shape, outageAt, 2);
    const outage = await timeQuickcheck(api.url, shape.tenantId, 50);
    row('newest interval, comms outage on feeder 2 (the histogram of newest reads)', outage);
    if (outage.body.staleMetersBuckets.staleOver15m === 0) throw new Error('the outage interval shows no stale meters');

    // The same interval once a later one exists: the past path (reads table, bounded probes per missing meter).
    await appendInterval(db.pool, shape, new Date(outageAt.getTime() + QUARTER), null);
    const past = await timeQuickcheck(api.url, shape.tenantId, 10, outageAt);
    row('readAt = that outage interval, one interval later (the missing meters of feeder 2, from the gaps of their reads)', past);
    if (past.body.staleMetersBuckets.staleOver15m !== outage.body.staleMetersBuckets.staleOver15m)
      throw new Error('the past outage interval shows other stale buckets');
    const fleetLabel = `${fmt(shape.meterCount)} meters x ${shape.intervals >= 96 ? `${fmt(shape.intervals / 96, 1)} days` : `${shape.intervals} intervals`}`;
    const limit = shape.meterCount >= 1_000_000 ? 50 : 15;
    target(`quickcheck p95, ${fleetLabel}, newest interval, every meter reporting`, `< ${limit} ms`, `${fmt(newest.p95, 1)} ms`, newest.p95 < limit);
    target(`quickcheck p95, ${fleetLabel}, newest interval, comms outage on one feeder`, `< ${limit} ms`, `${fmt(outage.p95, 1)} ms`, outage.p95 < limit);
    if (shape.meterCount >= 1_000_000)
      target(`quickcheck p95, ${fleetLabel}, readAt= a past outage interval`, '< 100 ms', `${fmt(past.p95, 1)} ms`, past.p95 < 100);
  } finally {
    await api.close();
    await db.drop();
  }
  return rows;
}

async function kpiSection(): Promise<void> {
  console.log('\n## KPI: quickcheck latency over HTTP (sequential calls)\n');
  // History ends two intervals back: the two intervals appended later are not in the future.
  const latest = new Date(getAlignedIntervalTimestamp(15, new Date()).getTime() - 2 * QUARTER);
  const days = Number(process.env.BENCH_KPI_DAYS ?? 7);
  const rows = await kpiScenario('kpi25k', { tenantId: 'DEMO_TENANT', meterCount: 25_000, feederCount: 25, latest, intervals: days * 96, connections: 2 });
  if (process.env.BENCH_MILLION !== '0') {
    rows.push(...(await kpiScenario('kpi1m', { tenantId: 'MILLION', meterCount: 1_000_000, feederCount: 25, latest, intervals: 4, connections: 2 })));
  }
  console.log('\n| fleet | quickcheck of | p50 | p95 | max | reporting |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

/**
 * The dashboard path under load: the service as its own process (API and
 * worker, as `npm start` runs it), autocannon polling quickcheck with 50
 * connections for 10 s from this process, while a 25,000-meter tick is
 * published every second, so reads are being ingested the whole time.
 */
async function loadSection(): Promise<void> {
  console.log('\n## Load: quickcheck under concurrent polling while ticks are ingested\n');
  const db = await scratchDatabase('load');
  const port = 30_000 + (process.pid % 20_000);
  const service = spawn(process.execPath, ['src/start.mjs', 'all'], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'warn', LOG_PRETTY: 'false', AMI_TICK_CRON: '0 0 1 1 *' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (
      let i = 0;
      !(await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      if (i > 300) throw new Error('the service did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const latest = new Date(getAlignedIntervalTimestamp(15, new Date()).getTime() - 30 * QUARTER);
    const shape = { tenantId: 'DEMO_TENANT', meterCount: 25_000, feederCount: 25, latest, intervals: 96, connections: 2 };
    await registerFleet(db.pool, shape);
    await loadHistory(db.pool, shape);
    await db.pool.query('vacuum analyze meter_reads_electric, ami_meters, ami_meter_last_reads, ami_ticks');

    const target = `${base}/api/ami/kpi/quickcheck?tenantId=DEMO_TENANT`;
    const ticks: number[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let n = 1; publishing && n < 29; n++) {
        const readAt = new Date(latest.getTime() + n * QUARTER);
        const res = await fetch(`${base}/api/ami/publish-once`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenantId: 'DEMO_TENANT', readAt: readAt.toISOString() }),
        });
        if (res.status !== 202) throw new Error(`publish answered ${res.status}`);
        const started = performance.now();
        for (;;) {
          const { rows } = await db.pool.query(`select status from ami_ticks where tenant_id = 'DEMO_TENANT' and read_at = $1`, [readAt]);
          if (rows[0]?.status === 'complete') break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        ticks.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    const result = await autocannon({ url: target, connections: 50, duration: 10 });
    publishing = false;
    await publisher;
    console.log('| connections | duration | requests/s (mean) | latency p50 | p97.5 | p99 | max | errors | non-2xx | ticks ingested meanwhile |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| 50 | ${result.duration} s | ${fmt(result.requests.average)} | ${fmt(result.latency.p50)} ms | ${fmt(result.latency.p97_5)} ms | ${fmt(result.latency.p99)} ms | ${fmt(result.latency.max)} ms | ${result.errors + result.timeouts} | ${result.non2xx} | ${ticks.length} (median ${fmt(median(ticks))} ms each) |`,
    );
  } finally {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
    await db.drop();
  }
}

async function main(): Promise<void> {
  const { rows } = await new pg.Pool({ connectionString: adminUrl, max: 1 }).query('show server_version');
  console.log(`# npm run bench: ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; PostgreSQL ${rows[0].server_version}`,
  );
  const all: Record<string, () => Promise<void>> = {
    ingest: ingestSection,
    kpi: kpiSection,
    series: seriesSection,
    retention: retentionSection,
    tenants: tenantsSection,
    load: loadSection,
  };
  const sections = (process.env.BENCH_SECTIONS ?? Object.keys(all).join(',')).split(',').map((section) => section.trim());
  const unknown = sections.filter((section) => !(section in all));
  if (unknown.length) throw new Error(`BENCH_SECTIONS: unknown section ${unknown.join(', ')}; the sections are ${Object.keys(all).join(', ')}`);
  for (const section of sections) await all[section]!();
  if (summary.length > 0) {
    console.log('\n## The targets of this run, side by side\n');
    console.log('| what | target | this run | met |');
    console.log('|---|---|---|---|');
    for (const row of summary) console.log(`| ${row.what} | ${row.target} | ${row.measured} | ${row.met === null ? '-' : row.met ? 'yes' : 'NO'} |`);
  }
  process.exit(0);
}

await main();
