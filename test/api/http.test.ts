import { describe, expect, it } from 'vitest';
import { ensureFleet } from '../../src/db/fleet.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { useTestApp } from '../helpers/app.ts';

const { db, app } = useTestApp();
async function ticks(): Promise<number> {
  const { rows } = await db.pool.query('select count(*)::int as n from ami_ticks');
  return rows[0].n;
}

describe('HTTP edges', () => {
  it('answers a wrong method with 405 and Allow, an unknown path with 404, both in the error shape', async () => {
    const wrong = await fetch(`${app.url}/api/ami/publish-once`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await wrong.json()).toMatchObject({ ok: false, error: { code: 'METHOD_NOT_ALLOWED' } });
    const del = await fetch(`${app.url}/api/ami/auto/status?tenantId=X`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const missing = await fetch(`${app.url}/api/ami/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('refuses malformed JSON (400), an oversize body (413) and a body that is not JSON (400), writing nothing', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${app.url}/api/ami/publish-once`, { method: 'POST', headers: { 'content-type': type }, body });
    const malformed = await post('{"tenantId": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ ok: false, error: { code: 'VALIDATION', fields: [{ field: '(body)' }] } });
    const huge = await post(JSON.stringify({ tenantId: 'X', pad: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    const form = await post('tenantId=X', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({
      ok: false,
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringMatching(/Content-Type: application\/json/) },
    });
    const empty = await fetch(`${app.url}/api/ami/publish-once`, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/JSON object body is required/);
    expect(await ticks()).toBe(0);
  });

  it('answers a path that is not valid percent-encoding and a body that does not inflate with 400, not 500', async () => {
    const badPath = await fetch(`${app.url}/api/ami/events/%ZZ/end`, { method: 'POST' });
    expect(badPath.status).toBe(400);
    expect(await badPath.json()).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const badGzip = await fetch(`${app.url}/api/ami/publish-once`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'this is not gzip',
    });
    expect(badGzip.status).toBe(400);
    expect(await badGzip.json()).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await ticks()).toBe(0);
  });
});

describe('what Node and the validators answer before a route runs', () => {
  it("answers headers too large with 431 in the JSON error shape, not Node's plain text", async () => {
    const res = await fetch(`${app.url}/api/ami/kpi/quickcheck?tenantId=X`, { headers: { 'x-padding': 'x'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ ok: false, error: { code: 'HEADERS_TOO_LARGE', message: expect.stringMatching(/headers too large/) } });
  });

  it('says "required" for a missing field, and what is wrong for a field of the wrong type', async () => {
    const before = await ticks();
    const missing = await fetch(`${app.url}/api/ami/publish-once`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.fields).toEqual([{ field: 'tenantId', message: 'required' }]);
    const wrong = await fetch(`${app.url}/api/ami/publish-once`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tenantId": 7}' });
    expect(((await wrong.json()) as any).error.fields).toEqual([{ field: 'tenantId', message: 'must be a string' }]);
    const query = await fetch(`${app.url}/api/ami/kpi/quickcheck`);
    expect(((await query.json()) as any).error.fields).toEqual([{ field: 'tenantId', message: 'required' }]);
    expect(await ticks()).toBe(before);
  });

  it('serves a favicon', async () => {
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^image\/svg\+xml/);
      expect(await res.text()).toContain('<svg');
    }
  });
});

describe('requests from other sites', () => {
  async function openEvent(): Promise<number> {
    await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'SITE', meterCount: 10, feederCount: 2, now: new Date() }));
    const { rows } = await db.pool.query(
      `insert into ami_events (tenant_id, feeder_id, type, severity, starts_at) values ('SITE', 1, 'theft', 0.5, now() - interval '1 minute') returning id`,
    );
    return rows[0].id;
  }
  const endsAt = async (id: number) => (await db.pool.query('select ends_at from ami_events where id = $1', [id])).rows[0].ends_at;

  it('refuses a form body to the end-event call instead of ignoring it (its tenantId would be dropped), ending nothing', async () => {
    const id = await openEvent();
    const res = await fetch(`${app.url}/api/ami/events/${id}/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"tenantId":"NOT_THE_OWNER"}',
    });
    expect(res.status).toBe(415);
    expect(await endsAt(id)).toBeNull();
  });

  it('refuses a POST from a page of an unknown origin, even from loopback without a token; serves this server and allowed origins', async () => {
    const id = await openEvent();
    const foreign = await fetch(`${app.url}/api/ami/events/${id}/end`, { method: 'POST', headers: { origin: 'https://evil.example.com' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', message: expect.stringMatching(/https:\/\/evil\.example\.com.*AMI_CORS_ORIGINS/) },
    });
    const opaque = await fetch(`${app.url}/api/ami/events/${id}/end`, { method: 'POST', headers: { origin: 'null' } });
    expect(opaque.status).toBe(403);
    expect(await endsAt(id)).toBeNull();
    // Reading stays open to any page (CORS decides what a browser may see).
    expect((await fetch(`${app.url}/api/ami/events?tenantId=SITE`, { headers: { origin: 'https://evil.example.com' } })).status).toBe(200);

    const sameHost = await fetch(`${app.url}/api/ami/events/${id}/end`, { method: 'POST', headers: { origin: app.url } });
    expect(sameHost.status).toBe(200);
    expect(await endsAt(id)).not.toBeNull();
    const second = await openEvent();
    const allowed = await fetch(`${app.url}/api/ami/events/${second}/end`, { method: 'POST', headers: { origin: 'https://app.gridlensenergy.com' } });
    expect(allowed.status).toBe(200);
  });
});

describe('CORS', () => {
  it('sends CORS headers to the public dashboard origin, preflight included, and none to an unknown origin', async () => {
    const allowed = await fetch(`${app.url}/api/ami/auto/status?tenantId=DEMO_TENANT`, { headers: { origin: 'https://app.gridlensenergy.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.gridlensenergy.com');
    const preflight = await fetch(`${app.url}/api/ami/publish-once`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.gridlensenergy.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.gridlensenergy.com');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);

    const stranger = await fetch(`${app.url}/api/ami/auto/status?tenantId=DEMO_TENANT`, { headers: { origin: 'https://evil.example.com' } });
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const strangerPreflight = await fetch(`${app.url}/api/ami/publish-once`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(strangerPreflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(strangerPreflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});
