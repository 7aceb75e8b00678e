/**
 * The load model: the energy one meter uses and its rooftop solar makes in one interval.
 *
 * A meter's load is its DETERMINISTIC expectation (archetype shape on the tenant's local clock
 * and calendar, shifted by the home's own habits of time; weather-driven heating and cooling;
 * lighting after dark; habitual appliance runs at the home's own times; the EV's charging
 * schedule; the expected energy of random appliance spikes) times a RANDOM factor with mean 1
 * (persistent: smooth value noise on hashed lattices at 4-day, 1-day and 2-hour scales, plus a
 * little white noise), plus random appliance spikes. Solar is deterministic (panel size, the
 * home's orientation, the sun, the tenant's sky). Net at each 15-minute step:
 * delivered = max(0, load - pv), received = max(0, pv - load).
 *
 * The baseline (`expectedKwh`) is the delivered energy of the deterministic part alone:
 * everything that depends on (tenant, meter profile, time) but not on the random draws.
 * Everything is a pure function of (tenant, profile, read_at): no state, no clock.
 *
 * An interval of 30 or 60 minutes is the sum of its 15-minute steps, each computed exactly as
 * the 15-minute read ending there would be, so a 60-minute read is the four 15-minute reads added.
 */
import { ARCHETYPE_CURVES, archetypeNamed, curveAt } from './archetypes.ts';
import { clearSkyIndex, clearSkyPvPerKw, climateOf, sunSine, temperatureAt } from './climate.ts';
import type { ServiceClass } from './classes.ts';
import type { MeterProfile } from './fleet.ts';
import { dayOfWeekOf, dayTypeOf, localPosition, localTimeAt } from './localTime.ts';
import { knotSeed, knotValue, latticePoint, type LatticePoint, logMeanOfExp } from './noise.ts';
import { addNumber, finishKey, startKey, uniformAt } from './random.ts';
import { assertTenantModel, type TenantModel } from './tenant.ts';
import { intervalMs, MINUTE_MS, QUARTER_HOUR_MS } from './time.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Constants. Each says where its number comes from: a published figure, or the calibration
// figure of `npm run realism` it was chosen to meet (docs/realism.md).

/**
 * Weekday-mean power of the class's archetype shape at scale 1, kW, before weather, lighting,
 * habits, EV and spikes. Residential chosen so homes average 27-32 kWh/day over a year
 * (EIA: 10,715 kWh a year for the average US residential customer, 29.4 kWh/day). Commercial
 * 10 kW (about 7,000 kWh/month, the order of EIA-861's average commercial customer) and
 * industrial 48 kW, as in the first version.
 */
export const CLASS_BASE_KW: Readonly<Record<ServiceClass, number>> = { residential: 0.56, commercial: 10, industrial: 48 };

/** Lighting after dark, kW at scale 1 when the household is fully active (chosen; RECS puts lighting near 10 % of home use). */
const LIGHTING_KW = 0.2;
/**
 * Air conditioning, kW per °C above the home's balance temperature (17-23 °C), at scale 1: a
 * 3-ton central unit draws about 3 kW, reached some 10 °C above the balance (chosen with the
 * August/April figure).
 */
const COOLING_KW_PER_C = 0.3;
const COOLING_BALANCE_MIN_C = 17;
const COOLING_BALANCE_SPAN_C = 6;
/** Electric space heating (heat pumps and resistance mixed), kW per °C under the home's 12-16 °C (chosen with the year-average and August/April figures). */
const HEATING_KW_PER_C = 0.09;
const HEATING_BALANCE_MIN_C = 12;
const HEATING_BALANCE_SPAN_C = 4;
/** A gas furnace's blower, kW per °C of heating demand (chosen: about 0.3 kW at -15 °C). */
const FURNACE_FAN_KW_PER_C = 0.01;
/** Buildings lag the weather: HVAC sees the mean of the temperature 1 h and 3 h earlier (chosen). */
const THERMAL_LAGS_MS = [HOUR_MS, 3 * HOUR_MS] as const;

/** Cooking at dinner time, kW (chosen: an electric range or oven at part load, 1-2.4 kW). */
const COOKING_KW_MIN = 1;
const COOKING_KW_SPAN = 1.4;
/**
 * Share of homes heating water with electricity (RECS 2015 table HC1.8: 55.1 of 118.2 million homes), and the
 * element's mean draw while it recovers, kW (chosen: 4.5 kW elements cycling within the quarter hour; with the
 * single-home peak/average figure). Morning run 1 h, evening run 45 minutes.
 */
