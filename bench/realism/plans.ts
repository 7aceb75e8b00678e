/** The small sample test/emulator/realism.test.ts runs (also `REALISM_QUICK=1 npm run realism`). */
import { DEFAULT_SOLAR_SHARE, DEFAULT_TIME_ZONE, tenantModel } from '../../src/emulator/index.ts';
import type { RealismPlan } from './figures.ts';

export const TEST_PLAN: RealismPlan = {
  tenant: tenantModel('REALISM', { timeZone: DEFAULT_TIME_ZONE, solarShare: DEFAULT_SOLAR_SHARE }),
  meters: 400,
  feederCount: 4,
  // Four 4-week windows, one per season, with April and August in them.
  windows: [
    { start: '2026-01-05', days: 28 },
    { start: '2026-04-01', days: 28 },
    { start: '2026-08-01', days: 28 },
    { start: '2026-10-12', days: 28 },
  ],
  correlationHomes: 40,
  deviation: { feeders: 3, metersPerFeeder: 1000, everyNth: 48 },
  theftDay: '2026-08-12',
};
