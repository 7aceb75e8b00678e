import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.ts';
import { postJson, startTestApp, type TestApp } from '../helpers/app.ts';

const db = useTestDatabase();
const TOKEN = 'test-token-0123456789abcdef';
const readAt = new Date(Math.floor(Date.now() / 900_000) * 900_000 - 3_600_000).toISOString();
const body = { tenantId: 'AUTH', meterCount: 100, feederCount: 2, batchSize: 50, readAt };

async function ticks(): Promise<number> {
  const { rows } = await db.pool.query('select count(*)::int as n from ami_ticks');
  return rows[0].n;
}

describe('with AMI_API_TOKEN set', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db, { env: { AMI_API_TOKEN: TOKEN } });
  });
  afterAll(async () => app?.close());

  it('refuses a mutating call without the bearer token or with a wrong one, with 401 and nothing written', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await postJson(`${app.url}/api/ami/publish-once`, body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
    expect(await ticks()).toBe(0);
  });

  it('accepts the right token', async () => {
    const res = await postJson(`${app.url}/api/ami/publish-once`, body, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(202);
    expect(await ticks()).toBe(1);
  });

  it('checks the token before the body, so an anonymous caller learns nothing about validation', async () => {
    const res = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'bad tenant' });
    expect(res.status).toBe(401);
  });
});

// A non-loopback address of this machine, to call the API as a remote caller would.
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((nic) => nic && nic.family === 'IPv4' && !nic.internal)?.address;

describe.runIf(external)('without AMI_API_TOKEN', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db, { listenHost: '0.0.0.0' });
  });
  afterAll(async () => app?.close());

  it('accepts mutating calls from loopback only', async () => {
    const before = await ticks();
    const port = new URL(app.url).port;
    const remote = await postJson(`http://${external}:${port}/api/ami/publish-once`, { ...body, tenantId: 'AUTH2' });
    expect(remote.status).toBe(403);
    expect(remote.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(remote.body.error.message).toMatch(/AMI_API_TOKEN/);
    expect(await ticks()).toBe(before);

    const local = await postJson(`${app.url}/api/ami/publish-once`, { ...body, tenantId: 'AUTH2' });
    expect(local.status).toBe(202);
  });
});
