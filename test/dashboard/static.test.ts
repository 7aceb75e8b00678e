import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp(db);
});
afterAll(async () => {
  await app?.close();
});

function statusOf(url: string, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject);
  });
}

describe('the dashboard files', () => {
  it('serves the page at / with a same-origin-only policy, revalidated on every load', async () => {
    const res = await fetch(`${app.url}/?tenantId=DEMO_TENANT`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toBeTruthy();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).toContain('href="/vendor/uplot/uPlot.min.css"');
    // Nothing from another origin: the page works offline.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    // (node:http: fetch turns a conditional request into an uncached one.)
    expect(await statusOf(`${app.url}/`, { 'if-none-match': res.headers.get('etag')! })).toBe(304);
  });

  it('serves app.js and the modules it imports (public/js/) as JavaScript, and style.css', async () => {
    // Follow the imports from the entry module: every one is served, from this server only.
    const sources = new Map<string, string>();
    const pending = ['/app.js'];
    while (pending.length > 0) {
      const path = pending.pop()!;
      if (sources.has(path) || path.startsWith('/vendor/')) continue;
      const js = await fetch(`${app.url}${path}`);
      expect(js.status, path).toBe(200);
      expect(js.headers.get('content-type'), path).toMatch(/^(text|application)\/javascript/);
      const source = await js.text();
      sources.set(path, source);
      for (const [, spec] of source.matchAll(/from '([^']+)'/g)) {
        expect(spec, `${path} imports ${spec}`).toMatch(/^(\.\/|\.\.\/|\/)/);
        pending.push(new URL(spec!, `http://page${path}`).pathname);
      }
    }
    expect(sources.size).toBeGreaterThan(1);
    const all = [...sources.values()].join('\n');
    expect(all).toContain("from '/vendor/uplot/uPlot.esm.js'");
    expect(all).toContain('/api/ami/kpi/quickcheck?tenantId=');
    const css = await fetch(`${app.url}/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('serves uPlot from node_modules under /vendor/uplot/, cacheable for a day', async () => {
    const esm = await fetch(`${app.url}/vendor/uplot/uPlot.esm.js`);
    expect(esm.status).toBe(200);
    expect(esm.headers.get('content-type')).toMatch(/javascript/);
    expect(esm.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await esm.text()).toContain('export { uPlot as default }');
    const css = await fetch(`${app.url}/vendor/uplot/uPlot.min.css`);
    expect(css.status).toBe(200);
    // The folder itself is not listed, and nothing outside dist/ is reachable.
    expect((await fetch(`${app.url}/vendor/uplot/`)).status).toBe(404);
    expect((await fetch(`${app.url}/vendor/uplot/%2e%2e/package.json`)).status).toBeGreaterThanOrEqual(400);
  });

  it('leaves unknown paths to the JSON 404 of the API', async () => {
    for (const path of ['/nope.html', '/api/ami/nothing']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    }
    const post = await fetch(`${app.url}/`, { method: 'POST' });
    expect(post.status).toBe(404);
  });
});
