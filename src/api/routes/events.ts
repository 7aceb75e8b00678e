import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool.ts';
import { endEvent, fleetFeederCount, insertEvent, listEvents, type GridEvent } from '../../db/events.ts';
import { EVENT_TYPES } from '../../emulator/index.ts';
import { AppError, fieldErrors } from '../../errors.ts';
import { requireOperator } from '../auth.ts';
import { allowOnly } from '../errors.ts';
import { instantSchema, positiveInt, tenantIdSchema } from '../schemas.ts';
import { jsonBody, parseBody, parseQuery } from '../validate.ts';

/** Longest event given by durationMinutes: a year. */
const MAX_DURATION_MINUTES = 525_600;
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

const eventFields = {
  tenantId: tenantIdSchema,
  feederId: positiveInt(),
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  severity: z
    .number({ error: 'must be a number in (0, 1]' })
    .gt(0, 'must be greater than 0 (severity is in (0, 1])')
    .max(1, 'must be at most 1 (severity is in (0, 1])'),
  startsAt: instantSchema.optional(),
  endsAt: instantSchema.optional(),
  durationMinutes: positiveInt(MAX_DURATION_MINUTES).optional(),
};

const createSchema = z.strictObject(eventFields).superRefine((value, ctx) => {
  if (value.endsAt !== undefined && value.durationMinutes !== undefined) {
    for (const path of ['endsAt', 'durationMinutes']) {
      ctx.addIssue({ code: 'custom', path: [path], message: 'give endsAt or durationMinutes, not both' });
    }
  }
});

const listSchema = z.strictObject({
  tenantId: tenantIdSchema,
  active: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  feederId: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(positiveInt())
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(positiveInt(MAX_LIST_LIMIT))
    .optional(),
});

const idSchema = z.strictObject({
  id: z
    .string()
    .regex(/^\d{1,10}$/, 'must be a positive whole number (the event id)')
    .transform(Number)
    .pipe(positiveInt(2_147_483_647)),
});

const endSchema = z.strictObject({ tenantId: tenantIdSchema.optional() });

/** The event as every endpoint shows it. */
export function eventJson(event: GridEvent) {
  return {
    id: event.id,
    tenantId: event.tenantId,
    feederId: event.feederId,
    type: event.type,
    severity: event.severity,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt?.toISOString() ?? null,
  };
}

/**
 * Grid events (SPEC section 6): inject on a feeder, list, end now. Mutating
 * routes need the operator; the list is open. "Now" is the injected clock.
 */
export function eventsRouter(deps: { pool: Pool; apiToken: string | undefined; now: () => Date }): Router {
  const router = Router();
  const operator = requireOperator(deps.apiToken);

  router.post('/api/ami/events', operator, jsonBody, async (req, res) => {
    const body = parseBody(createSchema, req);
    const startsAt = body.startsAt ?? deps.now();
    const endsAt = body.endsAt ?? (body.durationMinutes !== undefined ? new Date(startsAt.getTime() + body.durationMinutes * 60_000) : null);
    if (endsAt !== null && endsAt.getTime() <= startsAt.getTime()) {
      throw fieldErrors([{ field: 'endsAt', message: `must be after startsAt (${startsAt.toISOString()})` }]);
    }
    const event = await insertEvent(deps.pool, { tenantId: body.tenantId, feederId: body.feederId, type: body.type, severity: body.severity, startsAt, endsAt });
    if (!event) {
      const feederCount = await fleetFeederCount(deps.pool, body.tenantId);
      throw fieldErrors([
        feederCount === undefined
          ? { field: 'tenantId', message: `tenant ${body.tenantId} has no fleet yet: publish an interval or start auto mode first` }
          : { field: 'feederId', message: `feeder ${body.feederId} does not exist for tenant ${body.tenantId} (feeders 1-${feederCount})` },
      ]);
    }
    res.status(201).json({ ok: true, event: eventJson(event) });
  });

  router.get('/api/ami/events', async (req, res) => {
    const query = parseQuery(listSchema, req);
    const events = await listEvents(deps.pool, {
      tenantId: query.tenantId,
      feederId: query.feederId,
      activeAt: query.active === 'true' ? deps.now() : undefined,
      limit: query.limit ?? DEFAULT_LIST_LIMIT,
    });
    res.json({ ok: true, events: events.map(eventJson) });
  });

  router.post('/api/ami/events/:id/end', operator, jsonBody, async (req, res) => {
    const { id } = parseParams(idSchema, req.params);
    const body = req.body === undefined ? {} : parseBody(endSchema, req);
    const now = deps.now();
    const result = await endEvent(deps.pool, id, now, body.tenantId);
    if (result.outcome === 'not-found') {
      throw new AppError('NOT_FOUND', `no event ${id}${body.tenantId ? ` for tenant ${body.tenantId}` : ''}`);
    }
    if (result.outcome === 'already-ended') {
      throw new AppError('CONFLICT', `event ${id} already ended at ${result.event.endsAt!.toISOString()}`, { event: eventJson(result.event) });
    }
    if (result.outcome === 'not-started') {
      throw new AppError('CONFLICT', `event ${id} has not started yet (it starts at ${result.event.startsAt.toISOString()}); only an event in force can be ended`, {
        event: eventJson(result.event),
      });
    }
    res.json({ ok: true, event: eventJson(result.event) });
  });

  allowOnly(router, '/api/ami/events', ['GET', 'POST']);
  allowOnly(router, '/api/ami/events/:id/end', ['POST']);
  return router;
}

function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const result = schema.safeParse(params);
  if (!result.success) {
    throw fieldErrors(result.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(path)', message: issue.message })));
  }
  return result.data;
}
