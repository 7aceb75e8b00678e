import { z } from 'zod';
import { ALLOWED_INTERVAL_MINUTES, EVENT_TYPES } from '../emulator/index.ts';
import type { ErrorCode } from '../errors.ts';

/**
 * The answers of the REST API as zod schemas, for the OpenAPI document
 * (src/api/openapi.ts); the requests' schemas are the ones the routes validate
 * with (src/domain/). Objects are open (`looseObject`): an answer may carry
 * more fields than documented (new ones are added over time, as the contract
 * allows), but every documented field is typed, and a test holds the real
 * answers to these schemas (test/integrations/openapi.test.ts).
 */

const instant = z.iso.datetime({ offset: true }).meta({ description: 'An ISO 8601 instant (UTC, milliseconds).', example: '2026-11-28T10:15:00.000Z' });
const count = z.int().min(0);
const tenantId = z.string().meta({ description: 'The tenant (utility).', example: 'DEMO_TENANT' });
const ok = z.literal(true);

const ERROR_CODES = [
  'VALIDATION',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'UNSUPPORTED_MEDIA_TYPE',
  'BACKPRESSURE',
  'BUSY',
  'UNAVAILABLE',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];

/** Every error, everywhere (SPEC section 8): `{ ok: false, error: { code, message, ... } }`. */
export const errorAnswer = z
  .strictObject({
    ok: z.literal(false),
    error: z.looseObject({
      code: z.enum(ERROR_CODES),
      message: z.string().meta({ description: 'What is wrong, for people.' }),
      fields: z
        .array(z.strictObject({ field: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'VALIDATION: each failing field (a dotted path; (body) for the body itself) and what it must be.' }),
      queueDepth: count.optional().meta({ description: 'BACKPRESSURE: write jobs waiting, delayed or running.' }),
      limit: count.optional().meta({ description: 'BACKPRESSURE: the queue cap.' }),
    }),
  })
  .meta({ id: 'Error', description: 'The error shape of every endpoint.' });

export const healthAnswer = z.looseObject({ ok }).meta({ id: 'Health' });
export const readyAnswer = z.looseObject({ ok, database: z.literal('ready') }).meta({ id: 'Ready' });

export const tickAnswer = z
  .looseObject({
    tenantId,
    readAt: instant.meta({ description: 'The interval (its end).' }),
    requestedBy: z.enum(['cron', 'catch-up', 'manual']),
    status: z.enum(['enqueued', 'complete', 'skipped', 'failed']),
    skipReason: z.string().nullable(),
    meterCount: count,
    feederCount: count,
    batchSize: count,
    batchCount: count,
    intervalMinutes: z.int(),
    temperatureC: z.number().nullable(),
    attempts: count,
    jobsEnqueued: count,
    batchesDone: count,
    rowsWritten: count,
    queueDepthAtRequest: count.nullable(),
    requestedAt: instant,
    enqueuedAt: instant.nullable(),
    firstBatchAt: instant.nullable(),
    completedAt: instant.nullable(),
    durationMs: z.int().nullable().meta({ description: 'completedAt - enqueuedAt.' }),
  })
  .meta({ id: 'Tick', description: 'One row of the tick ledger (ami_ticks).' });

const fleetConfig = z
  .looseObject({
    tenantId,
    meterCount: count,
    feederCount: count,
    batchSize: count,
    intervalMinutes: z.union(ALLOWED_INTERVAL_MINUTES.map((minutes) => z.literal(minutes))),
    catchUpIntervals: count,
    timeZone: z.string().meta({ example: 'America/Chicago' }),
    solarShare: z.number(),
  })
  .meta({ id: 'AutoConfig', description: 'A tenant’s automatic mode configuration and fleet.' });

const queueDepth = z.looseObject({ waiting: count, delayed: count, running: count });

export const publishOnceAnswer = z
  .looseObject({
    ok,
    tenantId,
    readAt: instant,
    jobs: count.meta({ description: 'Batch jobs enqueued by this call (0 when the interval was already published).' }),
    alreadyPublished: z.boolean(),
    tick: tickAnswer,
  })
  .meta({ id: 'PublishOnce' });

export const autoStartAnswer = z.looseObject({ ok, mode: z.literal('auto'), nextRunAt: instant, config: fleetConfig }).meta({ id: 'AutoStart' });
export const autoStopAnswer = z.looseObject({ ok, tenantId, enabled: z.literal(false), wasEnabled: z.boolean() }).meta({ id: 'AutoStop' });
export const autoStatusAnswer = z
  .looseObject({
    ok,
    tenantId,
    enabled: z.boolean(),
    config: fleetConfig.nullable(),
    startedAt: instant.nullable(),
    stoppedAt: instant.nullable(),
    lastAlignedInterval: instant.meta({ description: 'The current interval boundary.' }),
    latestReadAt: instant.nullable().meta({ description: 'Newest read_at in the database.' }),
    nextRunAt: instant.nullable(),
    queueDepth,
    recentTicks: z.array(tickAnswer),
  })
  .meta({ id: 'AutoStatus' });

const taskDepth = z.looseObject({ waiting: count, delayed: count, running: count, failed: count });
export const scaleStatusAnswer = z
  .looseObject({
    ok,
    caps: z.looseObject({ maxBatchSize: count, maxMeterCount: count, maxJobsPerTick: count, maxQueueDepth: count }),
    workerConcurrency: count,
    queueDepth: z.record(z.string(), taskDepth).meta({ description: 'By task identifier (ami_publish_batch, ami_tick, ami_catch_up).' }),
    throughput: z.looseObject({
      ticks: count,
      readsPerSecond: z.number().nullable(),
      enqueueToCompleteMs: z.looseObject({ p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() }),
    }),
    rows: z.looseObject({ meterReadsEstimate: count, tenants: count, meters: count, ticks: count, events: count }),
  })
  .meta({ id: 'ScaleStatus' });

export const eventAnswer = z
  .looseObject({
    id: z.int().min(1),
    tenantId,
    feederId: z.int().min(1),
    type: z.enum(EVENT_TYPES),
    severity: z.number().gt(0).max(1),
    startsAt: instant,
    endsAt: instant.nullable(),
  })
  .meta({ id: 'Event', description: 'A grid event on a feeder.' });

export const eventCreatedAnswer = z.looseObject({ ok, event: eventAnswer }).meta({ id: 'EventCreated' });
export const eventListAnswer = z.looseObject({ ok, events: z.array(eventAnswer) }).meta({ id: 'EventList' });
export const eventEndedAnswer = z
  .looseObject({ ok, event: eventAnswer, cancelled: z.boolean().meta({ description: 'True when the event had not started: its window is now empty.' }) })
  .meta({ id: 'EventEnded' });

const kpiNumber = z.number().nullable();
const quickcheckEvent = eventAnswer.omit({ tenantId: true }).extend({ affectsInterval: z.boolean(), activeNow: z.boolean() });
const feederKpis = z.looseObject({
  feederId: z.int().min(1),
  expectedMeters: count,
  reportingMeters: count,
  missingMeters: count,
  reportingRatePct: kpiNumber,
  totalKwh: kpiNumber,
  baselineKwh: kpiNumber,
  kwhDeviationPct: kpiNumber,
  kwhDeviationNoisePct: kpiNumber,
  receivedKwh: kpiNumber,
  meanKwh: kpiNumber,
  meanVoltage: kpiNumber,
  minVoltage: kpiNumber,
  maxVoltage: kpiNumber,
  under114: count,
  over126: count,
  staleMeters: count,
  neverReported: count,
  activeEvents: z.array(quickcheckEvent),
});

export const quickcheckAnswer = z
  .looseObject({
    ok,
    tenantId,
    intervalMinutes: z.int(),
    timeZone: z.string(),
    latestInterval: instant.nullable().meta({ description: 'The interval the figures are for; null before the first read.' }),
    reportingSummary: z.looseObject({ expectedMeters: count, reportingMeters: count, missingMeters: count, reportingRatePct: kpiNumber }),
    staleMetersBuckets: z.looseObject({
      current: count,
      staleOver15m: count,
      staleOver1h: count,
      staleOver4h: count,
      staleOver24h: count,
      neverReported: count,
    }),
    energy: z.looseObject({ totalKwh: kpiNumber, meanKwh: kpiNumber, receivedKwh: kpiNumber }),
    voltage: z.looseObject({ mean: kpiNumber, min: kpiNumber, max: kpiNumber, under114: count, over126: count }),
    feeders: z.array(feederKpis),
    activeEvents: z.array(quickcheckEvent),
    generatedAt: instant,
  })
  .meta({ id: 'Quickcheck', description: 'The KPIs of one interval (SPEC section 7); the names are fixed, more fields may come.' });

export const seriesAnswer = z
  .looseObject({
    ok,
    tenantId,
    intervalMinutes: z.int(),
    timeZone: z.string(),
    hours: z.int(),
    from: instant.nullable(),
    to: instant.nullable(),
    points: z.array(
      z.looseObject({
        readAt: instant,
        expectedMeters: count,
        reportingMeters: count,
        reportingRatePct: kpiNumber,
        totalKwh: kpiNumber,
        baselineKwh: kpiNumber,
        kwhDeviationPct: kpiNumber,
        meanVoltage: kpiNumber,
        minVoltage: kpiNumber,
        under114: count,
        receivedKwh: kpiNumber,
        temperatureC: kpiNumber,
      }),
    ),
  })
  .meta({ id: 'Series', description: 'Per-interval KPIs of the last hours, oldest first.' });

export const openApiAnswer = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }).meta({ description: 'This document.' });

export const textAnswer = z.string();
