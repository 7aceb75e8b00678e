/**
 * Customer archetypes: the daily shape of each kind of customer, weekday and weekend (a holiday
 * counts as a weekend day), as 24 hourly points on the LOCAL clock, linearly interpolated.
 * Each shape is normalised so its weekday mean is 1; the level comes from the class base and
 * the meter's scale. Weekday and weekend share the midnight point, so the change of day type
 * at midnight never jumps.
 *
 * The shapes are drawn after published load research: residential morning and evening peaks
 * with the evening larger (Elexon profile class 1; US utility residential load research
 * profiles), offices on a business-hours plateau at about a third at night and weekends,
 * retail open seven days, restaurants peaking at lunch and dinner, schools closed on weekends,
 * holidays and in summer, and industry by shift pattern. The exact points are chosen.
 */
import type { ServiceClass } from './classes.ts';

export const RESIDENTIAL_ARCHETYPES = ['res-commuter', 'res-home-day', 'res-night-owl', 'res-early-bird', 'res-vacant'] as const;
export const COMMERCIAL_ARCHETYPES = ['com-office', 'com-retail', 'com-restaurant', 'com-school'] as const;
export const INDUSTRIAL_ARCHETYPES = ['ind-one-shift', 'ind-two-shift', 'ind-continuous'] as const;

/** Every archetype name (for a SQL CHECK). */
export const ARCHETYPES: readonly string[] = [...RESIDENTIAL_ARCHETYPES, ...COMMERCIAL_ARCHETYPES, ...INDUSTRIAL_ARCHETYPES];
export type Archetype = (typeof RESIDENTIAL_ARCHETYPES)[number] | (typeof COMMERCIAL_ARCHETYPES)[number] | (typeof INDUSTRIAL_ARCHETYPES)[number];

interface ArchetypeDefinition {
  name: Archetype;
  serviceClass: ServiceClass;
  /** Share of its class (chosen). */
  share: number;
  weekday: readonly number[];
  weekend: readonly number[];
}

