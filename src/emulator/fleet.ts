/**
 * The meter fleet: which feeder a meter hangs on, its service class and its size.
 * Everything here depends on (tenant, meter) only, so a meter keeps its identity across
 * intervals and processes, and growing the fleet never moves an existing meter.
 */
import { keySeed, uniformAt } from './random.ts';

export const SERVICE_CLASSES = ['residential', 'commercial', 'industrial'] as const;
export type ServiceClass = (typeof SERVICE_CLASSES)[number];

/** One registered meter. `scale` multiplies its class's load curve (1 = a typical meter). */
export interface MeterProfile {
  meterId: number;
  feederId: number;
  serviceClass: ServiceClass;
  scale: number;
}

/** Share of meters per class (cumulative thresholds): about 90% / 9% / 1%. */
const RESIDENTIAL_SHARE = 0.9;
const COMMERCIAL_SHARE = 0.09;
const SCALE_SIGMA = 0.3;
const SCALE_MIN = 0.3;
const SCALE_MAX = 3;

function assertWholeAtLeastOne(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number >= 1; got ${String(value)}`);
  }
}

/**
 * Feeder of a meter, round robin over 1..feederCount: meter 1 on feeder 1, meter
 * feederCount + 1 back on feeder 1. Feeders stay balanced and a meter's feeder depends only on
 * its id and the feeder count.
 */
export function feederOf(meterId: number, feederCount: number): number {
  assertWholeAtLeastOne(meterId, 'meterId');
  assertWholeAtLeastOne(feederCount, 'feederCount');
  return ((meterId - 1) % feederCount) + 1;
}

/**
 * The profile of one meter, seeded by (tenant, meter). `scale` is lognormal with mean about 1
 * (sigma 0.3), clamped to [0.3, 3] and rounded to 3 decimals so it stores exactly in SQL.
 */
export function meterProfile(tenantId: string, meterId: number, feederCount: number): MeterProfile {
  const feederId = feederOf(meterId, feederCount);
  const seed = keySeed(tenantId, meterId);
  const classDraw = uniformAt(seed, 0);
  const serviceClass: ServiceClass =
    classDraw < RESIDENTIAL_SHARE
      ? 'residential'
      : classDraw < RESIDENTIAL_SHARE + COMMERCIAL_SHARE
        ? 'commercial'
        : 'industrial';
  const z = Math.sqrt(-2 * Math.log(1 - uniformAt(seed, 1))) * Math.cos(2 * Math.PI * uniformAt(seed, 2));
  // -sigma^2/2 centres the mean (not the median) on 1, so class means stay what loadCurve says.
  const lognormal = Math.exp(SCALE_SIGMA * z - (SCALE_SIGMA * SCALE_SIGMA) / 2);
  const scale = Math.round(Math.min(SCALE_MAX, Math.max(SCALE_MIN, lognormal)) * 1000) / 1000;
  return { meterId, feederId, serviceClass, scale };
}

/** Profiles of meters fromMeterId..toMeterId inclusive (empty when toMeterId < fromMeterId). */
export function fleetProfiles(
  tenantId: string,
  fromMeterId: number,
  toMeterId: number,
  feederCount: number,
): MeterProfile[] {
  assertWholeAtLeastOne(fromMeterId, 'fromMeterId');
  if (!Number.isInteger(toMeterId)) throw new RangeError(`toMeterId must be a whole number; got ${String(toMeterId)}`);
  const profiles: MeterProfile[] = [];
  for (let meterId = fromMeterId; meterId <= toMeterId; meterId++) {
    profiles.push(meterProfile(tenantId, meterId, feederCount));
  }
  return profiles;
}
