import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp(db);
});
afterAll(async () => app?.close());

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
    expect(form.status).toBe(400);
    expect(((await form.json()) as { error: { message: string } }).error.message).toMatch(/JSON object body is required/);
    expect(await ticks()).toBe(0);
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
