/**
 * `npm run realism`: the calibration figures of the load and voltage model over a year of
 * generated reads (no database), each with its target range, PASS/FAIL and source, as the
 * markdown table of docs/realism.md; then the time generateBatch takes for 25,000 meters.
 *
 *   REALISM_METERS   meters of the year sample (default 1500)
 *   REALISM_QUICK=1  the small sample of test/emulator/realism.test.ts instead of a year
 */
import os from 'node:os';
import { DEFAULT_SOLAR_SHARE, DEFAULT_TIME_ZONE, fleetProfiles, generateBatch, tenantModel } from '../src/emulator/index.ts';
import { consecutiveWindows, figuresTable, median, type RealismPlan, realismFigures } from './realism/figures.ts';
import { TEST_PLAN } from './realism/plans.ts';

const tenant = tenantModel('REALISM', { timeZone: DEFAULT_TIME_ZONE, solarShare: DEFAULT_SOLAR_SHARE });
const yearPlan: RealismPlan = {
  tenant,
  meters: Number(process.env.REALISM_METERS ?? 1500),
  feederCount: 12,
  // 13 windows of 4 weeks: 2026-01-01 .. 2026-12-30 (364 days).
  windows: consecutiveWindows('2026-01-01', 13, 28),
  correlationHomes: 60,
  deviation: { feeders: 10, metersPerFeeder: 1000, everyNth: 24 },
  theftDay: '2026-07-15',
};
const plan = process.env.REALISM_QUICK === '1' ? TEST_PLAN : yearPlan;

const started = performance.now();
const result = realismFigures(plan);
const seconds = (performance.now() - started) / 1000;

// generateBatch for 25,000 meters on 25 feeders: median of 41 consecutive intervals of a summer day.
const profiles = fleetProfiles(tenant, 1, 25_000, 25);
const times: number[] = [];
const firstMs = Date.parse('2026-07-15T12:00:00.000Z');
for (let i = 0; i < 41; i++) {
  const t0 = performance.now();
  generateBatch(tenant, profiles, new Date(firstMs + i * 900_000), []);
  times.push(performance.now() - t0);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`# Realism figures (${new Date().toISOString().slice(0, 10)})\n`);
console.log(`tenant ${tenant.tenantId}, ${tenant.timeZone}, solar share ${tenant.solarShare}, no events`);
console.log(
  `sample: ${result.sample.meters.toLocaleString('en-US')} meters (${result.sample.residential} homes) on ${plan.feederCount} feeders, ` +
    `${result.sample.days} local days from ${plan.windows[0]!.start} in ${plan.windows.length} windows, ${result.sample.reads.toLocaleString('en-US')} reads; ` +
    `deviation sample ${plan.deviation.feeders} x ${plan.deviation.metersPerFeeder.toLocaleString('en-US')} meters, ${result.sample.feederIntervals.toLocaleString('en-US')} feeder-intervals`,
);
console.log(`machine: ${os.cpus().length} x ${cpu}, Node ${process.version}; figures computed in ${seconds.toFixed(0)} s\n`);
console.log(figuresTable(result.figures));
console.log(
  `\ngenerateBatch, 25,000 meters, 15 minutes: median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)} ms) over ${times.length} intervals`,
);
console.log('\n## How each figure is computed\n');
for (const figure of result.figures) console.log(`- ${figure.name}: ${figure.how}.`);
const failed = result.figures.filter((f) => f.pass === false);
if (failed.length > 0) {
  console.log(`\n${failed.length} figure(s) out of range: ${failed.map((f) => f.name).join('; ')}`);
  process.exitCode = 1;
}
