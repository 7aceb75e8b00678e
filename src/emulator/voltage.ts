/**
 * Service voltage at the meter (120 V base) from a simple radial feeder model: the substation
 * regulator holds the bus near its setpoint; along the feeder the voltage drops with the
 * feeder's load and the meter's distance from the substation (and rises where rooftop solar
 * pushes power back); the meter's own service drop follows its own net load; a static offset
 * (transformer tap, length of the secondary) and a smooth residual give each meter persistence.
 * A voltage-sag event replaces all of it with a value in 90-114 V.
 * The functions take their inputs as arguments, so they are pure and testable.
 */
import type { ServiceClass } from './classes.ts';
import { feederCharacter, type MeterProfile } from './fleet.ts';
import type { IntervalContext, MeterInterval } from './load.ts';
import { latticePoint, smoothNormal } from './noise.ts';
import { addNumber, addString } from './random.ts';

export const NOMINAL_VOLTAGE = 120;
/** ANSI C84.1 Range A at the service: 114-126 V on a 120 V base. */
export const RANGE_A_MIN = 114;
export const RANGE_A_MAX = 126;
/** Floor of a sag: no event goes below it. */
export const SAG_VOLTAGE_MIN = 90;
/** Ceiling of a sag, strictly under the 114 V threshold. */
export const SAG_VOLTAGE_MAX = 113.9;

/** Mean rooftop PV size, kW (the lognormal of fleet.ts: 7.4 kW median, sigma 0.3). */
const MEAN_PV_KW = 7.4 * Math.exp(0.045);
/** Drop (or rise) on the meter's own secondary and service, V per kW of its net load (chosen: 3 V at 12 kW for a home). */
const SERVICE_VOLTS_PER_KW: Readonly<Record<ServiceClass, number>> = { residential: 0.25, commercial: 0.03, industrial: 0.008 };
/** Spread of meters' static offsets (transformer taps, secondary lengths), V (chosen). */
const METER_OFFSET_SD = 1.3;
/** Smooth residual (2-hour lattice) and per-read jitter, V (chosen). */
const SMOOTH_SD = 0.35;
const JITTER_SD = 0.15;
/** The regulator wanders inside its bandwidth: smooth, 3-hour lattice, V (chosen; a 2 V band is common). */
const REGULATOR_SD = 0.4;
const REGULATOR_SPACING_MS = 3 * 3_600_000;
/** Physical bounds of a normal read (never reached in practice). */
const VOLTS_MIN = 100;
const VOLTS_MAX = 135;
const SAG_DEPTH = 22;
const SAG_JITTER_SD = 1;

/** Rounds to 0.1 V, the resolution a meter reports. */
export function roundVoltage(volts: number): number {
  return Math.round(volts * 10) / 10;
}

/** One feeder at the last step of an interval: the voltage at the substation bus and the drop at the far end. */
export interface FeederVoltage {
  busVolts: number;
  /** Drop at position 1 (negative: a rise, when solar pushes power back). */
  farEndDropVolts: number;
  /** Feeder load over its design load (negative under reverse flow). */
  loading: number;
}

/**
 * The feeder's voltage state at the last step of `context`: its load is the class mix of the
 * feeder (a pure function of tenant and feeder) times the class mean curves at that time, less
 * the expected solar of its homes; the drop along it is proportional to that load.
 */
export function feederVoltage(context: IntervalContext, feederId: number): FeederVoltage {
  const character = feederCharacter(context.tenant.tenantId, feederId);
  const step = context.steps[context.steps.length - 1]!;
  const shares = character.classShares;
  const solarShare = Math.min(1, context.tenant.solarShare * character.solarFactor);
  const loadKw =
    shares.residential * step.classMeanKw.residential +
    shares.commercial * step.classMeanKw.commercial +
    shares.industrial * step.classMeanKw.industrial -
    shares.residential * solarShare * MEAN_PV_KW * 0.9 * step.pvPerKw;
  const design = context.designKw; // per class, for the tenant's climate (load.ts classDesignKw)
  const designKw = shares.residential * design.residential + shares.commercial * design.commercial + shares.industrial * design.industrial;
  const loading = loadKw / designKw;
  const regulatorKey = addNumber(addString(context.tenantKey, 'regulator'), feederId);
  const drift = REGULATOR_SD * smoothNormal(regulatorKey, latticePoint(step.midMs, REGULATOR_SPACING_MS));
  return { busVolts: character.sourceVolts + drift, farEndDropVolts: character.dropVolts * loading, loading };
}

/** Share of the far-end drop seen at `position` on a feeder whose load is spread evenly along it: x (2 - x). */
export function dropShare(position: number): number {
  const x = Math.min(1, Math.max(0, position));
  return x * (2 - x);
}

/** A read's voltage without events, 0.1 V. */
export function serviceVoltage(feeder: FeederVoltage, profile: MeterProfile, meter: MeterInterval): number {
  const volts =
    feeder.busVolts -
    feeder.farEndDropVolts * dropShare(profile.position) -
    SERVICE_VOLTS_PER_KW[profile.serviceClass] * meter.lastNetKw +
    METER_OFFSET_SD * meter.voltageOffsetZ +
    SMOOTH_SD * meter.voltageSmoothZ +
    JITTER_SD * meter.voltageWhiteZ;
  return roundVoltage(Math.min(VOLTS_MAX, Math.max(VOLTS_MIN, volts)));
}

/**
 * A read's voltage under a sag of `severity` (0, 1]: centred on 114 - 22 x severity (111.8 V at
 * 0.1, 94.2 V at 0.9) with a small per-read jitter from `z`, kept inside [90, 113.9].
 */
export function sagVoltage(severity: number, z: number): number {
  const volts = 114 - SAG_DEPTH * severity + SAG_JITTER_SD * z;
  return roundVoltage(Math.min(SAG_VOLTAGE_MAX, Math.max(SAG_VOLTAGE_MIN, volts)));
}
