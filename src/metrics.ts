import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from './db/pool.ts';

/**
 * The process's Prometheus metrics (GET /metrics): one registry per process,
 * filled by one-line hooks where things happen (a tick published, a batch
 * landed, a catch-up run, an HTTP request answered) and, at scrape time, by the
 * pools and by the database's own counts (the queue, each tenant's newest
 * complete interval). Hooks never throw: a metric must not fail the work it
 * measures. docs/operations.md lists every series with the alerts worth having.
 *
 * Labels are bounded: a tenant id (strict format, one per fleet), an outcome
 * from a fixed list, an Express route pattern (never the raw URL), a task
 * identifier.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Ticks take seconds (a 25,000-meter interval lands in about one); the 60 s target is the SLO, 300 s is trouble. */
const TICK_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 300];
/** REST answers: milliseconds for the reads, seconds for an export. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const TICK_OUTCOMES = ['enqueued', 'skipped', 'failed', 'complete'] as const;
export type TickOutcomeLabel = (typeof TICK_OUTCOMES)[number];

const ticks = new Counter({
  name: 'ami_ticks_total',
  help: 'Ticks (one tenant, one interval) by outcome: enqueued (batches queued), skipped (refused by backpressure), failed (could not be published), complete (every batch landed).',
  labelNames: ['tenant', 'outcome'],
  registers: [registry],
});

const tickDuration = new Histogram({
  name: 'ami_tick_duration_seconds',
  help: 'End-to-end time of a tick, from enqueue to its last batch landing (the ledger: completed_at - enqueued_at).',
  labelNames: ['tenant'],
  buckets: TICK_BUCKETS,
  registers: [registry],
});

const readsWritten = new Counter({
  name: 'ami_reads_written_total',
  help: 'Interval reads inserted into meter_reads_electric by the publish batches (a batch run twice adds none).',
  labelNames: ['tenant'],
  registers: [registry],
});

const readsDelivered = new Counter({
  name: 'ami_reads_delivered_total',
  help: 'Late and backfilled reads written by ami_deliver jobs after their tick (collection).',
  labelNames: ['tenant'],
  registers: [registry],
});

const ticksSkipped = new Counter({
  name: 'ami_ticks_skipped_total',
  help: 'Ticks refused by backpressure (the queue cap): recorded as skipped by the scheduler, or refused with 429 / deferred by a catch-up.',
  labelNames: ['tenant'],
  registers: [registry],
});

const catchUpRuns = new Counter({
  name: 'ami_catch_up_runs_total',
  help: 'Catch-up runs (task ami_catch_up) by outcome: published (enqueued at least one missing interval), nothing (no gap), deferred (backpressure: another wave queued), error (the run threw; Graphile Worker retries it).',
  labelNames: ['tenant', 'outcome'],
  registers: [registry],
});

const httpRequests = new Counter({
  name: 'ami_http_requests_total',
  help: 'HTTP requests answered, by method, route (the Express route pattern; (unmatched) for static files and unknown paths) and status.',
  labelNames: ['method', 'route', 'status'],
  registers: [registry],
});

const httpDuration = new Histogram({
  name: 'ami_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer finishing, by method, route and status.',
  labelNames: ['method', 'route', 'status'],
  buckets: HTTP_BUCKETS,
  registers: [registry],
});

/** The pools this process watches, by role (service, reads, worker). */
const pools = new Map<string, Pool>();

