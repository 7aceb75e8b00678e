/**
 * A synthetic but climate-true outdoor temperature and sky per tenant: the seasonal cycle of
 * published monthly normals, a day/night cycle on local SOLAR time, and multi-day weather swings
 * from smooth value noise seeded by the tenant, so two tenants in one zone have different
 * weather and the same tenant always has the same. Also the sun's elevation (for rooftop solar
 * and lighting) and a deterministic cloudiness. Pure functions of (tenant, instant).
 */
import { latticePoint, smoothNormal } from './noise.ts';
import { addString, startKey } from './random.ts';
import { canonicalTimeZone } from './tenant.ts';
import { standardOffsetMinutes } from './localTime.ts';
import type { TenantModel } from './tenant.ts';

/** A climate: monthly normals of daily maximum and minimum (°F, as published) and its place. */
export interface Climate {
  name: string;
  /** Where the numbers come from. */
  source: string;
  latitude: number;
  longitude: number;
  /** Mean daily maximum, January..December, °F. */
  highF: readonly number[];
  /** Mean daily minimum, January..December, °F. */
  lowF: readonly number[];
  /** Standard deviation of the weather anomaly of the daily mean, °C, in January and in July (chosen). */
  anomalySdC: readonly [number, number];
  /** Mean clear-sky index (chosen: sunnier climates higher). */
  clearness: number;
  /** Share of homes heating with electricity (RECS 2015 table HC1.6, main space heating fuel, by climate region). */
  electricHeatShare: number;
  /** Share of homes with air conditioning (RECS 2015 table HC1.6, by climate region). */
  airConditionedShare: number;
}

/**
 * Published monthly normals for a few US zones. A zone not listed gets Chicago's climate (the
 * product's default zone), with the sun placed on that zone's own standard meridian.
 */
export const CLIMATES: Readonly<Record<string, Climate>> = {
  'America/Chicago': {
    name: 'Chicago O’Hare',
    source: 'NOAA 1981-2010 normals, station 094846 (Illinois State Climatologist)',
    latitude: 41.995,
    longitude: -87.934,
    highF: [31.0, 35.3, 46.6, 59.0, 70.0, 79.7, 84.1, 81.9, 74.8, 62.3, 48.2, 34.8],
    lowF: [16.5, 20.1, 29.2, 38.8, 48.3, 58.1, 63.9, 62.9, 54.3, 42.8, 32.4, 20.7],
    anomalySdC: [5, 2.5],
    clearness: 0.62,
    electricHeatShare: 0.18, // very cold/cold region: 7.5 of 42.5 million homes
    airConditionedShare: 0.85, // very cold/cold region: 36.2 of 42.5 million homes
  },
  'America/Denver': {
    name: 'Denver Stapleton',
    source: 'NCDC 1971-2000 monthly normals, station 052220 (WRCC)',
    latitude: 39.77,
    longitude: -104.87,
    highF: [43.2, 47.2, 53.7, 60.9, 70.5, 82.1, 88.0, 86.0, 77.4, 66.0, 51.5, 44.1],
    lowF: [15.2, 19.1, 25.4, 34.2, 43.8, 53.0, 58.7, 57.4, 47.3, 35.9, 23.5, 16.4],
    anomalySdC: [5.5, 2.5],
    clearness: 0.72,
    electricHeatShare: 0.18,
    airConditionedShare: 0.85,
  },
  'America/Phoenix': {
    name: 'Phoenix Sky Harbor',
    source: 'NOAA 1991-2020 normals (as tabulated in Wikipedia, Climate of Phoenix)',
    latitude: 33.43,
    longitude: -112.01,
    highF: [68, 71, 78, 86, 95, 104, 107, 105, 100, 89, 77, 66],
    lowF: [46, 49, 55, 61, 70, 79, 85, 84, 78, 66, 54, 45],
    anomalySdC: [3, 1.8],
    clearness: 0.85,
    electricHeatShare: 0.29, // mixed-dry/hot-dry region: 3.7 of 12.7
    airConditionedShare: 0.8, // mixed-dry/hot-dry region: 10.1 of 12.7
  },
  'America/Los_Angeles': {
    name: 'Los Angeles downtown (USC)',
    source: 'NOAA 1981-2010 normals (as tabulated in Wikipedia, Climate of the Los Angeles Basin)',
    latitude: 34.02,
    longitude: -118.29,
    highF: [68.2, 68.6, 70.2, 72.7, 74.5, 78.1, 83.1, 84.4, 83.1, 78.5, 72.8, 67.7],
    lowF: [47.8, 49.3, 51.0, 53.5, 57.1, 60.3, 63.6, 64.1, 63.1, 58.7, 52.0, 47.5],
    anomalySdC: [2, 1.8],
    clearness: 0.76,
    electricHeatShare: 0.4, // marine region: 2.7 of 6.7
    airConditionedShare: 0.52, // marine region: 3.5 of 6.7
  },
};

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const YEAR_DAYS = 365.2425;
const fToC = (f: number) => ((f - 32) * 5) / 9;

