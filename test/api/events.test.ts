import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/pool.ts';
import { ensureFleet } from '../../src/db/fleet.ts';
import { getJson, postJson, useTestApp } from '../helpers/app.ts';

const TOKEN = 'events-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
// The injected clock: every "now" of the API is this value.
let clock = new Date('2026-11-28T10:07:30.000Z');
const { db, app } = useTestApp({ env: { AMI_API_TOKEN: TOKEN }, clock: () => clock });

beforeAll(async () => {
  await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'EVT', meterCount: 100, feederCount: 4, now: new Date() }));
});

async function eventCount(): Promise<number> {
  const { rows } = await db.pool.query('select count(*)::int as n from ami_events');
  return rows[0].n;
}

describe('POST /api/ami/events', () => {
  it('creates an open-ended event starting now (the injected clock) and answers 201 with the event', async () => {
    const res = await postJson(`${app.url}/api/ami/events`, { tenantId: 'EVT', feederId: 2, type: 'theft', severity: 0.5 }, AUTH);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ok: true,
      event: { id: expect.any(Number), tenantId: 'EVT', feederId: 2, type: 'theft', severity: 0.5, startsAt: '2026-11-28T10:07:30.000Z', endsAt: null },
    });
    const { rows } = await db.pool.query('select tenant_id, feeder_id, type, severity, starts_at, ends_at from ami_events where id = $1', [res.body.event.id]);
    expect(rows[0]).toEqual({ tenant_id: 'EVT', feeder_id: 2, type: 'theft', severity: 0.5, starts_at: new Date('2026-11-28T10:07:30Z'), ends_at: null });
  });

  it('turns durationMinutes into endsAt, and keeps an explicit window as given (past windows too)', async () => {
    const timed = await postJson(`${app.url}/api/ami/events`, { tenantId: 'EVT', feederId: 1, type: 'comms-outage', severity: 1, durationMinutes: 90 }, AUTH);
    expect(timed.status).toBe(201);
    expect(timed.body.event).toMatchObject({ startsAt: '2026-11-28T10:07:30.000Z', endsAt: '2026-11-28T11:37:30.000Z', severity: 1 });

    const past = await postJson(
      `${app.url}/api/ami/events`,
      { tenantId: 'EVT', feederId: 3, type: 'voltage-sag', severity: 0.9, startsAt: '2026-11-27T09:00:00Z', endsAt: '2026-11-27T09:30:00+00:00' },
      AUTH,
    );
    expect(past.status).toBe(201);
    expect(past.body.event).toMatchObject({ feederId: 3, type: 'voltage-sag', startsAt: '2026-11-27T09:00:00.000Z', endsAt: '2026-11-27T09:30:00.000Z' });
  });

  it('refuses bad input with 400 naming the field (or 401 without the token), writing nothing', async () => {
    const before = await eventCount();
    const good = { tenantId: 'EVT', feederId: 1, type: 'theft', severity: 0.5 };
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...good, type: 'flood' }, 'type', /theft, comms-outage, voltage-sag/],
      [{ ...good, severity: 0 }, 'severity', /greater than 0/],
      [{ ...good, severity: 1.5 }, 'severity', /at most 1/],
      [{ ...good, severity: -0.2 }, 'severity', /greater than 0/],
      [{ ...good, severity: '0.5' }, 'severity', /number/],
      [{ ...good, feederId: 999 }, 'feederId', /feeder 999 does not exist for tenant EVT \(feeders 1-4\)/],
      [{ ...good, feederId: 0 }, 'feederId', /at least 1/],
      [{ ...good, feederId: 3_000_000_000 }, 'feederId', /at most 2147483647/],
      [{ ...good, tenantId: 'NO_FLEET' }, 'tenantId', /no fleet/],
      [{ ...good, tenantId: 'bad tenant!' }, 'tenantId', /letters, digits/],
      [{ ...good, startsAt: '2026-11-28T10:00:00Z', endsAt: '2026-11-28T09:00:00Z' }, 'endsAt', /after startsAt \(2026-11-28T10:00:00.000Z\)/],
      [{ ...good, startsAt: '2026-11-28T10:00:00Z', endsAt: '2026-11-28T10:00:00Z' }, 'endsAt', /after startsAt/],
      [{ ...good, endsAt: '2026-11-28T10:00:00Z' }, 'endsAt', /after startsAt \(2026-11-28T10:07:30.000Z\)/],
      [{ ...good, endsAt: '2026-11-28T12:00:00Z', durationMinutes: 30 }, 'durationMinutes', /not both/],
      [{ ...good, durationMinutes: 0 }, 'durationMinutes', /at least 1/],
      [{ ...good, startsAt: 'tomorrow' }, 'startsAt', /ISO 8601/],
      [{ ...good, colour: 'red' }, 'colour', /unknown field/],
      [{ tenantId: 'EVT' }, 'feederId', /./],
    ];
    for (const [body, field, message] of cases) {
      const res = await postJson(`${app.url}/api/ami/events`, body, AUTH);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      const named = res.body.error.fields.find((f: { field: string }) => f.field === field);
      expect(named, `${JSON.stringify(body)} -> ${JSON.stringify(res.body.error.fields)}`).toBeDefined();
      expect(named.message).toMatch(message);
    }
    const anonymous = await postJson(`${app.url}/api/ami/events`, good);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await eventCount()).toBe(before);
  });
});

