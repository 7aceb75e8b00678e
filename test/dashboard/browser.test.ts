import { existsSync } from 'node:fs';
import os from 'node:os';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAlignedIntervalTimestamp } from '../../src/emulator/index.ts';
import { PROJECT_DIR } from '../../src/service.ts';
import { awayFromBoundary, eventually, getJson, postJson, startTestApp } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { freePort, startServiceProcess, waitForOk, type ServiceProcess } from '../helpers/process.ts';

/**
 * The built-in dashboard in a real browser (Debian's chromium driven by
 * playwright-core) against the real service process on a real database:
 * the page is filled from a published interval, starts automatic mode,
 * injects a comms outage, and shows the outage once the next interval is
 * published. Nothing is stubbed: quickcheck, series, events and auto mode are
 * the service's own endpoints.
 */

// The page functions below run in the browser; tsconfig has no DOM types.
declare const document: { querySelector(selector: string): { textContent: string | null } | null; documentElement: { scrollWidth: number } };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.join(PROJECT_DIR, 'test-results');
const TOKEN = 'dashboard-browser-test-token-0123';
const TENANT = 'DASH_E2E';
const FLEET = { meterCount: 2_000, feederCount: 10, batchSize: 500 };
const OUTAGE_FEEDER = 3;
const OUTAGE_SEVERITY = 0.5;

const db = useTestDatabase();
let service: ServiceProcess;
let base: string;
let browser: Browser;
const auth = { authorization: `Bearer ${TOKEN}` };
// A non-loopback address of this machine, to open the page as a remote operator would.
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((nic) => nic && nic.family === 'IPv4' && !nic.internal)?.address;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No chromium at ${CHROMIUM}: the dashboard test drives Debian's chromium. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = startServiceProcess('all', { DATABASE_URL: db.url, PORT: String(port), AMI_API_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
  await waitForOk(`${base}/readyz`, service);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  await mkdir(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
});

/** "04:15 CST", as the page writes an interval of today on the tenant's clock (America/Chicago, the default zone). */
const hhmm = (date: Date) => {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
};
/** The value of a datetime-local input for a UTC instant. */
const localInput = (date: Date) => date.toISOString().slice(0, 16);

async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).first().textContent())?.trim() ?? '';
}

/** Waits until the element's text matches, and returns it; on timeout, says what it last saw. */
async function waitForText(page: Page, testId: string, expected: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const pattern =
    typeof expected === 'string' ? { source: expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags: '' } : { source: expected.source, flags: expected.flags };
  try {
    await page.waitForFunction(
      ({ id, source, flags }) => new RegExp(source, flags).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
      { id: testId, ...pattern },
      { timeout: timeoutMs, polling: 100 },
    );
  } catch {
    throw new Error(`[data-testid="${testId}"] never matched ${expected}; it shows "${await text(page, testId)}"`);
  }
  return text(page, testId);
}