const ELECTRIC_WATER_HEATER_SHARE = 0.47;
const WATER_HEATER_KW = 3;
/** Washer and dryer, kW (chosen: an electric dryer draws 2-5 kW). */
const LAUNDRY_KW = 2.5;
/** Level 2 home charging at 240 V / 30 A (SAE J1772), kW. */
const EV_CHARGER_KW = 7.2;
/** Energy per charging session on a weekday, kWh (chosen: 25-45 miles a day at about 0.3 kWh/mile). */
const EV_SESSION_KWH_MIN = 7;
const EV_SESSION_KWH_SPAN = 6;

/**
 * Random appliance spikes in an occupied home: probability per 15 minutes per unit of activity
 * above SPIKE_MIN_SHAPE (the archetype's shape; at most 2), and energy, kWh at scale 1 (0.6-1.8 kW
 * for 15 minutes: a kettle, a hair dryer, a microwave), times sqrt(scale). Chosen small: the
 * variance budget of the feeder deviation figure and the lag-1 figure leave little room for
 * white spikes (the deterministic habits carry the peaks).
 */
const SPIKE_PROBABILITY = 0.025;
const SPIKE_KWH_MIN = 0.15;
const SPIKE_KWH_SPAN = 0.3;
const SPIKE_KWH_MEAN = SPIKE_KWH_MIN + SPIKE_KWH_SPAN / 2;
/** No spikes while the household sleeps or is out: under this shape value (chosen). */
const SPIKE_MIN_SHAPE = 0.6;
/** A vacant home: a refrigerator cycling, running in 40 % of quarter hours (chosen), 0.03-0.06 kWh. */
const VACANT_RUN_PROBABILITY = 0.4;
const VACANT_RUN_KWH_MIN = 0.03;
const VACANT_RUN_KWH_SPAN = 0.03;

/** Commercial air conditioning per °C above 14-20 °C, as a share of the base (chosen: +40 % on a 30 °C afternoon). */
const COMMERCIAL_COOLING_PER_C = 0.035;
const COMMERCIAL_HEATING_PER_C = 0.025;
const COMMERCIAL_FAN_PER_C = 0.004;
/** Industry is mostly process load: 0.5 % more per °C above 18 °C (chosen). */
const INDUSTRIAL_COOLING_PER_C = 0.005;

/**
 * The random factor's parts, standard deviations of its logarithm (each part is a unit-variance
 * knot value: a sum of three uniforms, see noise.ts), by class: a multi-day
 * component (guests, a week away: 4-day lattice), a day component (1-day lattice), an hours
 * component (2-hour lattice) and white noise per 15 minutes. Residential chosen to meet the
 * day-to-day and lag-1 figures within the variance budget of the feeder deviation figure;
 * commercial and industrial loads are sums of many devices, so they are steadier (chosen).
 */
const NOISE_SIGMAS: Readonly<Record<ServiceClass, readonly [number, number, number, number]>> = {
  residential: [0.12, 0.15, 0.22, 0.12],
  commercial: [0.03, 0.05, 0.06, 0.03],
  industrial: [0.03, 0.03, 0.04, 0.02],
};
const LATTICE_SPACINGS_MS = [4 * DAY_MS, DAY_MS, 2 * HOUR_MS] as const;
// Numeric tags keep the lattices of one meter apart (and apart from its read and trait seeds).
const LATTICE_TAGS = [0x5101, 0x5102, 0x5103] as const;
const TRAITS_TAG = 0x4801;

/** Orientation and shading of a roof: 80-100 % of an ideal south-facing array (chosen). */
const PV_ORIENTATION_MIN = 0.8;

// ---------------------------------------------------------------------------------------------
// Per-step context: everything shared by all meters at one 15-minute step.

/** One step of an interval (15 minutes, or the interval itself when shorter). */
export interface StepContext {
  endMs: number;
  midMs: number;
  /** Local hour of the step's midpoint, 0 <= hour < 24. */
  hour: number;
  /** Weekend-like (weekend or holiday) of the local day before, of, and after the midpoint: 0 or 1. */
  weekendLike: Int8Array;
  /** Schools closed (weekend-like, or summer / winter break) for the same three days. */
  schoolClosed: Int8Array;
  /** Day of week of the same three days. */
  dayOfWeek: Int8Array;
  temperatureC: number;
  /** Temperature the buildings respond to (lagged). */
  hvacTemperatureC: number;
  /** 0 in daylight .. 1 after dusk. */
  darkness: number;
  /** PV output, kW per kW of panels facing the ideal way (clear-sky model x the tenant's clear-sky index). */
  pvPerKw: number;
  lattice: readonly [LatticePoint, LatticePoint, LatticePoint];
  /** Class mean power, kW at scale 1 (archetype mix, weather; no shifts, habits or spikes): drives the feeder's voltage drop. */
  classMeanKw: Readonly<Record<ServiceClass, number>>;
  /** Per class: ln E[exp(log-factor terms)] at this step's lattice weights; subtracting it makes the random factor's mean exactly 1. */
  logMeanCorrection: Readonly<Record<ServiceClass, number>>;
}

