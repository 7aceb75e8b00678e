/**
 * Daily load curves by service class. The emulated utility runs on UTC: hours below are UTC
 * hours, so a dashboard in UTC shows the evening peak at 18:00-21:00.
 *
 * Each curve is 24 hourly points, linearly interpolated, so consecutive 15-minute intervals
 * never jump. Weekday and weekend share the 00:00 point of each class, so the change of day
 * type at midnight is continuous too. Points are relative; each class is normalised so its
 * WEEKDAY daily mean is exactly the class base below.
 */
import type { MeterProfile, ServiceClass } from './fleet.ts';
import { intervalMs, QUARTER_HOUR_MS } from './time.ts';

/** Mean weekday kWh per 15 minutes for a meter of scale 1 (residential about 29 kWh/day). */
export const CLASS_BASE_KWH: Readonly<Record<ServiceClass, number>> = {
  residential: 0.3,
  commercial: 2.5,
  industrial: 12,
};

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// prettier-ignore
const HOURLY_POINTS: Readonly<Record<ServiceClass, { weekday: number[]; weekend: number[] }>> = {
  // Night trough 02-04, morning peak 07-09, larger evening peak 18-21.
  // Weekend: later, softer morning and a fuller midday.
  residential: {
    weekday: [0.55, 0.45, 0.40, 0.38, 0.38, 0.45, 0.70, 1.05, 1.10, 0.90, 0.80, 0.78,
              0.80, 0.78, 0.78, 0.85, 1.00, 1.25, 1.55, 1.70, 1.65, 1.45, 1.10, 0.80],
    weekend: [0.55, 0.48, 0.42, 0.38, 0.37, 0.38, 0.45, 0.65, 0.95, 1.15, 1.15, 1.10,
              1.05, 1.00, 0.98, 1.00, 1.10, 1.30, 1.55, 1.68, 1.62, 1.45, 1.15, 0.85],
  },
  // Business-hours plateau 08-18, low nights; weekends closed or half-open.
  commercial: {
    weekday: [0.35, 0.33, 0.32, 0.32, 0.33, 0.38, 0.55, 0.95, 1.45, 1.65, 1.70, 1.72,
              1.70, 1.72, 1.72, 1.68, 1.60, 1.40, 1.05, 0.70, 0.52, 0.45, 0.40, 0.37],
    weekend: [0.35, 0.33, 0.32, 0.32, 0.32, 0.33, 0.36, 0.42, 0.52, 0.60, 0.65, 0.66,
              0.66, 0.66, 0.65, 0.62, 0.58, 0.52, 0.46, 0.42, 0.40, 0.38, 0.37, 0.36],
  },
  // Round-the-clock shifts: flat, a mild day-shift rise; weekends run fewer lines.
  industrial: {
    weekday: [0.85, 0.84, 0.83, 0.83, 0.84, 0.88, 0.98, 1.08, 1.14, 1.16, 1.17, 1.16,
              1.12, 1.15, 1.16, 1.14, 1.08, 1.00, 0.95, 0.92, 0.90, 0.89, 0.88, 0.86],
    weekend: [0.85, 0.80, 0.78, 0.78, 0.78, 0.79, 0.82, 0.86, 0.90, 0.92, 0.93, 0.93,
              0.91, 0.92, 0.92, 0.91, 0.88, 0.84, 0.81, 0.80, 0.80, 0.80, 0.80, 0.82],
  },
};

/** Per class: [weekday, weekend] kWh per 15 minutes at scale 1, 25 points (hour 24 = hour 0). */
const CURVES = Object.fromEntries(
  (Object.keys(HOURLY_POINTS) as ServiceClass[]).map((serviceClass) => {
    const { weekday, weekend } = HOURLY_POINTS[serviceClass];
    // The mean of a piecewise-linear cyclic curve is the mean of its points, so this factor makes
    // the weekday mean exactly the base (also when sampled at 15-minute midpoints).
    const factor = (CLASS_BASE_KWH[serviceClass] * 24) / weekday.reduce((sum, p) => sum + p, 0);
    const toCurve = (points: number[]) => Float64Array.from([...points, points[0]!], (p) => p * factor);
    return [serviceClass, [toCurve(weekday), toCurve(weekend)] as const];
  }),
) as Record<ServiceClass, readonly [Float64Array, Float64Array]>;

/** True on Saturday and Sunday (UTC). Day 0 of the epoch, 1970-01-01, was a Thursday. */
function isWeekend(epochDay: number): boolean {
  const dayOfWeek = (((epochDay + 4) % 7) + 7) % 7; // 0 = Sunday
  return dayOfWeek === 0 || dayOfWeek === 6;
}

/**
 * Expected kWh per 15 minutes of a scale-1 meter of `serviceClass` at the instant `atMs`
 * (epoch milliseconds), with no noise and no events.
 */
export function classRateAt(serviceClass: ServiceClass, atMs: number): number {
  const epochDay = Math.floor(atMs / DAY_MS);
  const hour = (atMs - epochDay * DAY_MS) / HOUR_MS;
  const h = Math.floor(hour);
  const curve = CURVES[serviceClass][isWeekend(epochDay) ? 1 : 0];
  const from = curve[h]!;
  return from + (curve[h + 1]! - from) * (hour - h);
}

/**
 * Expected kWh of a scale-1 meter of `serviceClass` over the interval ending at `readAtMs`.
 * `read_at` is the END of the interval, so the curve is read at the interval midpoint; over a
 * piecewise-linear curve that is the exact interval mean for intervals inside one hour, so four
 * 15-minute values add up to the 60-minute one.
 */
export function classKwh(serviceClass: ServiceClass, readAtMs: number, intervalLengthMs: number): number {
  return classRateAt(serviceClass, readAtMs - intervalLengthMs / 2) * (intervalLengthMs / QUARTER_HOUR_MS);
}

/**
 * The load model without noise and without events: the energy an analyst expects this meter
 * to use in the interval ending at `readAt` (the baseline of `kwhDeviationPct`).
 */
export function expectedKwh(profile: MeterProfile, readAt: Date, intervalMinutes = 15): number {
  return classKwh(profile.serviceClass, readAt.getTime(), intervalMs(intervalMinutes)) * profile.scale;
}