/** A climate with its normals converted once: °C mean and range per month. */
interface ResolvedClimate {
  climate: Climate;
  latitudeRad: number;
  longitude: number;
  meanC: Float64Array;
  rangeC: Float64Array;
}

const resolved = new Map<string, ResolvedClimate>();

/** The climate of a time zone (Chicago's for a zone without its own), sun on the right meridian. */
export function climateOf(timeZone: string): ResolvedClimate {
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) throw new RangeError(`timeZone must be an IANA time zone name; got ${String(timeZone)}`);
  let result = resolved.get(canonical);
  if (result !== undefined) return result;
  const own = CLIMATES[canonical];
  const climate = own ?? CLIMATES['America/Chicago']!;
  // A zone without its own climate keeps Chicago's temperatures but its own solar noon: the sun
  // stands over the zone's standard meridian (15° per hour of standard offset).
  const longitude = own ? own.longitude : (standardOffsetMinutes(canonical, 2026) / 60) * 15;
  result = {
    climate,
    latitudeRad: (climate.latitude * Math.PI) / 180,
    longitude,
    meanC: Float64Array.from(climate.highF, (high, i) => (fToC(high) + fToC(climate.lowF[i]!)) / 2),
    rangeC: Float64Array.from(climate.highF, (high, i) => fToC(high) - fToC(climate.lowF[i]!)),
  };
  resolved.set(canonical, result);
  return result;
}

/** Fractional day of the year (0 = 1 January 00:00) of `ms` in local mean solar time, and the solar hour. */
function solarCalendar(ms: number, longitude: number): { dayOfYear: number; solarHour: number; yearDays: number } {
  const solarMs = ms + (longitude / 15) * HOUR_MS;
  const date = new Date(solarMs);
  const year = date.getUTCFullYear();
  const yearStart = Date.UTC(year, 0, 1);
  const dayOfYear = (solarMs - yearStart) / DAY_MS;
  return { dayOfYear, solarHour: (dayOfYear - Math.floor(dayOfYear)) * 24, yearDays: (Date.UTC(year + 1, 0, 1) - yearStart) / DAY_MS };
}

/** A monthly value at a fractional day of the year: linear between mid-month points, cyclic. */
function monthlyAt(values: Float64Array | readonly number[], dayOfYear: number): number {
  const monthPosition = (dayOfYear / YEAR_DAYS) * 12 - 0.5; // 0 = mid-January
  const m = Math.floor(monthPosition);
  const f = monthPosition - m;
  const a = values[(m + 12) % 12]!;
  const b = values[(m + 13) % 12]!;
  return a + (b - a) * f;
}

/**
 * Day/night shape, -1 at 06:00 and +1 at 15:00 solar time: 9 hours of warming, 15 of cooling,
 * with zero mean over the day, so the daily mean stays (max + min) / 2 as in the normals.
 */
function diurnalShape(solarHour: number): number {
  const h = solarHour < 6 ? solarHour + 24 : solarHour;
  return h <= 15 ? -Math.cos((Math.PI * (h - 6)) / 9) : Math.cos((Math.PI * (h - 15)) / 15);
}

/** Spacing of the multi-day weather swings (a synoptic system passes in 2-5 days; chosen). */
const SYNOPTIC_SPACING_MS = 2.5 * DAY_MS;
/** Spacing and size of shorter swings (fronts arriving in the afternoon, a cloudy morning; chosen). */
const SHORT_SPACING_MS = 8 * HOUR_MS;
const SHORT_SD_C = 0.8;

const weatherKeys = new Map<string, { synoptic: number; short: number; cloudDay: number; cloudHours: number }>();

function weatherKeysOf(tenantId: string) {
  let keys = weatherKeys.get(tenantId);
  if (keys === undefined) {
    const tenantKey = startKey(tenantId);
    keys = {
      synoptic: addString(tenantKey, 'weather:synoptic'),
      short: addString(tenantKey, 'weather:short'),
      cloudDay: addString(tenantKey, 'sky:day'),
      cloudHours: addString(tenantKey, 'sky:hours'),
    };
    if (weatherKeys.size > 10_000) weatherKeys.clear();
    weatherKeys.set(tenantId, keys);
  }
  return keys;
}

