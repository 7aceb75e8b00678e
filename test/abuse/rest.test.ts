import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { startTestApp, type TestApp, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { intervalsAgo } from '../helpers/integrity.ts';
import { tally } from '../helpers/tally.ts';
import { badBodies, badQueries, MALFORMED_BODIES, type FieldKind } from './generate.ts';
import { expectClean, newOutcome, send, snapshot, type BadRequest } from './harness.ts';

const db = useTestDatabase();
const TOKEN = 'abuse-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp(db, { env: { AMI_API_TOKEN: TOKEN } });
  // A registered tenant (25 feeders) with one interval queued, so requests have something to damage.
  const deps = testDeps(db);
  await publishTick(deps, 'DEMO_TENANT', new Date(intervalsAgo(4)), 100, 25, 100, { requestedBy: 'manual', onBackpressure: 'refuse' });
});
afterAll(async () => app?.close());

interface BodyEndpoint {
  path: string;
  valid: Record<string, unknown>;
  kinds: Record<string, FieldKind>;
  required: string[];
}

const bodyEndpoints: BodyEndpoint[] = [
  {
    path: '/api/ami/publish-once',
    valid: { tenantId: 'DEMO_TENANT', meterCount: 100, feederCount: 25, batchSize: 100, intervalMinutes: 15, readAt: intervalsAgo(3) },
    kinds: { tenantId: 'tenantId', meterCount: 'count', feederCount: 'count', batchSize: 'count', intervalMinutes: 'interval', readAt: 'readAt' },
    required: ['tenantId'],
  },
  {
    path: '/api/ami/auto/start',
    valid: { tenantId: 'DEMO_TENANT', meterCount: 100, feederCount: 25, batchSize: 100, intervalMinutes: 15, catchUpIntervals: 2 },
    kinds: { tenantId: 'tenantId', meterCount: 'count', feederCount: 'count', batchSize: 'count', intervalMinutes: 'interval', catchUpIntervals: 'catchUp' },
    required: ['tenantId'],
  },
  { path: '/api/ami/auto/stop', valid: { tenantId: 'DEMO_TENANT' }, kinds: { tenantId: 'tenantId' }, required: ['tenantId'] },
  {
    path: '/api/ami/events',
    valid: { tenantId: 'DEMO_TENANT', feederId: 3, type: 'theft', severity: 0.5, durationMinutes: 60 },
    kinds: {
      tenantId: 'tenantId',
      feederId: 'feederId',
      type: 'eventType',
      severity: 'severity',
      startsAt: 'instant',
      endsAt: 'instant',
      durationMinutes: 'duration',
    },
    required: ['tenantId', 'feederId', 'type', 'severity'],
  },
  { path: '/api/ami/events/1/end', valid: { tenantId: 'DEMO_TENANT' }, kinds: { tenantId: 'tenantId' }, required: [] },
];

const queryEndpoints: Array<{ path: string; extra?: Record<string, FieldKind> }> = [
  { path: '/api/ami/auto/status' },
  { path: '/api/ami/kpi/quickcheck', extra: { readAt: 'readAt' } },
  { path: '/api/ami/events', extra: { active: 'queryBoolean', feederId: 'queryCount', limit: 'queryCount' } },
  { path: '/api/ami/kpi/series', extra: { hours: 'queryCount' } },
];
const noQueryEndpoints = ['/api/ami/scale/status'];

const paths: Array<{ path: string; methods: string[] }> = [
  { path: '/api/ami/publish-once', methods: ['POST'] },
  { path: '/api/ami/auto/start', methods: ['POST'] },
  { path: '/api/ami/auto/stop', methods: ['POST'] },
  { path: '/api/ami/auto/status?tenantId=DEMO_TENANT', methods: ['GET', 'HEAD'] },
  { path: '/api/ami/scale/status', methods: ['GET', 'HEAD'] },
  { path: '/healthz', methods: ['GET', 'HEAD'] },
  { path: '/readyz', methods: ['GET', 'HEAD'] },
  { path: '/api/ami/kpi/quickcheck?tenantId=DEMO_TENANT', methods: ['GET', 'HEAD'] },
  { path: '/api/ami/kpi/series?tenantId=DEMO_TENANT', methods: ['GET', 'HEAD'] },
  { path: '/api/ami/events?tenantId=DEMO_TENANT', methods: ['GET', 'HEAD', 'POST'] },
  { path: '/api/ami/events/1/end', methods: ['POST'] },
];

