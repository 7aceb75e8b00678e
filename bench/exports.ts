/**
 * `npm run bench:exports`: the figures of docs/operations.md and docs/api.md for
 * the integrations (issue 16). Not a test: it prints figures, it asserts nothing.
 *
 *   metrics   GET /metrics with 40 tenants' series in the registry: scrape time
 *   csv       GET /api/ami/reads.csv of a month (31 days) of 25,000 meters: time,
 *             rows, bytes, and the process's resident memory while it streams
 *   greenbutton  GET /api/ami/greenbutton of a feeder-week (1,000 meters x 672
 *             intervals) on the same data: time, bytes, resident memory
 *
 *   BENCH_DATABASE_URL   superuser connection used to create the scratch database
 *   BENCH_SECTIONS       comma list: metrics, csv, greenbutton (default: all)
 *   BENCH_EXPORT_DAYS    days of reads loaded for csv/greenbutton (default 31)
 *   BENCH_KEEP=1         keep the scratch database (its name is printed)
 *
 * The reads are loaded by SQL (generate_series, triggers off), not by the ingest:
 * the export reads them, nothing else matters here. The app runs in this process
 * with a read pool like the service's (5 s statement timeout: the export's own
 * timeout replaces it), so the resident memory measured is the service's.
 */
import os from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeApp } from '../src/api/app.ts';
import { loadConfig } from '../src/config.ts';
import { createPool } from '../src/db/pool.ts';
import { ReadGate } from '../src/db/readGate.ts';
import { publishTick } from '../src/ingest/publishTick.ts';
import { observeBatchLanded, observeCatchUp, observeTickPublished } from '../src/metrics.ts';
import { fmt, logger, median, percentile, scratchDatabase, type Scratch } from './scratch.ts';

const sections = new Set((process.env.BENCH_SECTIONS ?? 'metrics,csv,greenbutton').split(',').map((s) => s.trim()));
const DAYS = Number(process.env.BENCH_EXPORT_DAYS ?? 31);
const TENANT = 'BENCH_EXPORT';
const METERS = 25_000;
const FEEDERS = 25;
const START = new Date('2026-10-01T00:00:00Z');
const MB = 1024 * 1024;

async function startApp(db: Scratch) {
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, AMI_RETENTION_DAYS: '0' });
  const readPool = createPool(db.url, logger, {
    max: config.reads.concurrency,
    applicationName: 'ami-reads',
    statementTimeoutMs: config.reads.statementTimeoutMs,
  });
  const gate = new ReadGate(readPool, db.pool, { concurrent: config.reads.concurrency, queued: config.reads.queue });
  const app = makeApp({ config, pool: db.pool, logger, isReady: async () => true, gate });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await readPool.end();
    },
  };
}

async function metricsSection(db: Scratch): Promise<void> {
  // 40 tenants' series: every tick outcome, a histogram observation, reads, catch-ups.
  for (let t = 1; t <= 40; t++) {
    const tenant = `TENANT_${String(t).padStart(2, '0')}`;
    for (const outcome of ['enqueued', 'skipped']) observeTickPublished(tenant, outcome);
    for (let i = 0; i < 96; i++) {
      observeBatchLanded(tenant, {
        inserted: 25_000,
        recorded: true,
        tick: { status: 'complete', batchesDone: 50, batchCount: 50, durationMs: 800 + ((i * 37) % 2000) },
      });
    }
    observeCatchUp(tenant, 'nothing');
  }
  await db.pool.query(
    `insert into ami_fleets (tenant_id, meter_count, feeder_count) select 'TENANT_' || lpad(t::text, 2, '0'), 25000, 25 from generate_series(1, 40) t on conflict do nothing`,
  );
  await db.pool.query(
    `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals)
     select 'TENANT_' || lpad(t::text, 2, '0'), true, 25000, 25, 500, 15, 4 from generate_series(1, 40) t on conflict do nothing`,
  );
  await db.pool.query(
    `insert into ami_ticks (tenant_id, read_at, requested_by, status, meter_count, feeder_count, batch_size, batch_count, attempts, requested_at, enqueued_at, completed_at, interval_minutes)
     select 'TENANT_' || lpad(t::text, 2, '0'), r, 'cron', 'complete', 25000, 25, 500, 50, 1, r, r, r + interval '1 second', 15
       from generate_series(1, 40) t cross join generate_series($1::timestamptz, $1::timestamptz + interval '7 days', interval '15 minutes') r
     on conflict do nothing`,
    [START],
  );
  const app = await startApp(db);
  try {
    // Every route seen once, so the HTTP series are there too.
    for (const path of ['/healthz', '/api/ami/scale/status', '/api/openapi.json', `/api/ami/kpi/quickcheck?tenantId=TENANT_01`])
      await (await fetch(`${app.url}${path}`)).text();
    const times: number[] = [];
    let bytes = 0;
    let series = 0;
    for (let i = 0; i < 220; i++) {
      const started = performance.now();
      const text = await (await fetch(`${app.url}/metrics`)).text();
      if (i >= 20) times.push(performance.now() - started);
      bytes = text.length;
      series = text.split('\n').filter((line) => line && !line.startsWith('#')).length;
    }
    // The server's own time per scrape (its HTTP histogram), apart from this process's client reading it.
    const exposition = await (await fetch(`${app.url}/metrics`)).text();
    const serverSum = Number(/ami_http_request_duration_seconds_sum\{method="GET",route="\/metrics",status="200"\} ([\d.e-]+)/.exec(exposition)?.[1]);
    const serverCount = Number(/ami_http_request_duration_seconds_count\{method="GET",route="\/metrics",status="200"\} (\d+)/.exec(exposition)?.[1]);
    console.log(`| /metrics, server side (its own histogram) | mean ${fmt((serverSum / serverCount) * 1000, 1)} ms over ${serverCount} scrapes |`);
    console.log(
      `| /metrics, 40 tenants (${fmt(series)} series, ${fmt(bytes / 1024, 0)} kB) | median ${fmt(median(times), 1)} ms, p95 ${fmt(percentile(times, 0.95), 1)} ms, max ${fmt(Math.max(...times), 1)} ms over ${times.length} scrapes |`,
    );
  } finally {
    await app.close();
  }
}