describe('GET /api/ami/events', () => {
  it('lists all of the tenant events newest first, or only those in force now with active=true, without a token', async () => {
    const all = await getJson(`${app.url}/api/ami/events?tenantId=EVT`);
    expect(all.status).toBe(200);
    expect(all.body.ok).toBe(true);
    // Newest start first; the same start: the later injection first.
    expect(all.body.events.map((e: { type: string }) => e.type)).toEqual(['comms-outage', 'theft', 'voltage-sag']);
    expect(all.body.events[0]).toEqual({
      id: expect.any(Number),
      tenantId: 'EVT',
      feederId: 1,
      type: 'comms-outage',
      severity: 1,
      startsAt: '2026-11-28T10:07:30.000Z',
      endsAt: '2026-11-28T11:37:30.000Z',
    });

    const active = await getJson(`${app.url}/api/ami/events?tenantId=EVT&active=true`);
    expect(active.body.events.map((e: { feederId: number }) => e.feederId).sort()).toEqual([1, 2]);

    const limited = await getJson(`${app.url}/api/ami/events?tenantId=EVT&limit=1&feederId=3`);
    expect(limited.body.events.map((e: { type: string }) => e.type)).toEqual(['voltage-sag']);

    const other = await getJson(`${app.url}/api/ami/events?tenantId=SOMEONE_ELSE`);
    expect(other.body).toEqual({ ok: true, events: [] });
  });

  it('refuses a malformed query with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['tenantId=bad%20id', 'tenantId'],
      ['tenantId=EVT&active=yes', 'active'],
      ['tenantId=EVT&limit=5000', 'limit'],
      ['tenantId=EVT&sort=asc', 'sort'],
      ['', 'tenantId'],
    ] as const) {
      const res = await getJson(`${app.url}/api/ami/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
  });
});

describe('POST /api/ami/events/:id/end', () => {
  it('ends an event in force at the injected now, so read_at >= now is no longer affected', async () => {
    const created = await postJson(`${app.url}/api/ami/events`, { tenantId: 'EVT', feederId: 4, type: 'theft', severity: 0.3 }, AUTH);
    clock = new Date('2026-11-28T10:20:00.000Z');
    const ended = await postJson(`${app.url}/api/ami/events/${created.body.event.id}/end`, {}, AUTH);
    expect(ended.status).toBe(200);
    expect(ended.body).toEqual({ ok: true, cancelled: false, event: { ...created.body.event, endsAt: '2026-11-28T10:20:00.000Z' } });

    const again = await postJson(`${app.url}/api/ami/events/${created.body.event.id}/end`, {}, AUTH);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/already ended at 2026-11-28T10:20:00.000Z/) });
  });

  it('cancels a scheduled event (its window becomes empty) and ends one at its very start; refuses an unknown id (404), a malformed id (400), or no token (401)', async () => {
    const future = await postJson(
      `${app.url}/api/ami/events`,
      { tenantId: 'EVT', feederId: 4, type: 'voltage-sag', severity: 0.5, startsAt: '2026-11-29T00:00:00Z' },
      AUTH,
    );
    const cancelled = await postJson(`${app.url}/api/ami/events/${future.body.event.id}/end`, {}, AUTH);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ ok: true, cancelled: true, event: { ...future.body.event, endsAt: '2026-11-29T00:00:00.000Z' } });
    const listed = await getJson(`${app.url}/api/ami/events?tenantId=EVT&active=true`);
    expect(listed.body.events.map((e: { id: number }) => e.id)).not.toContain(future.body.event.id);

    // Ended at the very instant it starts: cancelled too, never in force.
    const atStart = await postJson(
      `${app.url}/api/ami/events`,
      { tenantId: 'EVT', feederId: 4, type: 'theft', severity: 0.2, startsAt: clock.toISOString() },
      AUTH,
    );
    const endedAtStart = await postJson(`${app.url}/api/ami/events/${atStart.body.event.id}/end`, {}, AUTH);
    expect(endedAtStart.body).toMatchObject({ ok: true, cancelled: true, event: { startsAt: clock.toISOString(), endsAt: clock.toISOString() } });
    const before = await db.pool.query('select id, ends_at from ami_events order by id');

    const again = await postJson(`${app.url}/api/ami/events/${future.body.event.id}/end`, {}, AUTH);
    expect(again.status).toBe(409);

    const unknown = await postJson(`${app.url}/api/ami/events/987654/end`, {}, AUTH);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: 'no event 987654' } });

    const otherTenant = await postJson(`${app.url}/api/ami/events/${future.body.event.id}/end`, { tenantId: 'OTHER' }, AUTH);
    expect(otherTenant.status).toBe(404);

    const malformed = await postJson(`${app.url}/api/ami/events/abc/end`, {}, AUTH);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields[0].field).toBe('id');

    const unknownField = await postJson(`${app.url}/api/ami/events/${future.body.event.id}/end`, { force: true }, AUTH);
    expect(unknownField.status).toBe(400);

    const anonymous = await postJson(`${app.url}/api/ami/events/${future.body.event.id}/end`, {});
    expect(anonymous.status).toBe(401);

    const after = await db.pool.query('select id, ends_at from ami_events order by id');
    expect(after.rows).toEqual(before.rows);
  });
});

describe('reading without a token', () => {
  it('serves quickcheck to anyone while events need the operator token', async () => {
    const res = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=EVT`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, tenantId: 'EVT', latestInterval: null, reportingSummary: { expectedMeters: 100, reportingMeters: 0 } });
  });
});