// biome-ignore format: one row of 24 hourly points per line reads best
const DEFINITIONS: readonly ArchetypeDefinition[] = [
  // Both adults out on weekdays: a short morning peak, a low day, the largest evening peak.
  { name: 'res-commuter', serviceClass: 'residential', share: 0.44,
    weekday: [0.55, 0.45, 0.4, 0.38, 0.38, 0.45, 0.85, 1.25, 1.0, 0.72, 0.62, 0.6, 0.62, 0.6, 0.62, 0.72, 0.95, 1.3, 1.65, 1.75, 1.7, 1.5, 1.15, 0.8],
    weekend: [0.55, 0.48, 0.42, 0.38, 0.37, 0.38, 0.45, 0.65, 0.95, 1.15, 1.15, 1.1, 1.05, 1.0, 0.98, 1.0, 1.1, 1.3, 1.55, 1.68, 1.62, 1.45, 1.15, 0.85] },
  // Retired or working from home: a full day, an earlier and smaller evening peak.
  { name: 'res-home-day', serviceClass: 'residential', share: 0.3,
    weekday: [0.5, 0.42, 0.38, 0.36, 0.36, 0.42, 0.6, 0.9, 1.1, 1.15, 1.1, 1.1, 1.15, 1.1, 1.05, 1.05, 1.15, 1.45, 1.6, 1.5, 1.35, 1.15, 0.85, 0.6],
    weekend: [0.5, 0.42, 0.38, 0.36, 0.36, 0.4, 0.5, 0.75, 1.0, 1.15, 1.15, 1.15, 1.15, 1.1, 1.05, 1.05, 1.15, 1.4, 1.55, 1.5, 1.35, 1.15, 0.85, 0.6] },
  // Late hours: little in the morning, a peak at 21-23 that runs past midnight.
  { name: 'res-night-owl', serviceClass: 'residential', share: 0.13,
    weekday: [0.95, 0.75, 0.55, 0.45, 0.4, 0.4, 0.45, 0.7, 0.8, 0.55, 0.5, 0.5, 0.5, 0.5, 0.5, 0.55, 0.7, 0.95, 1.25, 1.5, 1.7, 1.85, 1.8, 1.4],
    weekend: [0.95, 0.9, 0.7, 0.5, 0.42, 0.4, 0.4, 0.42, 0.5, 0.65, 0.85, 1.0, 1.05, 1.0, 0.95, 0.95, 1.0, 1.15, 1.35, 1.55, 1.7, 1.8, 1.75, 1.45] },
  // Early shift: up at 4-5, home mid-afternoon, early to bed.
  { name: 'res-early-bird', serviceClass: 'residential', share: 0.12,
    weekday: [0.45, 0.4, 0.38, 0.45, 0.9, 1.4, 1.3, 0.8, 0.55, 0.5, 0.5, 0.5, 0.55, 0.6, 0.9, 1.2, 1.45, 1.6, 1.6, 1.4, 1.1, 0.75, 0.55, 0.48],
    weekend: [0.45, 0.4, 0.38, 0.38, 0.42, 0.55, 0.8, 1.05, 1.15, 1.1, 1.05, 1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.45, 1.55, 1.45, 1.2, 0.85, 0.6, 0.5] },
  // An empty home: only a refrigerator left on (its load is handled apart, see load.ts).
  { name: 'res-vacant', serviceClass: 'residential', share: 0.01,
    weekday: new Array<number>(24).fill(1), weekend: new Array<number>(24).fill(1) },

  { name: 'com-office', serviceClass: 'commercial', share: 0.45,
    weekday: [0.35, 0.33, 0.32, 0.32, 0.33, 0.4, 0.6, 0.95, 1.45, 1.65, 1.7, 1.72, 1.7, 1.72, 1.72, 1.68, 1.6, 1.4, 1.0, 0.7, 0.52, 0.45, 0.4, 0.37],
    weekend: [0.35, 0.33, 0.32, 0.32, 0.32, 0.32, 0.32, 0.33, 0.36, 0.38, 0.4, 0.4, 0.4, 0.4, 0.39, 0.38, 0.36, 0.35, 0.34, 0.34, 0.34, 0.34, 0.34, 0.35] },
  { name: 'com-retail', serviceClass: 'commercial', share: 0.25,
    weekday: [0.4, 0.38, 0.37, 0.37, 0.37, 0.4, 0.5, 0.7, 1.0, 1.35, 1.55, 1.6, 1.62, 1.62, 1.62, 1.6, 1.6, 1.6, 1.55, 1.45, 1.25, 0.8, 0.5, 0.42],
    weekend: [0.4, 0.38, 0.37, 0.37, 0.37, 0.38, 0.45, 0.6, 0.9, 1.3, 1.5, 1.55, 1.58, 1.58, 1.58, 1.55, 1.5, 1.42, 1.3, 1.15, 0.95, 0.65, 0.46, 0.42] },
  { name: 'com-restaurant', serviceClass: 'commercial', share: 0.12,
    weekday: [0.45, 0.4, 0.38, 0.38, 0.38, 0.42, 0.55, 0.75, 0.85, 0.95, 1.1, 1.45, 1.6, 1.4, 1.15, 1.1, 1.25, 1.6, 1.85, 1.8, 1.55, 1.2, 0.8, 0.55],
    weekend: [0.45, 0.42, 0.4, 0.38, 0.38, 0.4, 0.5, 0.7, 0.95, 1.15, 1.3, 1.55, 1.7, 1.55, 1.35, 1.3, 1.45, 1.8, 2.0, 1.95, 1.7, 1.35, 0.95, 0.6] },
  // Schools: weekday days only; weekends, holidays and the summer break look like a weekend.
  { name: 'com-school', serviceClass: 'commercial', share: 0.18,
    weekday: [0.3, 0.3, 0.3, 0.3, 0.3, 0.35, 0.7, 1.4, 1.9, 2.0, 2.0, 2.0, 1.95, 1.95, 1.8, 1.4, 1.0, 0.75, 0.6, 0.5, 0.45, 0.4, 0.35, 0.32],
    weekend: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.32, 0.35, 0.36, 0.36, 0.36, 0.36, 0.36, 0.36, 0.35, 0.34, 0.33, 0.33, 0.33, 0.32, 0.31, 0.3, 0.3] },

  { name: 'ind-one-shift', serviceClass: 'industrial', share: 0.3,
    weekday: [0.35, 0.35, 0.35, 0.35, 0.38, 0.55, 0.95, 1.5, 1.7, 1.75, 1.75, 1.7, 1.6, 1.7, 1.75, 1.6, 1.2, 0.75, 0.5, 0.42, 0.4, 0.38, 0.36, 0.35],
    weekend: [0.35, 0.35, 0.34, 0.34, 0.34, 0.34, 0.35, 0.38, 0.4, 0.42, 0.42, 0.42, 0.42, 0.42, 0.4, 0.4, 0.38, 0.37, 0.36, 0.36, 0.35, 0.35, 0.35, 0.35] },
  { name: 'ind-two-shift', serviceClass: 'industrial', share: 0.4,
    weekday: [0.5, 0.48, 0.47, 0.47, 0.5, 0.7, 1.05, 1.25, 1.3, 1.32, 1.32, 1.3, 1.25, 1.3, 1.32, 1.3, 1.28, 1.28, 1.25, 1.22, 1.2, 1.15, 0.9, 0.6],
    weekend: [0.5, 0.48, 0.47, 0.46, 0.46, 0.47, 0.55, 0.7, 0.8, 0.82, 0.82, 0.8, 0.75, 0.72, 0.65, 0.55, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5] },
  { name: 'ind-continuous', serviceClass: 'industrial', share: 0.3,
    weekday: [0.95, 0.94, 0.93, 0.93, 0.94, 0.96, 1.0, 1.04, 1.06, 1.07, 1.07, 1.06, 1.04, 1.06, 1.07, 1.06, 1.04, 1.02, 1.0, 0.99, 0.98, 0.97, 0.96, 0.95],
    weekend: [0.95, 0.92, 0.9, 0.9, 0.9, 0.9, 0.92, 0.94, 0.95, 0.96, 0.96, 0.96, 0.95, 0.95, 0.95, 0.95, 0.94, 0.93, 0.93, 0.93, 0.93, 0.93, 0.94, 0.95] },
];