async function quickcheck() {
  const res = await getJson(`${base}/api/ami/kpi/quickcheck?tenantId=${TENANT}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function publish(readAt: Date) {
  const res = await postJson(`${base}/api/ami/publish-once`, { tenantId: TENANT, ...FLEET, readAt: readAt.toISOString() }, auth);
  expect(res.status).toBe(202);
  await eventually(async () => {
    const status = await getJson(`${base}/api/ami/auto/status?tenantId=${TENANT}`);
    const tick = status.body.recentTicks.find((t: { readAt: string }) => t.readAt === readAt.toISOString());
    return tick?.status === 'complete' ? tick : undefined;
  }, `the tick of ${readAt.toISOString()} to complete`);
}

describe('the dashboard in chromium', () => {
  it('shows a published interval, starts auto mode, injects a comms outage and shows its effect on the next interval', async () => {
    // The test publishes past intervals itself; keep the scheduler's next
    // boundary (which would publish the current interval) out of its way.
    await awayFromBoundary(150_000);
    const current = getAlignedIntervalTimestamp(15, new Date());
    const first = new Date(current.getTime() - 60 * 60_000);
    const next = new Date(first.getTime() + 15 * 60_000);
    await publish(first);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The 400 and 401 below are provoked on purpose; anything else (a CSP
      // refusal, a script error, another failed request) is a defect.
      if (message.type() === 'error' && !/status of 40[01]/.test(message.text())) problems.push(`console: ${message.text()}`);
    });

    // 1. The page is filled from the published interval.
    await page.goto(`${base}/?tenantId=${TENANT}`);
    // The page checks the tenant id with the server before it takes it from the URL.
    await expect.poll(() => page.getByTestId('tenant-input').inputValue(), { timeout: 10_000 }).toBe(TENANT);
    expect(await waitForText(page, 'latest-interval', hhmm(first))).toContain(hhmm(first));
    expect(await text(page, 'latest-age')).toMatch(/^1 h( \d+ min)? ago/);
    expect(await waitForText(page, 'reporting-rate', '100.00 %')).toBe('100.00 %');
    expect(await text(page, 'expected-meters')).toBe('2,000');
    expect(await text(page, 'missing-meters')).toBe('0');
    expect(await text(page, 'stale-current')).toBe('2,000');
    expect(await page.locator('[data-testid^="feeder-row-"]').count()).toBe(FLEET.feederCount);
    expect(await text(page, `feeder-rate-${OUTAGE_FEEDER}`)).toBe('100.0 %');
    await waitForText(page, 'series-status', /^1 interval,/);
    expect(await page.getByTestId('chart-reporting').locator('canvas').count()).toBe(1);
    const before = await quickcheck();
    expect(await text(page, 'energy-total')).toBe(before.energy.totalKwh.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }));

    // 2. Automatic mode from the page: refused without the token, with a message that says so; then started.
    await page.getByText('Fleet settings').click();
    await page.getByTestId('auto-meter-count').fill(String(FLEET.meterCount));
    await page.getByTestId('auto-feeder-count').fill(String(FLEET.feederCount));
    await page.getByTestId('auto-batch-size').fill(String(FLEET.batchSize));
    // No catch-up: the scheduler alone publishes (from the next boundary), so the test decides which interval comes next.
    await page.getByTestId('auto-catch-up').fill('0');
    await page.getByTestId('auto-start').click();
    expect(await waitForText(page, 'auto-message', /401 UNAUTHORIZED/)).toContain('enter its AMI_API_TOKEN in the Token field');
    await page.getByTestId('token-input').fill(TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem('ami-dashboard-token'))).toBe(TOKEN);
    await page.getByTestId('auto-start').click();
    expect(await waitForText(page, 'auto-message', /Automatic mode started for DASH_E2E/)).toContain('no catch-up');
    await waitForText(page, 'auto-enabled', /running/);
    expect(await waitForText(page, 'auto-next-run', hhmm(new Date(current.getTime() + 15 * 60_000)))).toMatch(/ · in (\d+ min|under a minute)$/);
    expect(await text(page, 'auto-queue')).toMatch(/^\d+ waiting · \d+ delayed · \d+ running$/);
    const status = await getJson(`${base}/api/ami/auto/status?tenantId=${TENANT}`);
    expect(status.body).toMatchObject({ enabled: true, config: { tenantId: TENANT, ...FLEET, intervalMinutes: 15, catchUpIntervals: 0 } });

    // 3. A comms outage from the page. A bad severity first: the 400 names the field.
    await page.getByTestId('event-feeder').selectOption(String(OUTAGE_FEEDER));
    await page.getByTestId('event-type').selectOption('comms-outage');
    await page.getByTestId('event-severity').fill('1.5');
    await page.getByTestId('event-submit').click();
    expect(await waitForText(page, 'event-message', /400 VALIDATION/)).toMatch(/severity: must be at most 1/);
    expect(await page.getByTestId('event-severity').getAttribute('aria-invalid')).toBe('true');
    // It starts at the interval after the one shown, so that interval is the first it changes.
    await page.getByTestId('event-severity').fill(String(OUTAGE_SEVERITY));
    await page.getByTestId('event-duration').fill('120');
    await page.getByTestId('event-starts-at').fill(localInput(next));
    await page.getByTestId('event-submit').click();
    const injected = await waitForText(page, 'event-message', /Event #\d+ injected/);
    const eventId = Number(/#(\d+)/.exec(injected)![1]);
    const events = await getJson(`${base}/api/ami/events?tenantId=${TENANT}&active=true`);
    expect(events.body.events).toEqual([
      {
        id: eventId,
        tenantId: TENANT,
        feederId: OUTAGE_FEEDER,
        type: 'comms-outage',
        severity: OUTAGE_SEVERITY,
        startsAt: next.toISOString(),
        endsAt: new Date(next.getTime() + 120 * 60_000).toISOString(),
      },
    ]);
    await page.getByTestId(`event-end-${eventId}`).waitFor();
    // The badge shows at once (the event is in force), before any read carries it.
    await waitForText(page, `feeder-events-${OUTAGE_FEEDER}`, 'comms-outage 0.50');
    expect(await text(page, `feeder-rate-${OUTAGE_FEEDER}`)).toBe('100.0 %');

    // 4. The next interval is published by a tick; the page picks it up on its own poll.
    await publish(next);
    await waitForText(page, 'latest-interval', hhmm(next), 30_000);
    const after = await quickcheck();
    expect(after.latestInterval).toBe(next.toISOString());
    const outageFeeder = after.feeders.find((f: { feederId: number }) => f.feederId === OUTAGE_FEEDER);
    const shownRate = await waitForText(page, `feeder-rate-${OUTAGE_FEEDER}`, `${outageFeeder.reportingRatePct.toFixed(1)} %`);
    const rate = Number.parseFloat(shownRate);
    // Severity 0.5 hides about half of the feeder's meters.
    expect(rate).toBeGreaterThan(30);
    expect(rate).toBeLessThan(70);
    for (const feeder of after.feeders.filter((f: { feederId: number }) => f.feederId !== OUTAGE_FEEDER)) {
      expect(await text(page, `feeder-rate-${feeder.feederId}`)).toBe('100.0 %');
    }
    expect(await page.getByTestId(`feeder-row-${OUTAGE_FEEDER}`).getAttribute('class')).toContain('has-event');
    const badge = page.getByTestId(`feeder-events-${OUTAGE_FEEDER}`).getByTestId('event-badge');
    expect(await badge.textContent()).toBe('comms-outage 0.50');
    expect(await badge.getAttribute('data-event-id')).toBe(String(eventId));
    // The missing meters reported 15 minutes earlier: stale over 15 minutes, not current.
    const missing = after.reportingSummary.missingMeters;
    expect(missing).toBe(outageFeeder.expectedMeters - outageFeeder.reportingMeters);
    expect(await text(page, 'missing-meters')).toBe(missing.toLocaleString('en-US'));
    expect(await text(page, 'stale-over-15m')).toBe(missing.toLocaleString('en-US'));
    expect(await text(page, 'reporting-rate')).toBe(`${after.reportingSummary.reportingRatePct.toFixed(2)} %`);
    // Deviation colours follow the model's own spread for each feeder's size: a feeder
    // whose deviation is within 4 of its standard deviations is not coloured, an outage
    // alone (fewer meters, same per-meter energy) does not paint it either.
    for (const feeder of after.feeders) {
      const flagged = await page.getByTestId(`feeder-deviation-${feeder.feederId}`).locator('.cell-flag').count();
      const sds = Math.abs(feeder.kwhDeviationPct) / feeder.kwhDeviationNoisePct;
      expect(flagged, `feeder ${feeder.feederId}: ${feeder.kwhDeviationPct} % at ${feeder.kwhDeviationNoisePct} % per sd`).toBe(sds > 4 ? 1 : 0);
    }
    // Times are the tenant's own (America/Chicago), with UTC on hover.
    expect(await page.getByTestId('latest-interval').getAttribute('title')).toBe(`${next.toISOString().slice(0, 10)} ${next.toISOString().slice(11, 16)} UTC`);
    // The charts were fetched again for the new interval.
    await waitForText(page, 'series-status', /^2 intervals,/);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png'), fullPage: true });

    // 5. Readable on a phone: one column, nothing wider than the screen but the feeder table's own scroller.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    phone.on('pageerror', (error) => problems.push(`phone page error: ${error.message}`));
    await phone.goto(`${base}/?tenantId=${TENANT}`);
    await waitForText(phone, 'latest-interval', hhmm(next));
    await waitForText(phone, 'series-status', /^2 intervals,/);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // The events column is hidden on a phone; the badge moves under the feeder's name.
    expect(await phone.getByTestId(`feeder-row-${OUTAGE_FEEDER}`).getByTestId('event-badge-compact').isVisible()).toBe(true);
    expect(await phone.getByTestId(`feeder-events-${OUTAGE_FEEDER}`).isVisible()).toBe(false);
    await phone.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-phone.png'), fullPage: true });
    await phone.close();

    // 6. End the event and stop automatic mode from the page.
    await page.getByTestId(`event-end-${eventId}`).click();
    await waitForText(page, 'events-message', new RegExp(`Event #${eventId} \\(comms-outage, feeder ${OUTAGE_FEEDER}\\) ended`));
    await waitForText(page, 'active-events', 'No active events.');
    expect((await getJson(`${base}/api/ami/events?tenantId=${TENANT}&active=true`)).body.events).toEqual([]);
    await page.getByTestId('auto-stop').click();
    await waitForText(page, 'auto-message', /Automatic mode stopped for DASH_E2E/);
    await waitForText(page, 'auto-enabled', /stopped/);
    expect((await getJson(`${base}/api/ami/auto/status?tenantId=${TENANT}`)).body.enabled).toBe(false);

    // 7. A tenant id the server refuses is marked with the server's own rule, and nothing switches.
    await page.getByTestId('tenant-input').fill('bad tenant!');
    await page.getByTestId('tenant-input').press('Enter');
    await waitForText(page, 'poll-status', /Tenant: must be 1-64 letters/);
    expect(await page.getByTestId('tenant-input').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).searchParams.get('tenantId')).toBe(TENANT);

    // 8. The tenant is kept in the URL; another tenant starts empty, visibly.
    await page.getByTestId('tenant-input').fill('NOBODY_YET');
    await page.getByTestId('tenant-input').press('Enter');
    await waitForText(page, 'latest-interval', 'no reads yet');
    expect(new URL(page.url()).searchParams.get('tenantId')).toBe('NOBODY_YET');
    expect(await page.locator('[data-testid^="feeder-row-"]').count()).toBe(0);

    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it.runIf(external)('tells a remote operator why a server without a token refuses a change (403)', async () => {
    // The same database, served by an app with no AMI_API_TOKEN, reached over a non-loopback address.
    const open = await startTestApp(db, { listenHost: '0.0.0.0' });
    const page = await browser.newPage();
    try {
      await page.goto(`http://${external}:${new URL(open.url).port}/?tenantId=${TENANT}`);
      // Reads stay open to anyone.
      await waitForText(page, 'latest-interval', / C[SD]T$/);
      await page.getByTestId('token-input').fill(TOKEN);
      await page.getByTestId('auto-start').click();
      const message = await waitForText(page, 'auto-message', /403 FORBIDDEN/);
      expect(message).toContain('has no AMI_API_TOKEN configured');
      expect(message).toContain('only from its own machine');
      expect((await getJson(`${base}/api/ami/auto/status?tenantId=${TENANT}`)).body.enabled).toBe(false);
    } finally {
      await page.close();
      await open.close();
    }
  });
});