describe('abuse of the REST API', () => {
  it('answers every generated bad request with a 4xx in the error shape, never a 5xx, and changes no row', async () => {
    const before = await snapshot(db.pool);
    const outcome = newOutcome();
    const requests: BadRequest[] = [];
    for (const endpoint of bodyEndpoints) {
      for (const body of badBodies(endpoint.valid, endpoint.kinds, endpoint.required)) {
        requests.push({ method: 'POST', path: endpoint.path, body, headers: auth, expect: 400 });
        // Without the token the answer is 401 before any validation.
        requests.push({ method: 'POST', path: endpoint.path, body, expect: 401 });
      }
      for (const { body, contentType } of MALFORMED_BODIES) {
        requests.push({ method: 'POST', path: endpoint.path, rawBody: body, contentType, headers: auth });
      }
      requests.push({ method: 'POST', path: endpoint.path, body: endpoint.valid, headers: { authorization: 'Bearer wrong-token-0123456789' }, expect: 401 });
      requests.push({ method: 'POST', path: endpoint.path, body: endpoint.valid, headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, expect: 401 });
      requests.push({ method: 'POST', path: endpoint.path, body: endpoint.valid, headers: { authorization: `Bearer ${'x'.repeat(4_000)}` }, expect: 401 });
    }
    for (const endpoint of queryEndpoints) {
      for (const query of badQueries(endpoint.extra)) requests.push({ method: 'GET', path: `${endpoint.path}${query}`, expect: 400 });
    }
    for (const path of noQueryEndpoints) {
      for (const query of ['?x=1', '?tenantId=DEMO_TENANT', `?${'a'.repeat(3_000)}=1`, '?a=1&a=2'])
        requests.push({ method: 'GET', path: `${path}${query}`, expect: 400 });
    }
    for (const { path, methods } of paths) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !methods.includes(m))) {
        requests.push({ method, path, headers: auth, expect: 405 });
      }
    }
    for (const id of ['0', '-1', 'abc', '1.5', '99999999999', '1%3Bdrop', '%F0%9F%99%82', 'null', '1e3', ' 1']) {
      requests.push({ method: 'POST', path: `/api/ami/events/${id}/end`, body: { tenantId: 'DEMO_TENANT' }, headers: auth, expect: 400 });
    }
    requests.push({ method: 'POST', path: '/api/ami/events/123456/end', body: { tenantId: 'DEMO_TENANT' }, headers: auth, expect: 404 });
    for (const path of [
      '/api/ami',
      '/api/ami/publish-once/extra',
      '/api/ami/../../etc/passwd',
      '/api/ami/auto/status/x',
      `/${'a'.repeat(2_000)}`,
      '/%00',
      '/api/ami/kpi/quickcheck%',
    ]) {
      requests.push({ method: 'GET', path });
    }

    // A few at a time, as a busy client would.
    for (let i = 0; i < requests.length; i += 16) {
      await Promise.all(requests.slice(i, i + 16).map((request) => send(app.url, request, outcome)));
    }
    const after = await snapshot(db.pool);
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    tally({ 'bad requests tried': outcome.tried, '5xx seen': outcome.fiveHundreds, 'tables changed': changed.length });
    expect(outcome.tried).toBeGreaterThan(500);
    expectClean(outcome);
    expect(changed).toEqual([]);
  });
});

// A non-loopback address of this machine, to call the API as a remote caller would.
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((nic) => nic && nic.family === 'IPv4' && !nic.internal)?.address;

describe.runIf(external)('mutating endpoints without a configured token', () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await startTestApp(db, { listenHost: '0.0.0.0' });
  });
  afterAll(async () => open?.close());

  it('refuse every non-loopback caller with 403, valid bodies included, and change nothing', async () => {
    const before = await snapshot(db.pool);
    const outcome = newOutcome();
    const remote = `http://${external}:${new URL(open.url).port}`;
    for (const endpoint of bodyEndpoints) {
      await send(remote, { method: 'POST', path: endpoint.path, body: endpoint.valid, expect: 403 }, outcome);
      await send(remote, { method: 'POST', path: endpoint.path, body: endpoint.valid, headers: auth, expect: 403 }, outcome);
    }
    // Reads stay open to anyone.
    const read = await fetch(`${remote}/api/ami/kpi/quickcheck?tenantId=DEMO_TENANT`);
    expect(read.status).toBe(200);
    const after = await snapshot(db.pool);
    tally({ 'bad requests tried': outcome.tried, '5xx seen': outcome.fiveHundreds });
    expectClean(outcome);
    expect(after).toEqual(before);
  });
});