/** Outdoor temperature, °C, of the tenant at epoch milliseconds `ms`. */
export function temperatureAt(tenant: TenantModel, ms: number): number {
  const { climate, longitude, meanC, rangeC } = climateOf(tenant.timeZone);
  const { dayOfYear, solarHour } = solarCalendar(ms, longitude);
  const keys = weatherKeysOf(tenant.tenantId);
  // Weather swings are larger in winter: the anomaly's sd moves from its January to its July value on a cosine.
  const [winterSd, summerSd] = climate.anomalySdC;
  const season = (1 - Math.cos((2 * Math.PI * (dayOfYear - 15)) / YEAR_DAYS)) / 2; // 0 mid-January, 1 mid-July
  const synopticSd = winterSd + (summerSd - winterSd) * season;
  const anomaly =
    synopticSd * smoothNormal(keys.synoptic, latticePoint(ms, SYNOPTIC_SPACING_MS)) + SHORT_SD_C * smoothNormal(keys.short, latticePoint(ms, SHORT_SPACING_MS));
  return monthlyAt(meanC, dayOfYear) + (monthlyAt(rangeC, dayOfYear) / 2) * diurnalShape(solarHour) + anomaly;
}

/**
 * Outdoor temperature (°C) of the tenant at `instant`: the climate of its time zone (published
 * monthly normals; Chicago's for a zone without its own), a day/night cycle on local solar
 * time, and the tenant's own multi-day weather. Deterministic from (tenant, instant).
 */
export function temperatureC(tenant: TenantModel, instant: Date): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`instant must be a valid Date; got ${String(instant)}`);
  return temperatureAt(tenant, ms);
}

/** Sine of the sun's elevation at `ms` for the climate's place (negative at night). */
export function sunSine(tenant: TenantModel, ms: number): number {
  const { latitudeRad, longitude } = climateOf(tenant.timeZone);
  const { dayOfYear, yearDays } = solarCalendar(ms, longitude);
  // Declination (Cooper 1969) and the equation of time (Spencer-style three-term fit, minutes).
  const declination = ((23.44 * Math.PI) / 180) * Math.sin((2 * Math.PI * (284 + dayOfYear)) / yearDays);
  const b = (2 * Math.PI * (dayOfYear - 81)) / 364;
  const equationOfTimeHours = (9.87 * Math.sin(2 * b) - 7.53 * Math.cos(b) - 1.5 * Math.sin(b)) / 60;
  const trueSolarHour = (dayOfYear - Math.floor(dayOfYear)) * 24 + equationOfTimeHours;
  const hourAngle = ((trueSolarHour - 12) * 15 * Math.PI) / 180;
  return Math.sin(latitudeRad) * Math.sin(declination) + Math.cos(latitudeRad) * Math.cos(declination) * Math.cos(hourAngle);
}

/** Day-to-day and hour-to-hour spread of the clear-sky index around the climate's mean (chosen). */
const CLOUD_DAY_SD = 0.3;
const CLOUD_HOURS_SD = 0.12;
const CLOUD_HOURS_SPACING_MS = 3 * HOUR_MS;
const CLEARNESS_MIN = 0.1;

/**
 * Clear-sky index of the tenant's sky at `ms`, in [0.1, 1]: 1 is a cloudless sky, 0.1 a dark
 * overcast. Deterministic from (tenant, instant), shared by all its meters.
 */
export function clearSkyIndex(tenant: TenantModel, ms: number): number {
  const { climate } = climateOf(tenant.timeZone);
  const keys = weatherKeysOf(tenant.tenantId);
  const k =
    climate.clearness +
    CLOUD_DAY_SD * smoothNormal(keys.cloudDay, latticePoint(ms, DAY_MS)) +
    CLOUD_HOURS_SD * smoothNormal(keys.cloudHours, latticePoint(ms, CLOUD_HOURS_SPACING_MS));
  return Math.min(1, Math.max(CLEARNESS_MIN, k));
}

/**
 * PV output under a clear sky, kW per kW of panels, from the sun's elevation: clear-sky
 * horizontal irradiance after Haurwitz (1945), 1098 sin(h) exp(-0.057 / sin(h)) W/m²,
 * a tilted-roof gain that grows as the sun gets lower (chosen, 1 + 0.3 cos h), and PVWatts'
 * default derate (14 % system losses, 96 % inverter efficiency: 0.83).
 */
export function clearSkyPvPerKw(sine: number): number {
  if (sine <= 0.01) return 0;
  const ghi = 1098 * sine * Math.exp(-0.057 / sine);
  const cosElevation = Math.sqrt(1 - sine * sine);
  return Math.min(1, 0.83 * (ghi / 1000) * (1 + 0.3 * cosElevation));
}