new Gauge({
  name: 'ami_db_pool_connections',
  help: 'Connections of each database pool of this process: total (open), idle, and waiting (callers queued for a connection).',
  labelNames: ['pool', 'state'],
  registers: [registry],
  collect() {
    this.reset();
    for (const [name, pool] of pools) {
      this.set({ pool: name, state: 'total' }, pool.totalCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
});

const queueJobs = new Gauge({
  name: 'ami_queue_jobs',
  help: 'Graphile Worker jobs by task and state (waiting, delayed, running, failed), from public.ami_queue_depth() at scrape time.',
  labelNames: ['task', 'state'],
  registers: [registry],
});

const queueCap = new Gauge({
  name: 'ami_queue_cap',
  help: 'The queue cap (AMI_MAX_QUEUE_DEPTH): waiting + delayed + running ami_publish_batch jobs never exceed it.',
  registers: [registry],
});

const latestComplete = new Gauge({
  name: 'ami_latest_complete_interval_timestamp_seconds',
  help: 'Per tenant in automatic mode, read_at of its newest complete tick (Unix seconds), from the ledger at scrape time: time() minus it is how late the data plane is.',
  labelNames: ['tenant'],
  registers: [registry],
});

const databaseScrape = new Gauge({
  name: 'ami_metrics_database_up',
  help: '1 when this scrape read the queue depth and the latest intervals from the database; 0 when it could not (database down, or the read gate busy): the ami_queue_jobs and ami_latest_complete_interval series are then absent.',
  registers: [registry],
});

function safely(observe: () => void): void {
  try {
    observe();
  } catch {
    // A metric never fails the work it measures.
  }
}

/** Hook (publishTick): a tick's outcome when it was asked for. `already-published` and `disabled` change nothing and are not counted. */
export function observeTickPublished(tenantId: string, outcome: string): void {
  safely(() => {
    if (outcome === 'enqueued') ticks.inc({ tenant: tenantId, outcome: 'enqueued' });
    if (outcome === 'skipped') {
      ticks.inc({ tenant: tenantId, outcome: 'skipped' });
      ticksSkipped.inc({ tenant: tenantId });
    }
  });
}

/** Hook (scheduler, catch-up): a tick that could not be published and was recorded as failed. */
export function observeTickFailed(tenantId: string): void {
  safely(() => ticks.inc({ tenant: tenantId, outcome: 'failed' }));
}

/** What publishBatch learns when its batch lands (src/db/writeBatch.ts BatchWriteResult). */
export interface LandedBatch {
  inserted: number;
  recorded: boolean;
  tick: { status: string; batchesDone: number; batchCount: number; durationMs: number | null } | undefined;
}

/** Hook (publishBatch): reads written, and when this batch completed its tick, the tick and its duration. */
export function observeBatchLanded(tenantId: string, batch: LandedBatch): void {
  safely(() => {
    if (batch.inserted > 0) readsWritten.inc({ tenant: tenantId }, batch.inserted);
    const { tick } = batch;
    if (!batch.recorded || tick?.status !== 'complete' || tick.batchesDone !== tick.batchCount) return;
    ticks.inc({ tenant: tenantId, outcome: 'complete' });
    if (tick.durationMs !== null) tickDuration.observe({ tenant: tenantId }, tick.durationMs / 1000);
  });
}

/** Hook (task ami_deliver): reads that reached the head-end after their tick. */
export function observeReadsDelivered(tenantId: string, delivered: number): void {
  safely(() => {
    if (delivered > 0) readsDelivered.inc({ tenant: tenantId }, delivered);
  });
}

/** Hook (task ami_catch_up): the outcome of one catch-up run. */
export function observeCatchUp(tenantId: string, outcome: 'published' | 'nothing' | 'deferred' | 'error'): void {
  safely(() => catchUpRuns.inc({ tenant: tenantId, outcome }));
}

/** Hook (HTTP middleware): one answered request. */
export function observeHttpRequest(request: { method: string; route: string; status: string; seconds: number }): void {
  safely(() => {
    const labels = { method: request.method, route: request.route, status: request.status };
    httpRequests.inc(labels);
    httpDuration.observe(labels, request.seconds);
  });
}

/** Reports a pool's connections under `name` (service, reads, worker) until the process ends; a later pool of the same name replaces it. */
export function watchPool(name: string, pool: Pool): void {
  pools.set(name, pool);
}

/** What a scrape reads from the database. */
export interface DatabaseFigures {
  queue: Array<{ task: string; waiting: number; delayed: number; running: number; failed: number }>;
  latestComplete: Array<{ tenantId: string; readAt: Date }>;
}

/** Sets the gauges read from the database at scrape time; `undefined` when they could not be read (the series are dropped, not left stale). */
export function setDatabaseFigures(figures: DatabaseFigures | undefined, queueCapValue: number): void {
  queueJobs.reset();
  latestComplete.reset();
  queueCap.set(queueCapValue);
  databaseScrape.set(figures ? 1 : 0);
  if (!figures) return;
  for (const { task, ...depth } of figures.queue) {
    for (const [state, count] of Object.entries(depth)) queueJobs.set({ task, state }, count);
  }
  for (const { tenantId, readAt } of figures.latestComplete) latestComplete.set({ tenant: tenantId }, readAt.getTime() / 1000);
}
