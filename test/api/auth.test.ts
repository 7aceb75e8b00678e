import os from 'node:os';
import http from 'node:http';
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
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ]) {
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

/** A POST with the Host and Origin headers given (fetch will not send a Host of our choosing). */
function rawPost(url: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('without AMI_API_TOKEN, a page that rebinds its own name to 127.0.0.1', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db);
  });
  afterAll(async () => app?.close());

  it('is refused (403) whatever it mutates, since the Host it asks for is not a loopback name; a loopback Host and an allowed Origin still work', async () => {
    const before = await ticks();
    const evil = { host: 'evil.example:3201', origin: 'http://evil.example:3201' };
    const attempts: Array<[string, unknown, Record<string, string>]> = [
      ['/api/ami/publish-once', { ...body, tenantId: 'REBIND' }, evil],
      ['/api/ami/auto/start', { tenantId: 'REBIND' }, evil],
      ['/api/ami/auto/stop', { tenantId: 'REBIND' }, evil],
      ['/api/ami/events', { tenantId: 'AUTH', feederId: 1, type: 'theft', severity: 0.5 }, evil],
      ['/api/ami/events/1/end', {}, evil],
      ['/api/ami/publish-once', { ...body, tenantId: 'REBIND' }, { host: 'evil.example' }],
      ['/api/ami/publish-once', { ...body, tenantId: 'REBIND' }, { host: 'localhost:3201', origin: 'http://evil.example:3201' }],
      ['/api/ami/publish-once', { ...body, tenantId: 'REBIND' }, { host: '127.0.0.1', origin: 'null' }],
      ['/api/ami/publish-once', { ...body, tenantId: 'REBIND' }, { host: '127.0.0.1.evil.example' }],
    ];
    for (const [path, payload, headers] of attempts) {
      const res = await rawPost(app.url, path, payload, headers);
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
      expect(res.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringMatching(/Host|Origin|origin/) } });
    }
    expect(await ticks()).toBe(before);
    const { rows } = await db.pool.query(`select count(*)::int as n from ami_fleets where tenant_id = 'REBIND'`);
    expect(rows[0].n).toBe(0);

    const controls: Array<Record<string, string>> = [
      { host: `localhost:${new URL(app.url).port}` },
      { host: '[::1]', origin: 'http://localhost:3000' },
      { host: '127.0.0.1:9', origin: 'https://app.gridlensenergy.com' },
    ];
    for (const headers of controls) {
      const ok = await rawPost(app.url, '/api/ami/publish-once', { ...body, tenantId: 'REBIND' }, headers);
      expect([200, 202], JSON.stringify(headers)).toContain(ok.status);
    }
  });
});
