import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../src/service.ts';
import { useTestApp } from '../helpers/app.ts';
import { landTick } from './helpers.ts';

/**
 * The pages of this issue in Debian's chromium against the in-process app:
 * the dashboard's export links point at the chosen feeder and the tenant's
 * local day (and download), and the reference page renders every operation
 * of the OpenAPI document without an error.
 */

// The page functions below run in the browser; tsconfig has no DOM types.
declare const document: { querySelectorAll(selector: string): { length: number } };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'];
const SCREENSHOTS = path.join(PROJECT_DIR, 'test-results');
const TENANT = 'PAGES_TOKYO';

const { db, deps, app } = useTestApp();
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No chromium at ${CHROMIUM}: install it with apt-get install -y chromium (or set CHROMIUM_PATH).`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  await mkdir(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** YYYY-MM-DD of an instant on a zone's clock. */
function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

describe('the dashboard’s export links', () => {
  it('point at the chosen feeder and the tenant’s local day, and download', async () => {
    // Asia/Tokyo (UTC+9, no DST): local midnight is 15:00 UTC the day before.
    const readAt = new Date(Math.floor(Date.now() / 900_000) * 900_000 - 900_000);
    await landTick(db, deps, { tenantId: TENANT, readAt, meterCount: 30, feederCount: 3, batchSize: 30, timeZone: 'Asia/Tokyo' });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${app.url}/?tenantId=${TENANT}`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="export-feeder"] option').length === 3, undefined, { timeout: 20_000 });
    const today = localDate(Date.now(), 'Asia/Tokyo');
    expect(await page.getByTestId('export-day').inputValue()).toBe(today);
    await page.getByTestId('export-feeder').selectOption('2');
    const href = (id: string) => page.getByTestId(id).getAttribute('href');
    const from = new Date(`${today}T00:00:00+09:00`).toISOString();
    const next = new Date(new Date(`${today}T00:00:00+09:00`).getTime() + 86_400_000).toISOString();
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(next)}`;
    expect(await href('export-greenbutton')).toBe(`/api/ami/greenbutton?tenantId=${TENANT}&feederId=2&${range}`);
    expect(await href('export-csv-feeder')).toBe(`/api/ami/reads.csv?tenantId=${TENANT}&feederId=2&${range}`);
    expect(await href('export-csv-tenant')).toBe(`/api/ami/reads.csv?tenantId=${TENANT}&${range}`);
    await page.getByTestId('exports').screenshot({ path: path.join(SCREENSHOTS, 'integrations-exports.png') });
    // The links work: the CSV of the feeder holds the feeder's reads of the landed interval (when it falls on that local day).
    const csv = await fetch(`${app.url}${await href('export-csv-feeder')}`);
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split('\n');
    const sameDay = localDate(readAt.getTime() - 1, 'Asia/Tokyo') === today || localDate(readAt.getTime(), 'Asia/Tokyo') === today;
    if (sameDay && readAt.getTime() > Date.parse(from)) expect(lines.length).toBe(11);
    const feed = await fetch(`${app.url}${await href('export-greenbutton')}`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    // Another day moves the range.
    await page.getByTestId('export-day').fill('2026-03-08');
    await page.getByTestId('export-day').dispatchEvent('change');
    expect(await href('export-csv-tenant')).toBe(
      `/api/ami/reads.csv?tenantId=${TENANT}&from=${encodeURIComponent('2026-03-07T15:00:00.000Z')}&to=${encodeURIComponent('2026-03-08T15:00:00.000Z')}`,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the API reference page', () => {
  it('renders every operation of /api/openapi.json, with no error and nothing from outside', async () => {
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((sum, item) => sum + Object.keys(item).filter((key) => ['get', 'post'].includes(key)).length, 0);
    const page = await browser.newPage();
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(app.url)) foreign.push(request.url());
    });
    await page.goto(`${app.url}/api.html`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="api-operation"]').length === n, operations, { timeout: 20_000 });
    expect(await page.getByTestId('api-status').textContent()).toBe(`${operations} operations.`);
    const greenButton = page.locator('#get--api-ami-greenbutton');
    expect(await greenButton.textContent()).toContain('at most 31 days');
    expect(await greenButton.locator('table.params tbody tr').count()).toBe(5);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'integrations-api-reference.png'), fullPage: false });
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
