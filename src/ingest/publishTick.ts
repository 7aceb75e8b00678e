import { withTransaction } from '../db/pool.ts';
import { autoEnabledForShare } from '../db/autoConfig.ts';
import { ensureFleet, lockFleet, registeredFleet } from '../db/fleet.ts';
import { addJobs, ENQUEUE_LOCK, TASKS, writeJobsPending } from '../db/queue.ts';
import { lockTick, markEnqueued, markSkipped, missingBatches, reshapeTick, setExpectedMeters, type RequestedBy, type Tick } from '../db/ticks.ts';
import { type CollectionProfile, type IntervalMinutes, isAlignedTo, temperatureC, tenantModel } from '../emulator/index.ts';
import type { Deps } from '../deps.ts';
import { AppError, fieldErrors } from '../errors.ts';
import { observeTickPublished } from '../metrics.ts';
import { batchCount, tickShapeErrors } from './limits.ts';
import type { BatchPayload } from './payloads.ts';

export type TickOutcome =
  | { outcome: 'enqueued'; jobs: number; tick: Tick }
  | { outcome: 'already-published'; jobs: 0; tick: Tick }
  | { outcome: 'skipped'; jobs: 0; reason: string; queueDepth: number; limit: number; wanted: number; tick: Tick | undefined }
  /** The scheduler or a catch-up asked for a tenant whose automatic mode is off (stopped meanwhile): nothing was written. */
  | { outcome: 'disabled'; jobs: 0; tick: undefined };

/** Requesters that publish only while the tenant's automatic mode is on. */
const AUTOMATIC_REQUESTERS: ReadonlySet<RequestedBy> = new Set(['cron', 'catch-up']);

export interface PublishOptions {
  requestedBy: RequestedBy;
  intervalMinutes?: IntervalMinutes;
  /**
   * What a refusal by backpressure does: `refuse` rolls everything back (a
   * REST caller gets 429 and retries), `record` keeps a skipped row in the
   * ledger so catch-up finds the interval later (the scheduler).
   */
  onBackpressure: 'refuse' | 'record';
  /**
   * For an interval already enqueued but not complete (a worker died under
   * it): enqueue again the batches that have neither landed nor a live job.
   */
  resume?: boolean;
  /** A new tenant's clock and solar share (its first publish); a registered tenant must match them. */
  timeZone?: string | undefined;
  solarShare?: number | undefined;
  /** A new tenant's collection profile; a registered tenant must match it. */
  collection?: CollectionProfile | undefined;
}

const BATCH_MAX_ATTEMPTS = 10;

class Refused extends Error {
  readonly outcome: Extract<TickOutcome, { outcome: 'skipped' }>;
  constructor(outcome: Extract<TickOutcome, { outcome: 'skipped' }>) {
    super(outcome.reason);
    this.outcome = outcome;
  }
}

export function batchJobKeyPrefix(tenantId: string, readAt: Date): string {
  return `${TASKS.publishBatch}:${tenantId}:${readAt.toISOString()}:`;
}

/**
 * Publishes one interval of one tenant: registers the fleet if needed, then,
 * in one transaction under a global lock, checks the backpressure rule,
 * enqueues exactly ceil(meterCount / batchSize) `ami_publish_batch` jobs that
 * all carry `read_at = alignedReadAt`, and records the tick in the ledger.
 * Job keys are unique to (tenant, interval, batch), and the ledger row is
 * unique to (tenant, interval): publishing an interval twice queues nothing.
 */
