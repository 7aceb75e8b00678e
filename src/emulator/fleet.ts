/**
 * The meter fleet: which feeder a meter hangs on, its service class, archetype, size, heating,
 * EV, rooftop solar and place along the feeder. Everything here depends on (tenant, meter) and
 * the meter's feeder only, so a meter keeps its identity across intervals and processes, and
 * growing the fleet never changes an existing meter.
 *
 * Every numeric field is rounded to at most 6 significant digits (scale 0.001, pvKw 0.1,
 * position 0.001), so a profile stored as PostgreSQL `real` and read back as text is the same
 * number, and generates the same reads.
 */
import { archetypesOf } from './archetypes.ts';
import { climateOf } from './climate.ts';
import { addNumber, addString, finishKey, startKey, uniformAt } from './random.ts';
import type { TenantModel } from './tenant.ts';

import type { ServiceClass } from './classes.ts';
export const HEATING_KINDS = ['electric', 'gas'] as const;
export type Heating = (typeof HEATING_KINDS)[number];

/** One registered meter. */
export interface MeterProfile {
  meterId: number;
  feederId: number;
  serviceClass: ServiceClass;
  /** Size relative to a typical meter of its class (1 = the class base), 0.001 steps. */
  scale: number;
  /** One of ARCHETYPES, of the meter's class. */
  archetype: string;
  /** Space heating: electric heat adds winter load; gas heat only a furnace fan. */
  heating: Heating;
  /** A home with an electric vehicle charging at home (residential only). */
  hasEv: boolean;
  /** Rooftop solar, kW of panels (0.1 steps); 0 = none. Residential only. */
  pvKw: number;
  /** Place along the feeder, 0 at the substation .. 1 at the far end, 0.001 steps. */
  position: number;
}

/** What a feeder is like: its class mix, its solar and EV uptake and its voltage. Pure function of (tenant, feeder). */
export interface FeederCharacter {
  feederId: number;
  kind: 'residential' | 'mixed' | 'commercial';
  /** Share of meters per class. */
  classShares: Readonly<Record<ServiceClass, number>>;
  /** Solar share of this feeder's homes = tenant solarShare x solarFactor (capped at 1). */
  solarFactor: number;
  /** EV share of this feeder's homes = EV_SHARE x evFactor. */
  evFactor: number;
  /** Regulated source voltage at the substation bus (120 V base), V. */
  sourceVolts: number;
  /** Voltage drop at the far end when the feeder carries its design load, V. */
  dropVolts: number;
}

/**
 * Feeder kinds and their class mix (chosen): most feeders are residential, some mixed, a few
 * serve a commercial strip. Over the kinds' odds the fleet is about 89 % residential, 9.6 %
 * commercial, 1.4 % industrial, close to the 90/9/1 of the first version and of US customer
 * counts (EIA-861: about 88 % residential, 11 % commercial, under 1 % industrial accounts).
 */
const FEEDER_KINDS: ReadonlyArray<{ kind: FeederCharacter['kind']; odds: number; shares: Record<ServiceClass, number> }> = [
  { kind: 'residential', odds: 0.6, shares: { residential: 0.95, commercial: 0.045, industrial: 0.005 } },
  { kind: 'mixed', odds: 0.3, shares: { residential: 0.85, commercial: 0.13, industrial: 0.02 } },
  { kind: 'commercial', odds: 0.1, shares: { residential: 0.65, commercial: 0.3, industrial: 0.05 } },
];

/**
 * Share of homes with an EV charging at home, before the feeder's factor (chosen: "a few
 * percent"; US plug-in vehicles were about 4-5 million of some 130 million households in 2024).
 */
export const EV_SHARE = 0.04;
/**
 * Rooftop PV size: lognormal around the 2023 median of 7.4 kW (LBNL Tracking the Sun 2024),
 * sigma 0.3 (chosen), kept in [2, 15] kW.
 */
const PV_MEDIAN_KW = 7.4;
const PV_SIGMA = 0.3;
const PV_MIN_KW = 2;
const PV_MAX_KW = 15;

/**
 * Per-class lognormal of `scale` (chosen): residential sigma 0.5 gives, with archetypes,
 * heating, EVs and vacancy, the spread of homes' consumption of Kuusela et al. (2015,
 * lognormal, CV about 0.6); commercial and industrial customers differ more in size.
 */
const SCALE_LOGNORMAL: Readonly<Record<ServiceClass, { sigma: number; min: number; max: number }>> = {
  residential: { sigma: 0.5, min: 0.2, max: 4 },
  commercial: { sigma: 0.6, min: 0.2, max: 8 },
  industrial: { sigma: 0.6, min: 0.2, max: 5 },
};

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

const feederCache = new Map<string, FeederCharacter>();

