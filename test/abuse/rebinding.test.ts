import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuto } from '../../src/auto/autoMode.ts';
import { insertEvent } from '../../src/db/events.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { startTestApp, type TestApp, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { intervalsAgo } from '../helpers/integrity.ts';
import { tally } from '../helpers/tally.ts';
import { snapshot } from './harness.ts';

/**
 * DNS rebinding and cross-site posts against an API without AMI_API_TOKEN,
 * which trusts this machine only. A page of evil.example whose name has been
 * rebound to 127.0.0.1 connects from loopback but asks for Host evil.example
 * (and a browser sends its Origin); a page of any site can post to
 * localhost with its own Origin. Every mutation is tried with each such
 * Host and Origin, from loopback, with a valid body: all refused 403 in the
 * error shape, no row changed. A loopback Host with an allowed Origin works.
 * (fetch() sets Host itself: requests go through node:http.)
 */
const db = useTestDatabase();
let app: TestApp;
let port: number;
let eventId: number;

beforeAll(async () => {
  app = await startTestApp(db);
  port = Number(new URL(app.url).port);
  const deps = testDeps(db);
  // Something for each mutation to damage: a fleet with an interval queued, automatic mode on, an open event.
  await publishTick(deps, 'DEMO_TENANT', new Date(intervalsAgo(4)), 100, 5, 50, { requestedBy: 'manual', onBackpressure: 'refuse' });
  await startAuto(deps, { tenantId: 'AUTO_ON', meterCount: 100, feederCount: 5, batchSize: 50, catchUpIntervals: 1 });
  const event = await insertEvent(db.pool, { tenantId: 'DEMO_TENANT', feederId: 2, type: 'comms-outage', severity: 0.5, startsAt: new Date(), endsAt: null });
  eventId = event!.id;
});
afterAll(async () => app?.close());

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One request to the app from loopback, with exactly the Host and Origin given. */
function request(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        setHost: false,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const mutations = () => [
  { path: '/api/ami/auto/start', body: { tenantId: 'REBOUND', meterCount: 100, feederCount: 5, batchSize: 50, catchUpIntervals: 1 } },
  { path: '/api/ami/auto/stop', body: { tenantId: 'AUTO_ON' } },
  { path: '/api/ami/publish-once', body: { tenantId: 'DEMO_TENANT', readAt: intervalsAgo(3) } },
  { path: '/api/ami/events', body: { tenantId: 'DEMO_TENANT', feederId: 3, type: 'theft', severity: 0.5, durationMinutes: 60 } },
  { path: `/api/ami/events/${eventId}/end`, body: { tenantId: 'DEMO_TENANT' } },
];

/** Host and Origin as an attacker's page (or a tool pretending to be one) sends them. */
const refusedHeaders = (): Array<{ label: string; headers: Record<string, string> }> => [
  { label: 'rebound name, its own origin', headers: { host: 'evil.example:3201', origin: 'http://evil.example:3201' } },
  { label: 'rebound name, no Origin', headers: { host: 'evil.example:3201' } },
  { label: 'rebound name, Origin null', headers: { host: 'evil.example:3201', origin: 'null' } },
  { label: 'loopback Host, foreign Origin', headers: { host: `127.0.0.1:${port}`, origin: 'http://evil.example:3201' } },
  { label: 'localhost Host, Origin null (sandboxed frame, file:)', headers: { host: `localhost:${port}`, origin: 'null' } },
  { label: 'localhost Host, file: Origin', headers: { host: `localhost:${port}`, origin: 'file://' } },
  { label: 'a name starting with localhost', headers: { host: `localhost.evil.example:${port}`, origin: `http://localhost.evil.example:${port}` } },
  { label: 'a name starting with 127.0.0.1', headers: { host: `127.0.0.1.nip.io:${port}`, origin: `http://127.0.0.1.nip.io:${port}` } },
  { label: 'loopback Host, Origin with loopback user info', headers: { host: `localhost:${port}`, origin: 'http://localhost:3000@evil.example' } },
  { label: 'loopback Host, Origin under an allowed one', headers: { host: `localhost:${port}`, origin: 'https://app.gridlensenergy.com.evil.example' } },
  {
    label: 'rebound name, X-Forwarded-Host localhost',
    headers: { host: 'evil.example:3201', 'x-forwarded-host': 'localhost', origin: 'http://localhost:3000' },
  },
  { label: 'rebound name, loopback in the port place', headers: { host: 'evil.example:127.0.0.1' } },
  { label: 'two names in Host', headers: { host: `evil.example, localhost:${port}` } },
  { label: 'IPv6 loopback spelt with junk', headers: { host: '[::1]evil.example' } },
];

describe('DNS rebinding and cross-site writes against an API without a token', () => {
  it('refuses every mutation from loopback with a foreign Host or Origin: 403 in the error shape, no row changed', async () => {
    const before = await snapshot(db.pool);
    let tried = 0;
    let fiveHundreds = 0;
    const failures: string[] = [];
    for (const { label, headers } of refusedHeaders()) {
      for (const mutation of mutations()) {
        const answer = await request('POST', mutation.path, headers, mutation.body);
        tried++;
        if (answer.status >= 500) fiveHundreds++;
        const shaped =
          answer.body?.ok === false &&
          answer.body.error?.code === 'FORBIDDEN' &&
          typeof answer.body.error.message === 'string' &&
          answer.body.error.message.length > 0;
        if (answer.status !== 403 || !shaped) failures.push(`${label}: POST ${mutation.path} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      }
    }
    const after = await snapshot(db.pool);
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    tally({ 'bad requests tried': tried, '5xx seen': fiveHundreds, 'tables changed': changed.length });
    expect(fiveHundreds).toBe(0);
    expect(failures).toEqual([]);
    expect(changed).toEqual([]);
  });

  it('says why in the refusal: the Host that is not a loopback name, or the Origin that is not allowed', async () => {
    const rebound = await request('POST', '/api/ami/auto/stop', { host: 'evil.example:3201', origin: 'http://evil.example:3201' }, { tenantId: 'AUTO_ON' });
    expect(rebound.body.error.message).toMatch(/Host header \(evil\.example:3201\) is not a loopback name/);
    const foreign = await request('POST', '/api/ami/auto/stop', { host: `127.0.0.1:${port}`, origin: 'http://evil.example:3201' }, { tenantId: 'AUTO_ON' });
    expect(foreign.body.error.message).toMatch(/http:\/\/evil\.example:3201/);
  });

  it('still accepts this machine: a loopback Host (any port, any case, IPv6) with no Origin, its own Origin or an allowed one', async () => {
    const before = await snapshot(db.pool);
    const controls: Array<{ headers: Record<string, string>; path: string; body: unknown; status: number }> = [
      { headers: { host: `localhost:${port}`, origin: 'http://localhost:3000' }, path: '/api/ami/events', body: mutations()[3]!.body, status: 201 },
      { headers: { host: `127.0.0.1:${port}` }, path: '/api/ami/publish-once', body: mutations()[2]!.body, status: 202 },
      { headers: { host: '[::1]:1', origin: 'http://[::1]:1' }, path: '/api/ami/auto/start', body: mutations()[0]!.body, status: 200 },
      { headers: { host: 'LOCALHOST', origin: 'http://127.0.0.1:3000' }, path: '/api/ami/auto/stop', body: { tenantId: 'AUTO_ON' }, status: 200 },
      {
        headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` },
        path: `/api/ami/events/${eventId}/end`,
        body: { tenantId: 'DEMO_TENANT' },
        status: 200,
      },
    ];
    for (const control of controls) {
      const answer = await request('POST', control.path, control.headers, control.body);
      expect(answer.status, `${JSON.stringify(control.headers)} ${control.path}: ${JSON.stringify(answer.body)}`).toBe(control.status);
      expect(answer.body.ok).toBe(true);
    }
    // They did write: the refusals above were not for want of a valid request.
    const after = await snapshot(db.pool);
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    expect(changed).toEqual(expect.arrayContaining(['ami_events', 'ami_ticks', 'ami_auto_config']));
  });

  // docs/api.md: a POST with an Origin is refused unless that origin is this server or in AMI_CORS_ORIGINS,
  // so a page on another loopback port (a local dev server) is refused too, before the no-token rule
  // (src/api/auth.ts, which would accept any loopback Origin) is applied.
  it('refuses a page on another loopback port too: an Origin must be this server itself or allowed', async () => {
    const before = await snapshot(db.pool);
    const origins = ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:9999'];
    const answers = [];
    for (const origin of origins) answers.push(await request('POST', '/api/ami/events', { host: `localhost:${port}`, origin }, mutations()[3]!.body));
    const after = await snapshot(db.pool);
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    tally({ 'bad requests tried': answers.length, '5xx seen': answers.filter((a) => a.status >= 500).length, 'tables changed': changed.length });
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, `Origin ${origins[i]}: ${JSON.stringify(answer.body)}`).toBe(403);
      expect(answer.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringContaining(origins[i]!) } });
    }
    expect(changed).toEqual([]);
  });
});