/** Everything shared by the reads of one (tenant, read_at, interval). */
export interface IntervalContext {
  tenant: TenantModel;
  tenantKey: number;
  readAtMs: number;
  intervalMinutes: number;
  stepMs: number;
  /** Step length / 15 minutes. */
  stepFraction: number;
  steps: readonly StepContext[];
  /** Daylight saving in force at read_at in the tenant's zone. */
  isDst: boolean;
  airConditionedShare: number;
  electricHeatShare: number;
  /** Load per meter, kW by class, at which a feeder of the tenant's climate shows its full design drop. */
  designKw: Readonly<Record<ServiceClass, number>>;
}

/**
 * Evening peak of a home without heating or cooling, kW at scale 1 (the archetype mix's evening,
 * lighting, cooking), from which the design load of a residential feeder is built (chosen so that
 * Chicago's design load is about 3.2 kW a home, which puts its summer peaks near the design drop).
 */
const RESIDENTIAL_DESIGN_BASE_KW = 0.95;
const designByZone = new Map<string, Record<ServiceClass, number>>();

/**
 * The per-meter load a feeder is built for in the tenant's climate: utilities size feeders for
 * their local peak, so a Phoenix feeder carries its air conditioning at the drop a Chicago feeder
 * shows at Chicago's peak. Residential: the larger of the summer design (air conditioning at the
 * hottest month's normal high) and the winter design (heating at the coldest month's normal low).
 */