/** The character of feeder `feederId` of `tenantId` (pure; cached). */
export function feederCharacter(tenantId: string, feederId: number): FeederCharacter {
  const cacheKey = `${feederId}|${tenantId}`;
  let character = feederCache.get(cacheKey);
  if (character !== undefined) return character;
  const seed = finishKey(addNumber(addString(startKey(tenantId), 'feeder'), feederId), 3);
  const kindDraw = uniformAt(seed, 0);
  let cumulative = 0;
  let chosen = FEEDER_KINDS[FEEDER_KINDS.length - 1]!;
  for (const kind of FEEDER_KINDS) {
    cumulative += kind.odds;
    if (kindDraw < cumulative) {
      chosen = kind;
      break;
    }
  }
  character = {
    feederId,
    kind: chosen.kind,
    classShares: chosen.shares,
    // Uptake of solar and EVs differs by neighbourhood: a factor 0.4-1.6 with mean 1 (chosen).
    solarFactor: 0.4 + 1.2 * uniformAt(seed, 1),
    evFactor: 0.4 + 1.2 * uniformAt(seed, 2),
    // Substation regulators hold the bus at 122.6-124.4 V (chosen: high in ANSI C84.1 Range A,
    // 114-126 V at the service, to leave room for the drop along the feeder).
    sourceVolts: 122.6 + 1.8 * uniformAt(seed, 3),
    // Drop at design load at the far end, 3-9 V (chosen, with the service drop and the meters'
    // offsets, for the voltage figures: 0.01-1 % of a year's reads under 114 V, sd 1.5-3 V).
    dropVolts: 3 + 6 * uniformAt(seed, 4),
  };
  if (feederCache.size > 100_000) feederCache.clear();
  feederCache.set(cacheKey, character);
  return character;
}

/** A standard normal from two uniforms (Box-Muller). */
function normalOf(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Lognormal with mean 1: -sigma^2/2 centres the mean (not the median) on 1. */
function lognormal(u1: number, u2: number, sigma: number): number {
  return Math.exp(sigma * normalOf(u1, u2) - (sigma * sigma) / 2);
}

const roundTo = (value: number, decimals: number) => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

function profileOf(tenant: TenantModel, tenantKey: number, meterId: number, feeder: FeederCharacter): MeterProfile {
  const seed = finishKey(addNumber(tenantKey, meterId), 2); // = keySeed(tenantId, meterId)
  const { classShares } = feeder;
  const classDraw = uniformAt(seed, 0);
  const serviceClass: ServiceClass =
    classDraw < classShares.residential ? 'residential' : classDraw < classShares.residential + classShares.commercial ? 'commercial' : 'industrial';

  const archetypes = archetypesOf(serviceClass);
  const archetypeDraw = uniformAt(seed, 1);
  let cumulative = 0;
  let archetype = archetypes[archetypes.length - 1]!;
  for (const candidate of archetypes) {
    cumulative += candidate.share;
    if (archetypeDraw < cumulative) {
      archetype = candidate;
      break;
    }
  }

  const { sigma, min, max } = SCALE_LOGNORMAL[serviceClass];
  const scale = roundTo(Math.min(max, Math.max(min, lognormal(uniformAt(seed, 2), uniformAt(seed, 3), sigma))), 3);
  const heating = uniformAt(seed, 4) < climateOf(tenant.timeZone).climate.electricHeatShare ? 'electric' : 'gas';
  const isHome = serviceClass === 'residential';
  const occupied = isHome && archetype.name !== 'res-vacant';
  const hasEv = occupied && uniformAt(seed, 5) < EV_SHARE * feeder.evFactor;
  const hasPv = isHome && uniformAt(seed, 6) < Math.min(1, tenant.solarShare * feeder.solarFactor);
  const pvKw = hasPv
    ? roundTo(Math.min(PV_MAX_KW, Math.max(PV_MIN_KW, PV_MEDIAN_KW * Math.exp(PV_SIGMA * normalOf(uniformAt(seed, 7), uniformAt(seed, 8))))), 1)
    : 0;
  const position = roundTo(uniformAt(seed, 9), 3);
  return { meterId, feederId: feeder.feederId, serviceClass, scale, archetype: archetype.name, heating, hasEv, pvKw, position };
}

/** The profile of one meter, seeded by (tenant, meter) and shaped by its feeder's character. */
export function meterProfile(tenant: TenantModel, meterId: number, feederCount: number): MeterProfile {
  const feederId = feederOf(meterId, feederCount);
  return profileOf(tenant, startKey(tenant.tenantId), meterId, feederCharacter(tenant.tenantId, feederId));
}

/** Profiles of meters fromMeterId..toMeterId inclusive (empty when toMeterId < fromMeterId). */
export function fleetProfiles(tenant: TenantModel, fromMeterId: number, toMeterId: number, feederCount: number): MeterProfile[] {
  assertWholeAtLeastOne(fromMeterId, 'fromMeterId');
  assertWholeAtLeastOne(feederCount, 'feederCount');
  if (!Number.isInteger(toMeterId)) throw new RangeError(`toMeterId must be a whole number; got ${String(toMeterId)}`);
  const tenantKey = startKey(tenant.tenantId);
  const profiles: MeterProfile[] = [];
  for (let meterId = fromMeterId; meterId <= toMeterId; meterId++) {
    profiles.push(profileOf(tenant, tenantKey, meterId, feederCharacter(tenant.tenantId, feederOf(meterId, feederCount))));
  }
  return profiles;
}
