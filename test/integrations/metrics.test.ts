import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from 'prom2javascript';
import { describe, expect, it } from 'vitest';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { catchUpTask } from '../../src/worker/tasks/catchUp.ts';
import { testDeps, useTestApp } from '../helpers/app.ts';
import { landTick } from './helpers.ts';

/**
 * GET /metrics, scraped and parsed by a Prometheus text-format parser
 * (prom2javascript, which throws on a line it cannot read): a tick landed
 * through the real ingest moves its tenant's counters and histogram by
 * exactly one; the HTTP series are labelled by route pattern, never by URL;
 * the queue, the pools and the process are there.
 */
const { db, app, deps, get } = useTestApp();

async function scrape(): Promise<PromMetrics> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  // The event-loop lag gauges are NaN until their first sample (prom-client writes `Nan`, which
  // Prometheus reads: Go's ParseFloat takes any case); this parser refuses any NaN, so those
  // lines are checked here and left out.
  const lines = (await res.text()).split('\n');
  const notANumber = lines.filter((line) => / Nan$/i.test(line));
  for (const line of notANumber) expect(line).toMatch(/^nodejs_eventloop_lag_[a-z0-9_]+ Nan$/);
  return getMetricsFromIterator(lines.filter((line) => !notANumber.includes(line))[Symbol.iterator]());
}