export function classDesignKw(timeZone: string): Readonly<Record<ServiceClass, number>> {
  const { climate } = climateOf(timeZone);
  let design = designByZone.get(climate.name);
  if (design !== undefined) return design;
  const toC = (f: number) => ((f - 32) * 5) / 9;
  const hottestHighC = Math.max(...climate.highF.map(toC));
  const coldestLowC = Math.min(...climate.lowF.map(toC));
  const summer =
    RESIDENTIAL_DESIGN_BASE_KW +
    climate.airConditionedShare * COOLING_KW_PER_C * Math.max(0, hottestHighC - (COOLING_BALANCE_MIN_C + COOLING_BALANCE_SPAN_C / 2));
  const winter =
    RESIDENTIAL_DESIGN_BASE_KW +
    (climate.electricHeatShare * HEATING_KW_PER_C + (1 - climate.electricHeatShare) * FURNACE_FAN_KW_PER_C) *
      Math.max(0, HEATING_BALANCE_MIN_C + HEATING_BALANCE_SPAN_C / 2 - coldestLowC);
  design = {
    residential: Math.max(summer, winter),
    // Business-hours peak (1.75 x base) with the afternoon's cooling at the normal high.
    commercial: CLASS_BASE_KW.commercial * (1.75 + COMMERCIAL_COOLING_PER_C * Math.max(0, hottestHighC - 17)),
    // Industrial peaks near 1.45 x its base whatever the weather (chosen).
    industrial: CLASS_BASE_KW.industrial * 1.45,
  };
  designByZone.set(climate.name, design);
  return design;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function isSchoolBreak(epochDayNumber: number): boolean {
  const date = new Date(epochDayNumber * DAY_MS);
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  // US public schools: summer break mid-June to about 20 August, winter break 22 December to 2 January (chosen).
  return (month === 6 && day >= 15) || month === 7 || (month === 8 && day < 20) || (month === 12 && day >= 22) || (month === 1 && day <= 2);
}

function stepContext(tenant: TenantModel, endMs: number, stepMs: number, airConditionedShare: number, electricHeatShare: number): StepContext {
  const midMs = endMs - stepMs / 2;
  const position = localPosition(tenant.timeZone, midMs);
  const weekendLike = new Int8Array(3);
  const schoolClosed = new Int8Array(3);
  const dayOfWeek = new Int8Array(3);
  for (let i = 0; i < 3; i++) {
    const day = position.epochDay + i - 1;
    weekendLike[i] = dayTypeOf(day) === 'weekday' ? 0 : 1;
    schoolClosed[i] = weekendLike[i] === 1 || isSchoolBreak(day) ? 1 : 0;
    dayOfWeek[i] = dayOfWeekOf(day);
  }
  const temperatureC = temperatureAt(tenant, midMs);
  const hvacTemperatureC = (temperatureAt(tenant, midMs - THERMAL_LAGS_MS[0]) + temperatureAt(tenant, midMs - THERMAL_LAGS_MS[1])) / 2;
  const sine = sunSine(tenant, midMs);
  const elevationDeg = (Math.asin(Math.max(-1, Math.min(1, sine))) * 180) / Math.PI;
  // Lights come on as the sun sets: fully dark 5° below the horizon, none 3° above it (chosen).
  const darkness = Math.min(1, Math.max(0, (3 - elevationDeg) / 8));
  const pvPerKw = clearSkyPvPerKw(sine) * (sine > 0 ? clearSkyIndex(tenant, midMs) : 0);
  const step: StepContext = {
    endMs,
    midMs,
    hour: position.hour,
    weekendLike,
    schoolClosed,
    dayOfWeek,
    temperatureC,
    hvacTemperatureC,
    darkness,
    pvPerKw,
    lattice: [latticePoint(midMs, LATTICE_SPACINGS_MS[0]), latticePoint(midMs, LATTICE_SPACINGS_MS[1]), latticePoint(midMs, LATTICE_SPACINGS_MS[2])],
    classMeanKw: { residential: 0, commercial: 0, industrial: 0 },
    logMeanCorrection: { residential: 0, commercial: 0, industrial: 0 },
  };
  step.classMeanKw = classMeans(step, airConditionedShare, electricHeatShare);
  step.logMeanCorrection = {
    residential: logMeanCorrection(NOISE_SIGMAS.residential, step.lattice),
    commercial: logMeanCorrection(NOISE_SIGMAS.commercial, step.lattice),
    industrial: logMeanCorrection(NOISE_SIGMAS.industrial, step.lattice),
  };
  return step;
}

/** Sum over the factor's terms of ln E[exp(term)]: two knots per lattice and the white term. */
function logMeanCorrection(sigmas: readonly [number, number, number, number], lattice: readonly LatticePoint[]): number {
  let sum = logMeanOfExp(sigmas[3]); // the white term: one knot value with weight 1
  for (let s = 0; s < 3; s++) sum += logMeanOfExp(sigmas[s]! * lattice[s]!.left) + logMeanOfExp(sigmas[s]! * lattice[s]!.right);
  return sum;
}

/** Mean of max(0, x - b) over b uniform in [min, min + span] (closed form). */
function meanExcessAbove(x: number, min: number, span: number): number {
  if (x <= min) return 0;
  if (x >= min + span) return x - min - span / 2;
  return (x - min) ** 2 / (2 * span);
}

/** Mean of max(0, b - x) over b uniform in [min, min + span]. */
function meanExcessBelow(x: number, min: number, span: number): number {
  return meanExcessAbove(-x, -(min + span), span);
}

function classMeans(step: StepContext, airConditionedShare: number, electricHeatShare: number): Record<ServiceClass, number> {
  const means: Record<ServiceClass, number> = { residential: 0, commercial: 0, industrial: 0 };
  const kind = step.weekendLike[1]!;
  for (const archetype of ARCHETYPE_CURVES) {
    const shape = curveAt(archetype.curves[kind]!, step.hour);
    means[archetype.serviceClass] += archetype.share * shape;
  }
  const t = step.hvacTemperatureC;
  means.residential =
    CLASS_BASE_KW.residential * means.residential +
    LIGHTING_KW * step.darkness * Math.min(1, Math.max(0.15, means.residential / 1.2)) +
    airConditionedShare * COOLING_KW_PER_C * meanExcessAbove(t, COOLING_BALANCE_MIN_C, COOLING_BALANCE_SPAN_C) +
    (electricHeatShare * HEATING_KW_PER_C + (1 - electricHeatShare) * FURNACE_FAN_KW_PER_C) * meanExcessBelow(t, HEATING_BALANCE_MIN_C, HEATING_BALANCE_SPAN_C);
  means.commercial = CLASS_BASE_KW.commercial * (means.commercial + COMMERCIAL_COOLING_PER_C * 0.7 * meanExcessAbove(t, 14, 6));
  means.industrial = CLASS_BASE_KW.industrial * (means.industrial + INDUSTRIAL_COOLING_PER_C * Math.max(0, t - 18));
  return means;
}

let memo: IntervalContext | undefined;

/**
 * The shared context of the interval ending at `readAt` (cached for the last interval asked,
 * so expectedKwh over many meters of one interval costs one context).
 * @throws RangeError when `readAt` is not aligned to `intervalMinutes` or the tenant is unusable.
 */
export function intervalContext(tenant: TenantModel, readAt: Date, intervalMinutes: number): IntervalContext {
  const lengthMs = intervalMs(intervalMinutes);
  const readAtMs = readAt instanceof Date ? readAt.getTime() : Number.NaN;
  if (!Number.isFinite(readAtMs) || readAtMs % lengthMs !== 0) {
    throw new RangeError(`readAt must be aligned to ${intervalMinutes} minutes; got ${String(readAt)}`);
  }
  if (
    memo !== undefined &&
    memo.readAtMs === readAtMs &&
    memo.intervalMinutes === intervalMinutes &&
    memo.tenant.tenantId === tenant.tenantId &&
    memo.tenant.timeZone === tenant.timeZone &&
    memo.tenant.solarShare === tenant.solarShare
  ) {
    return memo;
  }
  assertTenantModel(tenant);
  const { climate } = climateOf(tenant.timeZone);
  const stepMinutes = gcd(intervalMinutes, 15);
  const stepMs = stepMinutes * MINUTE_MS;
  const steps: StepContext[] = [];
  for (let endMs = readAtMs - lengthMs + stepMs; endMs <= readAtMs; endMs += stepMs) {
    steps.push(stepContext(tenant, endMs, stepMs, climate.airConditionedShare, climate.electricHeatShare));
  }
  memo = {
    tenant: { tenantId: tenant.tenantId, timeZone: tenant.timeZone, solarShare: tenant.solarShare },
    tenantKey: startKey(tenant.tenantId),
    readAtMs,
    intervalMinutes,
    stepMs,
    stepFraction: stepMs / QUARTER_HOUR_MS,
    steps,
    isDst: localTimeAt(tenant.timeZone, readAtMs).isDst,
    airConditionedShare: climate.airConditionedShare,
    electricHeatShare: climate.electricHeatShare,
    designKw: classDesignKw(tenant.timeZone),
  };
  return memo;
}

// ---------------------------------------------------------------------------------------------
// Per-meter traits: deterministic habits drawn from (tenant, meter), not stored.

/** A meter's hidden habits, drawn from (tenant, meter); filled into a reused object. */
interface Traits {
  /** Hours the home runs late (+) or early (-) against its archetype, triangular in +-1.6 h. */
  shift: number;
  cookStart: number;
  cookWeekendDelay: number;
  cookHours: number;
  cookKw: number;
  waterHeater: boolean;
  waterMorning: number;
  waterEvening: number;
  laundryWeekendDay: number;
  laundryWeekendStart: number;
  laundryWeekday: number;
  laundryWeekdayStart: number;
  evStart: number;
  evSessionKwh: number;
  hasAc: boolean;
  coolingBalance: number;
  coolingFactor: number;
  heatingBalance: number;
  pvOrientation: number;
  /** Static offset of this service's voltage (transformer tap, secondary length), standard normal. */
  voltageOffsetZ: number;
}

const traits: Traits = {
  shift: 0,
  cookStart: 0,
  cookWeekendDelay: 0,
  cookHours: 0,
  cookKw: 0,
  waterHeater: false,
  waterMorning: 0,
  waterEvening: 0,
  laundryWeekendDay: 0,
  laundryWeekendStart: 0,
  laundryWeekday: 0,
  laundryWeekdayStart: 0,
  evStart: 0,
  evSessionKwh: 0,
  hasAc: false,
  coolingBalance: 0,
  coolingFactor: 0,
  heatingBalance: 0,
  pvOrientation: 1,
  voltageOffsetZ: 0,
};

function fillTraits(meterKey: number, serviceClass: ServiceClass, airConditionedShare: number): Traits {
  const seed = finishKey(addNumber(meterKey, TRAITS_TAG), 3);
  const residential = serviceClass === 'residential';
  traits.shift = (uniformAt(seed, 0) + uniformAt(seed, 1) - 1) * (residential ? 1.6 : 0.5);
  traits.cookStart = 17 + 1.8 * uniformAt(seed, 2) + traits.shift;
  traits.cookWeekendDelay = 0.6 * uniformAt(seed, 3);
  traits.cookHours = 0.5 + 0.5 * uniformAt(seed, 4);
  traits.cookKw = COOKING_KW_MIN + COOKING_KW_SPAN * uniformAt(seed, 5);
  traits.waterHeater = uniformAt(seed, 6) < ELECTRIC_WATER_HEATER_SHARE;
  traits.waterMorning = 5.5 + 2.5 * uniformAt(seed, 7) + traits.shift;
  traits.waterEvening = 19 + 3 * uniformAt(seed, 8);
  traits.laundryWeekendDay = uniformAt(seed, 9) < 0.5 ? 6 : 0;
  traits.laundryWeekendStart = 9 + 5 * uniformAt(seed, 10);
  traits.laundryWeekday = 1 + Math.floor(5 * uniformAt(seed, 11));
  traits.laundryWeekdayStart = 18.5 + 2 * uniformAt(seed, 12);
  // Half the EV owners plug in on arrival, half on an off-peak timer (chosen).
  traits.evStart = uniformAt(seed, 13) < 0.5 ? 17.25 + 2 * uniformAt(seed, 14) + traits.shift : 22 + 2 * uniformAt(seed, 14);
  traits.evSessionKwh = EV_SESSION_KWH_MIN + EV_SESSION_KWH_SPAN * uniformAt(seed, 15);
  traits.hasAc = residential ? uniformAt(seed, 16) < airConditionedShare : true;
  traits.coolingBalance = residential ? COOLING_BALANCE_MIN_C + COOLING_BALANCE_SPAN_C * uniformAt(seed, 17) : 14 + 6 * uniformAt(seed, 17);
  traits.coolingFactor = 0.6 + 0.8 * uniformAt(seed, 18);
  traits.heatingBalance = residential ? HEATING_BALANCE_MIN_C + HEATING_BALANCE_SPAN_C * uniformAt(seed, 19) : 8 + 4 * uniformAt(seed, 19);
  traits.pvOrientation = PV_ORIENTATION_MIN + (1 - PV_ORIENTATION_MIN) * uniformAt(seed, 20);
  traits.voltageOffsetZ = Math.sqrt(-2 * Math.log(1 - uniformAt(seed, 21))) * Math.cos(2 * Math.PI * uniformAt(seed, 22));
  return traits;
}

/** Hours of [a0, a1) inside [b0, b1). */
function overlap(a0: number, a1: number, b0: number, b1: number): number {
  const d = Math.min(a1, b1) - Math.max(a0, b0);
  return Math.max(0, d);
}

/** EV energy of the last {@link habitsKwh} call (a module variable: no object per meter). */
let evKwhOfRuns = 0;

/**
 * Energy (kWh) of the home's habitual appliance runs in [q0, q1) local hours of the step's day;
 * the EV's energy in the same span is left in {@link evKwhOfRuns}.
 */
function habitsKwh(step: StepContext, t: Traits, q0: number, q1: number, hasEv: boolean, sqrtScale: number): number {
  let habits = 0;
  let ev = 0;
  // Runs that started on the day before can reach past midnight (an EV on a late timer).
  for (let d = 0; d < 2; d++) {
    const offset = (d - 1) * 24;
    const weekend = step.weekendLike[d]! === 1;
    const dow = step.dayOfWeek[d]!;
    if (d === 1) {
      const cook = t.cookStart + (weekend ? t.cookWeekendDelay : 0);
      habits += t.cookKw * sqrtScale * overlap(q0, q1, cook, cook + t.cookHours);
      if (t.waterHeater) {
        const morning = t.waterMorning + (weekend ? 1.5 : 0);
        habits += WATER_HEATER_KW * (overlap(q0, q1, morning, morning + 1) + overlap(q0, q1, t.waterEvening, t.waterEvening + 0.75));
      }
      if (dow === t.laundryWeekendDay) habits += LAUNDRY_KW * overlap(q0, q1, t.laundryWeekendStart, t.laundryWeekendStart + 1.5);
      if (dow === t.laundryWeekday) habits += LAUNDRY_KW * overlap(q0, q1, t.laundryWeekdayStart, t.laundryWeekdayStart + 1.25);
    }
    if (hasEv) {
      const start = t.evStart + (weekend ? 1 : 0) + offset;
      const hours = (t.evSessionKwh * (weekend ? 0.75 : 1)) / EV_CHARGER_KW;
      ev += EV_CHARGER_KW * overlap(q0, q1, start, start + hours);
    }
  }
  evKwhOfRuns = ev;
  return habits;
}

// ---------------------------------------------------------------------------------------------
// One meter, one interval.

/** A meter's energy over one interval (all kWh, unrounded) and what its voltage needs. */
export interface MeterInterval {
  /** Delivered (grid to customer). */
  kwh: number;
  /** Received (customer to grid). */
  kwhReceived: number;
  /** Delivered of the deterministic part alone: the baseline. */
  expectedKwh: number;
  /** Net power of the LAST step, kW (negative when exporting). */
  lastNetKw: number;
  /** Standard normals for the voltage of the last step: smooth (2-hour lattice) and white. */
  voltageSmoothZ: number;
  voltageWhiteZ: number;
  voltageOffsetZ: number;
}

const latticeKeys = new Float64Array(3);

function archetypeOfMeter(profile: MeterProfile) {
  try {
    return archetypeNamed(profile.archetype);
  } catch (error) {
    throw new RangeError(`meter ${profile.meterId}: ${(error as Error).message} (a profile needs the fields of MeterProfile)`);
  }
}

/**
 * The interval of one meter. With `withRandom` false only `expectedKwh` is computed (the rest
 * left at 0), which is what {@link expectedKwh} needs, at a fraction of the cost.
 * @throws RangeError for a profile whose archetype is unknown or not of its class.
 */
export function meterInterval(context: IntervalContext, profile: MeterProfile, withRandom: boolean, out: MeterInterval): MeterInterval {
  const archetype = archetypeOfMeter(profile);
  const { serviceClass } = profile;
  if (!(profile.scale >= 0 && profile.pvKw >= 0 && profile.position >= 0 && profile.position <= 1)) {
    throw new RangeError(`meter ${profile.meterId}: scale and pvKw must be >= 0 and position in [0, 1]`);
  }
  if (archetype.serviceClass !== serviceClass) {
    throw new RangeError(`meter ${profile.meterId}: archetype ${profile.archetype} is not of class ${String(serviceClass)}`);
  }
  const meterKey = addNumber(context.tenantKey, profile.meterId);
  const t = fillTraits(meterKey, serviceClass, context.airConditionedShare);
  const scale = profile.scale;
  const sqrtScale = Math.sqrt(scale);
  const stepHours = context.stepMs / HOUR_MS;
  const halfStep = stepHours / 2;
  const sigmas = NOISE_SIGMAS[serviceClass];
  if (withRandom) for (let s = 0; s < 3; s++) latticeKeys[s] = addNumber(meterKey, LATTICE_TAGS[s]!);
  const pvKw = profile.pvKw > 0 ? profile.pvKw * t.pvOrientation : 0;
  const vacant = archetype.name === 'res-vacant';
  const residential = serviceClass === 'residential';
  const school = archetype.name === 'com-school';
  const electricHeat = profile.heating === 'electric';

  out.kwh = 0;
  out.kwhReceived = 0;
  out.expectedKwh = 0;
  out.lastNetKw = 0;
  out.voltageSmoothZ = 0;
  out.voltageWhiteZ = 0;
  out.voltageOffsetZ = t.voltageOffsetZ;

  for (const step of context.steps) {
    // The home's own clock: its archetype shape read `shift` hours earlier (or later).
    let shiftedHour = step.hour - t.shift;
    let dayIndex = 1;
    if (shiftedHour < 0) {
      shiftedHour += 24;
      dayIndex = 0;
    } else if (shiftedHour >= 24) {
      shiftedHour -= 24;
      dayIndex = 2;
    }
    const weekend = school ? step.schoolClosed[dayIndex]! : step.weekendLike[dayIndex]!;
    const shape = curveAt(archetype.curves[weekend]!, shiftedHour);
    const tHvac = step.hvacTemperatureC;

    let smoothKwh: number; // multiplied by the random factor
    let fixedKwh = 0; // EV: a charger draws its rated power whatever the day is like
    let spikeProbability = 0;
    let spikeMeanKwh = 0;
    if (vacant) {
      smoothKwh = 0;
      spikeProbability = VACANT_RUN_PROBABILITY * context.stepFraction;
      spikeMeanKwh = VACANT_RUN_KWH_MIN + VACANT_RUN_KWH_SPAN / 2;
    } else if (residential) {
      const activity = Math.min(shape, 2);
      const lightingActivity = Math.min(1, Math.max(0.15, shape / 1.2));
      let kw = CLASS_BASE_KW.residential * shape + LIGHTING_KW * step.darkness * lightingActivity;
      if (t.hasAc && tHvac > t.coolingBalance) kw += COOLING_KW_PER_C * t.coolingFactor * (tHvac - t.coolingBalance) * (0.7 + 0.15 * activity);
      if (tHvac < t.heatingBalance) kw += (electricHeat ? HEATING_KW_PER_C : FURNACE_FAN_KW_PER_C) * (t.heatingBalance - tHvac);
      smoothKwh = kw * scale * stepHours;
      smoothKwh += habitsKwh(step, t, step.hour - halfStep, step.hour + halfStep, profile.hasEv, sqrtScale);
      fixedKwh = evKwhOfRuns;
      spikeProbability = shape > SPIKE_MIN_SHAPE ? SPIKE_PROBABILITY * (activity - SPIKE_MIN_SHAPE) * context.stepFraction : 0;
      spikeMeanKwh = SPIKE_KWH_MEAN * sqrtScale;
    } else if (serviceClass === 'commercial') {
      const operating = Math.min(1, Math.max(0, shape - 0.5));
      let relative = shape;
      if (tHvac > t.coolingBalance) relative += COMMERCIAL_COOLING_PER_C * t.coolingFactor * (tHvac - t.coolingBalance) * (0.3 + 0.7 * operating);
      if (tHvac < t.heatingBalance) relative += (electricHeat ? COMMERCIAL_HEATING_PER_C : COMMERCIAL_FAN_PER_C) * (t.heatingBalance - tHvac);
      smoothKwh = CLASS_BASE_KW.commercial * scale * relative * stepHours;
    } else {
      const relative = shape + (tHvac > 18 ? INDUSTRIAL_COOLING_PER_C * (tHvac - 18) : 0);
      smoothKwh = CLASS_BASE_KW.industrial * scale * relative * stepHours;
    }
    const pvKwh = pvKw > 0 ? pvKw * step.pvPerKw * stepHours : 0;
    const expectedLoad = smoothKwh + fixedKwh + spikeProbability * spikeMeanKwh;
    out.expectedKwh += expectedLoad > pvKwh ? expectedLoad - pvKwh : 0;
    if (!withRandom) continue;

    // The random factor: exp(sum of sigma x smooth knot values - their log-mean), mean exactly 1.
    let logFactor = -step.logMeanCorrection[serviceClass];
    let voltageSmoothZ = 0;
    for (let s = 0; s < 3; s++) {
      const point = step.lattice[s]!;
      const key = latticeKeys[s]!;
      const leftSeed = knotSeed(key, point.knot);
      const rightSeed = knotSeed(key, point.knot + 1);
      logFactor += sigmas[s]! * (point.left * knotValue(leftSeed, 0) + point.right * knotValue(rightSeed, 0));
      if (s === 2) voltageSmoothZ = point.left * knotValue(leftSeed, 3) + point.right * knotValue(rightSeed, 3);
    }
    // The read's own draws: same seed as keySeed(tenantId, meterId, stepEndMs).
    const readSeed = finishKey(addNumber(meterKey, step.endMs), 3);
    logFactor += sigmas[3] * knotValue(readSeed, 0);
    const spikeKwh =
      spikeProbability > 0 && uniformAt(readSeed, 3) < spikeProbability
        ? vacant
          ? VACANT_RUN_KWH_MIN + VACANT_RUN_KWH_SPAN * uniformAt(readSeed, 4)
          : (SPIKE_KWH_MIN + SPIKE_KWH_SPAN * uniformAt(readSeed, 4)) * sqrtScale
        : 0;
    const load = smoothKwh * Math.exp(logFactor) + fixedKwh + spikeKwh;
    if (load > pvKwh) out.kwh += load - pvKwh;
    else out.kwhReceived += pvKwh - load;
    out.lastNetKw = (load - pvKwh) / stepHours;
    out.voltageSmoothZ = voltageSmoothZ;
    out.voltageWhiteZ = knotValue(readSeed, 5);
  }
  return out;
}

const scratch: MeterInterval = { kwh: 0, kwhReceived: 0, expectedKwh: 0, lastNetKw: 0, voltageSmoothZ: 0, voltageWhiteZ: 0, voltageOffsetZ: 0 };

/**
 * The load model without its random part and without events: the DELIVERED energy an analyst
 * expects this meter to use in the interval ending at `readAt` (weather, calendar, archetype,
 * the home's time shift and habits, its EV schedule and expected solar included; day factor,
 * persistent residual and random spikes not). `baselineKwh` is this, rounded to 4 decimals.
 * @throws RangeError when `readAt` is not aligned to `intervalMinutes`.
 */
export function expectedKwh(tenant: TenantModel, profile: MeterProfile, readAt: Date, intervalMinutes = 15): number {
  return meterInterval(intervalContext(tenant, readAt, intervalMinutes), profile, false, scratch).expectedKwh;
}

/**
 * Mean energy of a scale-1 meter of `serviceClass` over the interval ending at `readAt`: the
 * archetype mix on the local clock and the tenant's weather, without per-home shifts, habits,
 * EVs, spikes or solar. A smooth class curve (the feeder voltage model's load, and bulk
 * history loaders); a single meter's expectation is {@link expectedKwh}.
 */
export function classMeanKwh(tenant: TenantModel, serviceClass: ServiceClass, readAt: Date, intervalMinutes = 15): number {
  const context = intervalContext(tenant, readAt, intervalMinutes);
  const stepHours = context.stepMs / HOUR_MS;
  return context.steps.reduce((sum, step) => sum + step.classMeanKw[serviceClass] * stepHours, 0);
}