/** An archetype ready for evaluation: index, class, and its curves with the hour-24 point appended. */
export interface ArchetypeCurves {
  index: number;
  name: Archetype;
  serviceClass: ServiceClass;
  share: number;
  /** [weekday, weekend]: 25 points each (point 24 = point 0), weekday mean 1. */
  curves: readonly [Float64Array, Float64Array];
  /** Highest point of either curve (for normalising activity). */
  peak: number;
}

export const ARCHETYPE_CURVES: readonly ArchetypeCurves[] = DEFINITIONS.map((definition, index) => {
  const mean = definition.weekday.reduce((sum, p) => sum + p, 0) / 24;
  const toCurve = (points: readonly number[]) => Float64Array.from([...points, points[0]!], (p) => p / mean);
  const weekday = toCurve(definition.weekday);
  const weekend = toCurve(definition.weekend);
  return {
    index,
    name: definition.name,
    serviceClass: definition.serviceClass,
    share: definition.share,
    curves: [weekday, weekend] as const,
    peak: Math.max(...weekday, ...weekend),
  };
});

const BY_NAME = new Map<string, ArchetypeCurves>(ARCHETYPE_CURVES.map((a) => [a.name, a]));

/**
 * The archetype called `name`.
 * @throws RangeError for a name not in {@link ARCHETYPES} (e.g. a profile read from an older registry).
 */
export function archetypeNamed(name: string): ArchetypeCurves {
  const archetype = BY_NAME.get(name);
  if (archetype === undefined) throw new RangeError(`unknown archetype ${JSON.stringify(name)}; expected one of ${ARCHETYPES.join(', ')}`);
  return archetype;
}

/** The archetypes of a class, in a fixed order, with their shares. */
export function archetypesOf(serviceClass: ServiceClass): readonly ArchetypeCurves[] {
  return ARCHETYPE_CURVES.filter((a) => a.serviceClass === serviceClass);
}

/** Value of a 25-point curve at `hour` in [0, 24]. */
export function curveAt(curve: Float64Array, hour: number): number {
  const h = Math.floor(hour);
  const from = curve[h]!;
  return h >= 24 ? from : from + (curve[h + 1]! - from) * (hour - h);
}
