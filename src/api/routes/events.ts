import { type RequestHandler, Router } from 'express';
import type { z } from 'zod';
import type { Clock } from '../../clock.ts';
import { recordPowerOutages } from '../../collection/meterEvents.ts';
import { endEvent, fleetFeederCount, insertEvent, listEvents, type EventRecord } from '../../db/events.ts';
import type { Pool } from '../../db/pool.ts';
import { DEFAULT_LIST_LIMIT, eventCreateSchema, eventEndSchema, eventIdParamsSchema, eventListQuerySchema } from '../../domain/events.ts';
import { AppError, fieldErrors } from '../../errors.ts';
import { allowOnly } from '../errors.ts';
import { jsonBody, parseBody, parseQuery } from '../validate.ts';

/** The event as every endpoint shows it. */
export function eventJson(event: EventRecord) {
  return {
    id: event.id,
    tenantId: event.tenantId,
    feederId: event.feederId,
    type: event.type,
    severity: event.severity,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt?.toISOString() ?? null,
    // Shown only when it is not the default: a comms outage whose withheld reads are lost.
    ...(event.type === 'comms-outage' && event.backfill === false ? { backfill: false } : {}),
  };
}

/**
 * Grid events (SPEC section 6): inject on a feeder, list, end now. Mutating
 * routes need the operator; the list is open. "Now" is the service's clock.
 */
export function eventsRouter(deps: { pool: Pool; operator: RequestHandler; clock: Clock }): Router {
  const router = Router();
  const { operator } = deps;

  router.post('/api/ami/events', operator, jsonBody, async (req, res) => {
    const body = parseBody(eventCreateSchema, req);
    const startsAt = body.startsAt ?? deps.clock();
    const endsAt = body.endsAt ?? (body.durationMinutes !== undefined ? new Date(startsAt.getTime() + body.durationMinutes * 60_000) : null);
    if (endsAt !== null && endsAt.getTime() <= startsAt.getTime()) {
      throw fieldErrors([{ field: 'endsAt', message: `must be after startsAt (${startsAt.toISOString()})` }]);
    }
    const event = await insertEvent(deps.pool, {
      tenantId: body.tenantId,
      feederId: body.feederId,
      type: body.type,
      severity: body.severity,
      startsAt,
      endsAt,
      backfill: body.backfill,
    });
    if (!event) {
      const feederCount = await fleetFeederCount(deps.pool, body.tenantId);
      throw fieldErrors([
        feederCount === undefined
          ? { field: 'tenantId', message: `tenant ${body.tenantId} has no fleet yet: publish an interval or start auto mode first` }
          : { field: 'feederId', message: `feeder ${body.feederId} does not exist for tenant ${body.tenantId} (feeders 1-${feederCount})` },
      ]);
    }
    // A power outage whose start (or whole window) is past: its meters' last gasps (and restorations) are in at once.
    if (event.type === 'power-outage') await recordPowerOutages(deps, event.tenantId);
    res.status(201).json({ ok: true, event: eventJson(event) });
  });

  router.get('/api/ami/events', async (req, res) => {
    const query = parseQuery(eventListQuerySchema, req);
    const events = await listEvents(deps.pool, {
      tenantId: query.tenantId,
      feederId: query.feederId,
      activeAt: query.active === 'true' ? deps.clock() : undefined,
      limit: query.limit ?? DEFAULT_LIST_LIMIT,
    });
    res.json({ ok: true, events: events.map(eventJson) });
  });

  router.post('/api/ami/events/:id/end', operator, jsonBody, async (req, res) => {
    const { id } = parseParams(eventIdParamsSchema, req.params);
    const body = req.body === undefined ? {} : parseBody(eventEndSchema, req);
    const now = deps.clock();
    const result = await endEvent(deps.pool, id, now, body.tenantId);
    if (result.outcome === 'not-found') {
      throw new AppError('NOT_FOUND', `no event ${id}${body.tenantId ? ` for tenant ${body.tenantId}` : ''}`);
    }
    if (result.outcome === 'already-ended') {
      const how = result.event.endsAt!.getTime() === result.event.startsAt.getTime() ? 'was cancelled' : 'already ended';
      throw new AppError('CONFLICT', `event ${id} ${how} at ${result.event.endsAt!.toISOString()}`, { event: eventJson(result.event) });
    }
    if (result.event.type === 'power-outage') await recordPowerOutages(deps, result.event.tenantId);
    // A scheduled event ended before it starts is cancelled: its window becomes empty.
    res.json({ ok: true, event: eventJson(result.event), cancelled: result.outcome === 'cancelled' });
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