export async function publishTick(
  deps: Deps,
  tenantId: string,
  alignedReadAt: Date,
  meterCount: number,
  feederCount: number,
  batchSize: number,
  options: PublishOptions,
): Promise<TickOutcome> {
  const intervalMinutes = options.intervalMinutes ?? 15;
  if (!isAlignedTo(alignedReadAt, intervalMinutes)) {
    throw fieldErrors([{ field: 'readAt', message: `must be aligned to ${intervalMinutes} minutes` }]);
  }
  const shapeErrors = tickShapeErrors(deps.caps, { meterCount, feederCount, batchSize });
  if (shapeErrors.length > 0) throw fieldErrors(shapeErrors);

  const request = {
    tenantId,
    readAt: alignedReadAt,
    requestedBy: options.requestedBy,
    meterCount,
    feederCount,
    batchSize,
    batchCount: batchCount({ meterCount, batchSize }),
    intervalMinutes,
    now: deps.clock(),
    temperatureC: null as number | null,
  };
  const prefix = batchJobKeyPrefix(tenantId, alignedReadAt);
  const transaction = withTransaction(deps.pool, async (client): Promise<TickOutcome> => {
    // Lock order, everywhere: the tenant's fleet lock, its ami_auto_config row,
    // the enqueue lock, the ledger row. stopAuto locks only the config row (FOR
    // UPDATE), and startAuto takes the fleet lock before the config row, so no
    // cycle can form.
    await lockFleet(client, tenantId);
    if (AUTOMATIC_REQUESTERS.has(options.requestedBy) && !(await autoEnabledForShare(client, tenantId))) {
      // Stopped (or never started): the scheduler and catch-up publish nothing,
      // not even a fleet resize. The share lock makes a concurrent stop wait
      // for this transaction, so nothing is enqueued after stop returns.
      return { outcome: 'disabled', jobs: 0, tick: undefined } as const;
    }
    await ensureFleet(client, {
      tenantId,
      meterCount,
      feederCount,
      intervalMinutes,
      timeZone: options.timeZone,
      solarShare: options.solarShare,
      collection: options.collection,
      now: request.now,
    });
    // The interval's weather, for the ledger (the series and GraphQL show it).
    // (Read in this transaction, uncached: the fleet may have been registered just now.)
    const fleet = await registeredFleet(client, tenantId);
    const model = tenantModel(tenantId, { timeZone: fleet?.timeZone, solarShare: fleet?.solarShare });
    const temperature = temperatureC(model, new Date(alignedReadAt.getTime() - (intervalMinutes * 60_000) / 2));
    request.temperatureC = Math.round(temperature * 10) / 10;
    await client.query('select pg_advisory_xact_lock($1)', [ENQUEUE_LOCK]);
    const { tick, created } = await lockTick(client, request);

    let batches: number[];
    if (created || tick.status === 'skipped' || tick.status === 'failed') {
      if (!created) await reshapeTick(client, request);
      batches = Array.from({ length: request.batchCount }, (_, index) => index);
    } else if (tick.status === 'enqueued' && options.resume) {
      batches = await missingBatches(client, tick, prefix);
      if (batches.length === 0) return { outcome: 'already-published', jobs: 0, tick } as const;
    } else {
      return { outcome: 'already-published', jobs: 0, tick } as const;
    }

    const queued = await writeJobsPending(client);
    if (queued + batches.length > deps.caps.maxQueueDepth) {
      const reason = `backpressure: ${queued} write jobs waiting, delayed or running, ${batches.length} more would pass the limit of ${deps.caps.maxQueueDepth}`;
      const refusal = { outcome: 'skipped', jobs: 0, reason, queueDepth: queued, limit: deps.caps.maxQueueDepth, wanted: batches.length } as const;
      // Refused whole: throwing rolls back the placeholder ledger row too.
      if (options.onBackpressure === 'refuse') throw new Refused({ ...refusal, tick: undefined });
      const skipped = await markSkipped(client, tick, {
        requestedBy: options.requestedBy,
        reason,
        queueDepth: queued,
        status: created || tick.status === 'skipped' || tick.status === 'failed' ? 'skipped' : 'enqueued',
      });
      return { ...refusal, tick: skipped };
    }

    // The tick's shape is the ledger's (a resumed tick keeps its own batch size).
    const fresh = created || tick.status === 'skipped' || tick.status === 'failed';
    const shape = fresh ? request : tick;
    if (fresh) await setExpectedMeters(client, { tenantId, readAt: alignedReadAt, meterCount: shape.meterCount });
    const jobs = batches.map((batchIndex) => {
      const firstMeterId = batchIndex * shape.batchSize + 1;
      const payload: BatchPayload = {
        tenantId,
        readAt: alignedReadAt.toISOString(),
        batchIndex,
        firstMeterId,
        lastMeterId: Math.min(shape.meterCount, firstMeterId + shape.batchSize - 1),
        intervalMinutes,
      };
      return { payload, jobKey: prefix + batchIndex };
    });
    const added = await addJobs(client, TASKS.publishBatch, jobs, { maxAttempts: BATCH_MAX_ATTEMPTS });
    if (added !== jobs.length) {
      // add_jobs can lose a keyed job under contention (graphile/worker#580):
      // roll back and let the caller's retry decide.
      throw new AppError('UNAVAILABLE', `queue accepted ${added} of ${jobs.length} batch jobs; nothing was enqueued, try again`);
    }
    const enqueued = await markEnqueued(client, tick, { requestedBy: options.requestedBy, jobs: jobs.length, queueDepth: queued, now: deps.clock() });
    return { outcome: 'enqueued', jobs: jobs.length, tick: enqueued } as const;
  });
  const result = await transaction.catch((error: unknown) => {
    if (error instanceof Refused) return error.outcome;
    throw error;
  });

  if (result.outcome === 'skipped') {
    deps.logger.warn(
      { tenantId, readAt: alignedReadAt, requestedBy: options.requestedBy, queueDepth: result.queueDepth, wanted: result.wanted },
      'tick skipped by backpressure',
    );
  }
  if (result.outcome === 'enqueued') {
    deps.logger.info(
      { tenantId, readAt: alignedReadAt, requestedBy: options.requestedBy, jobs: result.jobs, queueDepth: result.tick.queueDepthAtRequest },
      'tick enqueued',
    );
  }
  observeTickPublished(tenantId, result.outcome);
  return result;
}