function matches(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** The value of the sample of `name` whose labels include `labels` (0 when absent: a counter not yet touched). */
function value(families: PromMetrics, name: string, labels: Record<string, string>): number {
  const data = (families[name]?.data ?? []) as PromData[];
  return data.find((sample) => matches(sample.labels, labels))?.value ?? 0;
}

function histogram(families: PromMetrics, name: string, labels: Record<string, string>): PromHistogramData | undefined {
  return ((families[name]?.data ?? []) as PromHistogramData[]).find((sample) => matches(sample.labels, labels));
}

function histogramCount(families: PromMetrics, name: string, labels: Record<string, string>): number {
  return histogram(families, name, labels)?.count ?? 0;
}

describe('GET /metrics', () => {
  it('after a tick, its tenant’s tick counter and tick-duration histogram went up by one, and its reads by the meters written', async () => {
    const tenant = { tenant: 'METRICS_A' };
    const before = await scrape();
    expect(before.ami_ticks_total?.type).toBe('counter');
    expect(before.ami_tick_duration_seconds?.type).toBe('histogram');

    const readAt = new Date(Math.floor(Date.now() / 900_000) * 900_000 - 900_000);
    await landTick(db, deps, { tenantId: 'METRICS_A', readAt, meterCount: 250, feederCount: 3, batchSize: 100 });

    const after = await scrape();
    expect(value(after, 'ami_ticks_total', { ...tenant, outcome: 'complete' }) - value(before, 'ami_ticks_total', { ...tenant, outcome: 'complete' })).toBe(1);
    expect(value(after, 'ami_ticks_total', { ...tenant, outcome: 'enqueued' }) - value(before, 'ami_ticks_total', { ...tenant, outcome: 'enqueued' })).toBe(1);
    expect(histogramCount(after, 'ami_tick_duration_seconds', tenant) - histogramCount(before, 'ami_tick_duration_seconds', tenant)).toBe(1);
    expect(value(after, 'ami_reads_written_total', tenant) - value(before, 'ami_reads_written_total', tenant)).toBe(250);
    // The histogram's sum is the ledger's duration of that tick.
    const { rows } = await db.pool.query<{ ms: number }>(
      `select (extract(epoch from completed_at - enqueued_at) * 1000)::int as ms from ami_ticks where tenant_id = 'METRICS_A' and read_at = $1`,
      [readAt],
    );
    const sum = histogram(after, 'ami_tick_duration_seconds', tenant)!.sum!;
    expect(sum).toBeCloseTo(rows[0]!.ms / 1000, 2);
    // Another tenant's series did not move.
    expect(value(after, 'ami_ticks_total', { tenant: 'METRICS_B', outcome: 'complete' })).toBe(0);
  });

  it('counts a tick skipped by backpressure, and a catch-up run by outcome', async () => {
    const tiny = testDeps(db, { env: { AMI_MAX_QUEUE_DEPTH: '1', AMI_MAX_JOBS_PER_TICK: '1' } });
    const before = await scrape();
    const first = await publishTick(tiny, 'METRICS_B', new Date('2026-11-30T10:00:00Z'), 10, 1, 10, { requestedBy: 'manual', onBackpressure: 'record' });
    const second = await publishTick(tiny, 'METRICS_B', new Date('2026-11-30T10:15:00Z'), 10, 1, 10, { requestedBy: 'manual', onBackpressure: 'record' });
    expect([first.outcome, second.outcome]).toEqual(['enqueued', 'skipped']);
    await catchUpTask(deps)({ tenantId: 'METRICS_B' }, {} as never);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta('ami_ticks_total', { tenant: 'METRICS_B', outcome: 'skipped' })).toBe(1);
    expect(delta('ami_ticks_skipped_total', { tenant: 'METRICS_B' })).toBe(1);
    expect(delta('ami_ticks_total', { tenant: 'METRICS_B', outcome: 'enqueued' })).toBe(1);
    // Auto mode is off for METRICS_B: the run finds nothing to do.
    expect(delta('ami_catch_up_runs_total', { tenant: 'METRICS_B', outcome: 'nothing' })).toBe(1);
    // The batch left queued shows in the queue gauges, read from the database at scrape time.
    expect(value(after, 'ami_queue_jobs', { task: 'ami_publish_batch', state: 'waiting' })).toBeGreaterThanOrEqual(1);
    await db.pool.query(`delete from graphile_worker._private_jobs where key like 'ami_publish_batch:METRICS_B:%'`);
  });

  it('labels HTTP requests by route pattern and status, never by the raw URL', async () => {
    await get('/api/ami/events?tenantId=METRICS_A');
    const refused = await fetch(`${app.url}/api/ami/events/123456789/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(404);
    await get('/no/such/path/987654');
    const families = await scrape();
    expect(families.ami_http_request_duration_seconds?.type).toBe('histogram');
    const routes = new Set((families.ami_http_requests_total!.data as PromData[]).map((sample) => sample.labels.route));
    expect(routes).toContain('/api/ami/events');
    expect(routes).toContain('/api/ami/events/:id/end');
    expect(routes).toContain('(unmatched)');
    for (const route of routes) expect(route).not.toMatch(/123456789|987654|\?/);
    expect(value(families, 'ami_http_requests_total', { method: 'POST', route: '/api/ami/events/:id/end', status: '404' })).toBe(1);
    expect(value(families, 'ami_http_requests_total', { method: 'GET', route: '/api/ami/events', status: '200' })).toBe(1);
  });

  it('reports the queue by task and state, its cap, the pools, each auto tenant’s newest complete interval, and the process', async () => {
    const families = await scrape();
    for (const task of ['ami_publish_batch', 'ami_tick', 'ami_catch_up']) {
      for (const state of ['waiting', 'delayed', 'running', 'failed']) {
        expect(
          (families.ami_queue_jobs!.data as PromData[]).some((sample) => matches(sample.labels, { task, state })),
          `${task} ${state}`,
        ).toBe(true);
      }
    }
    expect(value(families, 'ami_queue_cap', {})).toBe(500);
    expect(value(families, 'ami_metrics_database_up', {})).toBe(1);
    expect(value(families, 'ami_db_pool_connections', { pool: 'service', state: 'total' })).toBeGreaterThan(0);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(families[name], name).toBeDefined();
    }
    // A tenant in automatic mode: its newest complete tick, as Unix seconds.
    await db.pool.query(
      `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals)
       values ('METRICS_A', true, 250, 3, 100, 15, 0)`,
    );
    const { rows } = await db.pool.query<{ read_at: Date }>(
      `select max(read_at) as read_at from ami_ticks where tenant_id = 'METRICS_A' and status = 'complete'`,
    );
    const withAuto = await scrape();
    expect(value(withAuto, 'ami_latest_complete_interval_timestamp_seconds', { tenant: 'METRICS_A' })).toBe(rows[0]!.read_at.getTime() / 1000);
  });

  it('refuses parameters and other methods with the error shape', async () => {
    const bad = await get('/metrics?name=ami_ticks_total');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, error: { code: 'VALIDATION', fields: [{ field: 'name', message: 'unknown field' }] } });
    const post = await fetch(`${app.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(await post.json()).toMatchObject({ ok: false, error: { code: 'METHOD_NOT_ALLOWED' } });
  });
});
