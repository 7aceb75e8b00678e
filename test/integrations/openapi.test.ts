import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import { TEST_ENV, useTestApp } from '../helpers/app.ts';
import { appRoutes, landTick, openApiPath } from './helpers.ts';

/**
 * GET /api/openapi.json: a valid OpenAPI 3.1 document; every route the app
 * registers (found by walking the Express router, not from any list the
 * document is built from) is in it with its methods; and the answers of the
 * real endpoints, successes and errors, validate against the schemas it
 * gives for them.
 */
const { db, app, deps, get, post } = useTestApp();
let doc: any;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

beforeAll(async () => {
  const res = await fetch(`${app.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = await res.json();
});

/** The schema the document gives for an answer, standalone (its component references resolve inside it). */
function answerSchema(path: string, method: string, status: number, mediaType = 'application/json') {
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} in the document`).toBeDefined();
  const response = operation.responses[String(status)];
  expect(response, `${method.toUpperCase()} ${path} documents ${status}`).toBeDefined();
  const schema = response.content?.[mediaType]?.schema;
  expect(schema, `${method.toUpperCase()} ${path} ${status} has a ${mediaType} schema`).toBeDefined();
  return { ...schema, components: doc.components };
}

const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

function expectAnswerValid(path: string, method: string, answer: { status: number; body: unknown }): void {
  const validate = ajv.compile(answerSchema(path, method, answer.status));
  const valid = validate(answer.body);
  expect(valid, `${method.toUpperCase()} ${path} ${answer.status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(answer.body).slice(0, 2000)}`).toBe(
    true,
  );
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('lists every route the Express app registers, with each of its methods, and no path the app lacks', () => {
    const express = makeApp({ config: loadConfig({ DATABASE_URL: db.url, ...TEST_ENV }), pool: db.pool, logger: db.logger, isReady: async () => true });
    const routes = appRoutes(express);
    // The walk reads this app: the routes of this issue are among them.
    expect(routes.map((route) => route.path)).toEqual(expect.arrayContaining(['/metrics', '/api/openapi.json', '/api/ami/greenbutton', '/api/ami/reads.csv']));
    expect(routes.length).toBeGreaterThanOrEqual(16);
    const missing = routes.flatMap((route) => {
      const item = doc.paths[openApiPath(route.path)];
      if (!item) return [`${route.path} (all methods)`];
      return route.methods.filter((method) => !item[method]).map((method) => `${method.toUpperCase()} ${route.path}`);
    });
    expect(missing).toEqual([]);
    // GraphQL is mounted as middleware by grafserv (no Express route), when the service serves it.
    const documented = Object.keys(doc.paths).filter((path) => path !== '/graphql');
    expect(documented.filter((path) => !routes.some((route) => openApiPath(route.path) === path))).toEqual([]);
  });

  it('renders the request schemas the routes validate with: parameters, bounds and bodies', () => {
    const params = (path: string) =>
      Object.fromEntries(doc.paths[path].get.parameters.map((p: { name: string; required?: boolean }) => [p.name, p.required ?? false]));
    expect(params('/api/ami/greenbutton')).toEqual({ tenantId: true, meterId: false, feederId: false, from: true, to: true });
    expect(params('/api/ami/reads.csv')).toEqual({ tenantId: true, from: true, to: true, feederId: false, meterId: false });
    expect(doc.paths['/api/ami/greenbutton'].get.description).toMatch(/at most 31 days.*at most 7 days/);
    const tenant = doc.paths['/api/ami/auto/status'].get.parameters[0];
    expect(tenant.schema.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$');
    const body = doc.paths['/api/ami/events'].post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['tenantId', 'feederId', 'type', 'severity']);
    expect(body.properties.type.enum).toEqual(['theft', 'comms-outage', 'voltage-sag', 'power-outage']);
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain('VALIDATION');
  });

  it('gives answer schemas that refuse a wrong answer (the check below has teeth)', () => {
    const events = ajv.compile(answerSchema('/api/ami/events', 'get', 200));
    expect(events({ ok: true, events: [] })).toBe(true);
    expect(
      events({ ok: true, events: [{ id: 1, tenantId: 'T', feederId: 1, type: 'flood', severity: 0.5, startsAt: '2026-01-01T00:00:00.000Z', endsAt: null }] }),
    ).toBe(false);
    expect(events({ ok: true })).toBe(false);
    const error = ajv.compile(answerSchema('/api/ami/events', 'get', 400));
    expect(error({ ok: false, error: { code: 'VALIDATION', message: 'x', fields: [{ field: 'tenantId', message: 'required' }] } })).toBe(true);
    expect(error({ ok: false, error: { code: 'OOPS', message: 'x' } })).toBe(false);
    const quickcheck = ajv.compile(answerSchema('/api/ami/kpi/quickcheck', 'get', 200));
    expect(quickcheck({ ok: true, tenantId: 'T', latestInterval: 'yesterday' })).toBe(false);
  });

  it('describes the real answers of every endpoint, successes and errors', async () => {
    const readAt = new Date(Math.floor(Date.now() / 900_000) * 900_000 - 1_800_000);
    await landTick(db, deps, { tenantId: 'OAS', readAt, meterCount: 40, feederCount: 2, batchSize: 20 });

    expectAnswerValid('/healthz', 'get', await get('/healthz'));
    expectAnswerValid('/readyz', 'get', await get('/readyz'));
    const published = await post('/api/ami/publish-once', { tenantId: 'OAS' });
    expect(published.status).toBe(202);
    expectAnswerValid('/api/ami/publish-once', 'post', published);
    const again = await post('/api/ami/publish-once', { tenantId: 'OAS' });
    expect(again.status).toBe(200);
    expectAnswerValid('/api/ami/publish-once', 'post', again);
    const started = await post('/api/ami/auto/start', { tenantId: 'OAS', catchUpIntervals: 0 });
    expect(started.status).toBe(200);
    expectAnswerValid('/api/ami/auto/start', 'post', started);
    expectAnswerValid('/api/ami/auto/status', 'get', await get('/api/ami/auto/status?tenantId=OAS'));
    expectAnswerValid('/api/ami/auto/status', 'get', await get('/api/ami/auto/status?tenantId=NOBODY'));
    expectAnswerValid('/api/ami/scale/status', 'get', await get('/api/ami/scale/status'));
    const quickcheck = await get('/api/ami/kpi/quickcheck?tenantId=OAS');
    expect(quickcheck.body.latestInterval).toBe(readAt.toISOString());
    expectAnswerValid('/api/ami/kpi/quickcheck', 'get', quickcheck);
    expectAnswerValid('/api/ami/kpi/quickcheck', 'get', await get('/api/ami/kpi/quickcheck?tenantId=NOBODY'));
    const series = await get('/api/ami/kpi/series?tenantId=OAS&hours=2');
    expect(series.body.points.length).toBeGreaterThan(0);
    expectAnswerValid('/api/ami/kpi/series', 'get', series);
    const created = await post('/api/ami/events', { tenantId: 'OAS', feederId: 1, type: 'theft', severity: 0.5, durationMinutes: 30 });
    expect(created.status).toBe(201);
    expectAnswerValid('/api/ami/events', 'post', created);
    expectAnswerValid('/api/ami/events', 'get', await get('/api/ami/events?tenantId=OAS'));
    expectAnswerValid('/api/ami/kpi/quickcheck', 'get', await get('/api/ami/kpi/quickcheck?tenantId=OAS'));
    const ended = await post(`/api/ami/events/${created.body.event.id}/end`, { tenantId: 'OAS' });
    expect(ended.status).toBe(200);
    expectAnswerValid('/api/ami/events/{id}/end', 'post', ended);
    const stopped = await post('/api/ami/auto/stop', { tenantId: 'OAS' });
    expectAnswerValid('/api/ami/auto/stop', 'post', stopped);
    expectAnswerValid('/api/openapi.json', 'get', { status: 200, body: doc });

    // The error shape, as each kind of refusal sends it.
    const errors: Array<[string, string, { status: number; body: unknown }]> = [
      ['/api/ami/kpi/quickcheck', 'get', await get('/api/ami/kpi/quickcheck?tenantId=no%20spaces')],
      ['/api/ami/events', 'post', await post('/api/ami/events', { tenantId: 'OAS', feederId: 9, type: 'theft', severity: 0.5 })],
      ['/api/ami/events/{id}/end', 'post', await post(`/api/ami/events/${created.body.event.id}/end`, {})],
      ['/api/ami/events/{id}/end', 'post', await post('/api/ami/events/999999/end', {})],
      ['/api/ami/greenbutton', 'get', await get('/api/ami/greenbutton?tenantId=OAS&meterId=1&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')],
      ['/api/ami/greenbutton', 'get', await get('/api/ami/greenbutton?tenantId=NOBODY&meterId=1&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z')],
      ['/api/ami/reads.csv', 'get', await get('/api/ami/reads.csv?tenantId=OAS&from=2026-01-01T00:00:00Z')],
      ['/metrics', 'get', await get('/metrics?debug=1')],
      ['/api/openapi.json', 'get', await get('/api/openapi.json?x=1')],
    ];
    const methodRefused = await fetch(`${app.url}/api/ami/reads.csv`, { method: 'DELETE' });
    errors.push(['/api/ami/reads.csv', 'delete' as never, { status: methodRefused.status, body: await methodRefused.json() }]);
    expect(errors.map(([, , answer]) => answer.status)).toEqual([400, 400, 409, 404, 400, 404, 400, 400, 400, 405]);
    for (const [path, method, answer] of errors) {
      // A 405 is documented on the operations the path has: check it against one of them.
      const documentedMethod = doc.paths[path][method] ? method : Object.keys(doc.paths[path])[0]!;
      expectAnswerValid(path, documentedMethod, answer);
    }
  });

  it('documents the non-JSON answers with their media types', async () => {
    const metrics = await fetch(`${app.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(doc.paths['/metrics'].get.responses['200'].content['text/plain']).toBeDefined();
    expect(doc.paths['/api/ami/greenbutton'].get.responses['200'].content['application/atom+xml']).toBeDefined();
    expect(doc.paths['/api/ami/reads.csv'].get.responses['200'].content['text/csv']).toBeDefined();
  });
});

describe('the reference page', () => {
  it('is served by the service with the dashboard’s CSP, and loads only files of this server', async () => {
    const res = await fetch(`${app.url}/api.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(references.filter((ref) => /^(https?:)?\/\//.test(ref))).toEqual([]);
    for (const ref of references.filter((r) => r.startsWith('/') && !r.startsWith('/api/'))) {
      expect((await fetch(`${app.url}${ref}`)).status, ref).toBe(200);
    }
    const script = await (await fetch(`${app.url}/js/reference.js`)).text();
    expect(script).toContain("fetch('/api/openapi.json'");
    expect(script).not.toMatch(/https?:\/\//);
  });
});