/** A 25,000-meter fleet registered by the ingest, then DAYS of reads loaded by SQL, two days at a time. */
async function loadReads(db: Scratch): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, AMI_RETENTION_DAYS: '0' });
  const deps = { pool: db.pool, logger, caps: config.caps, clock: () => new Date(), retentionDays: 0 };
  await publishTick(deps, TENANT, START, METERS, FEEDERS, 500, { requestedBy: 'manual', onBackpressure: 'refuse' });
  await db.pool.query('delete from graphile_worker._private_jobs');
  const started = performance.now();
  const days = Array.from({ length: DAYS }, (_, i) => i);
  const loadDay = async (day: number) => {
    const client = await db.pool.connect();
    try {
      // Triggers off (the rollup): this loads history, it does not ingest it.
      await client.query('set session_replication_role = replica');
      await client.query(
        `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status)
         select $1, t, m.meter_id, m.feeder_id, round((0.05 + random() * 0.6)::numeric, 4), round((118 + random() * 6)::numeric, 1), 0.3,
                case when m.pv_kw > 0 then round((random() * 0.2)::numeric, 4) else 0 end, 0
           from generate_series($2::timestamptz + interval '15 minutes', $2::timestamptz + interval '1 day', interval '15 minutes') t
          cross join (select meter_id, feeder_id, pv_kw from ami_meters where tenant_id = $1 order by meter_id) m
          order by t, m.meter_id`,
        [TENANT, new Date(START.getTime() + day * 86_400_000)],
      );
      await client.query('set session_replication_role = origin');
    } finally {
      client.release();
    }
  };
  for (let i = 0; i < days.length; i += 2) await Promise.all(days.slice(i, i + 2).map(loadDay));
  await db.pool.query('analyze meter_reads_electric');
  const { rows } = await db.pool.query<{ n: number; size: string }>(
    `select count(*)::bigint as n, pg_size_pretty((select sum(pg_total_relation_size(i.inhrelid)) from pg_inherits i where i.inhparent = 'meter_reads_electric'::regclass)) as size from meter_reads_electric`,
  );
  console.log(`loaded ${fmt(rows[0]!.n)} reads (${rows[0]!.size}) in ${fmt((performance.now() - started) / 1000, 0)} s`);
}

/** Streams `path`, counting bytes and lines, sampling this process's memory every 50 ms. */
async function measureDownload(url: string, label: string): Promise<void> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
  }, 50);
  const started = performance.now();
  let bytes = 0;
  let lines = 0;
  try {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${await res.text()}`);
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const byte of value) if (byte === 10) lines++;
    }
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `| ${label} | ${fmt(lines)} lines, ${fmt(bytes / MB, 0)} MB in ${fmt(seconds, 1)} s (${fmt(bytes / MB / seconds, 1)} MB/s) | RSS ${fmt(baseline / MB, 0)} MB before, peak ${fmt(peakRss / MB, 0)} MB (+${fmt((peakRss - baseline) / MB, 0)} MB); heap peak ${fmt(peakHeap / MB, 0)} MB |`,
  );
}

async function main(): Promise<void> {
  console.log(
    `# bench:exports on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${fmt(os.totalmem() / 1024 ** 3, 0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  if (sections.has('metrics')) {
    const db = await scratchDatabase('metrics', 12);
    try {
      await metricsSection(db);
    } finally {
      await db.drop();
    }
  }
  if (sections.has('csv') || sections.has('greenbutton')) {
    const db = await scratchDatabase('exports', 12);
    try {
      await loadReads(db);
      const app = await startApp(db);
      try {
        const to = new Date(START.getTime() + DAYS * 86_400_000).toISOString();
        if (sections.has('csv')) {
          await measureDownload(
            `${app.url}/api/ami/reads.csv?tenantId=${TENANT}&from=${START.toISOString()}&to=${to}`,
            `CSV, ${DAYS} days x ${fmt(METERS)} meters`,
          );
          await measureDownload(
            `${app.url}/api/ami/reads.csv?tenantId=${TENANT}&feederId=7&from=${START.toISOString()}&to=${to}`,
            `CSV, ${DAYS} days x one feeder (1,000 meters)`,
          );
        }
        if (sections.has('greenbutton')) {
          const week = new Date(START.getTime() + 7 * 86_400_000).toISOString();
          await measureDownload(
            `${app.url}/api/ami/greenbutton?tenantId=${TENANT}&feederId=7&from=${START.toISOString()}&to=${week}`,
            'Green Button, a feeder-week (1,000 meters)',
          );
          await measureDownload(
            `${app.url}/api/ami/greenbutton?tenantId=${TENANT}&meterId=12345&from=${START.toISOString()}&to=${to}`,
            `Green Button, one meter, ${DAYS} days`,
          );
        }
      } finally {
        await app.close();
      }
    } finally {
      if (process.env.BENCH_KEEP === '1') console.log('kept the scratch database');
      else await db.drop();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
