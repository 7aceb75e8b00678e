/**
 * The calibration figures of the load and voltage model, computed from generated reads with no
 * database: shared by `npm run realism` (a year, a larger sample) and
 * test/emulator/realism.test.ts (four 4-week windows, a smaller sample).
 */
import {
  clearSkyIndex,
  epochDay,
  FEEDER_RESIDUAL_CV,
  fleetProfiles,
  type GeneratedRead,
  generateBatch,
  type GridEvent,
  INTERVAL_RESIDUAL_CV,
  localPosition,
  localTimeAt,
  type MeterProfile,
  type TenantModel,
} from '../../src/emulator/index.ts';

const QUARTER_MS = 900_000;
const DAY_MS = 86_400_000;

/** What to simulate. Days are local calendar days of the tenant. */
export interface RealismPlan {
  tenant: TenantModel;
  /** Year sample: meters 1..meters on `feederCount` feeders. */
  meters: number;
  feederCount: number;
  /** Windows of consecutive local days; the day-to-day figure is computed within each. */
  windows: ReadonlyArray<{ start: string; days: number }>;
  /** Homes (without solar, not vacant) whose 15-minute series are kept for the pair correlation, first week of each window. */
  correlationHomes: number;
  /** Feeder deviation sample: feeders of `metersPerFeeder` meters, every `everyNth` interval of the windows. */
  deviation: { feeders: number; metersPerFeeder: number; everyNth: number };
  /** A local day on which one feeder of the deviation fleet carries a theft of severity 0.5. */
  theftDay: string;
}

export interface Figure {
  name: string;
  /** The model's value, formatted. */
  value: string;
  /** Target range, formatted. */
  target: string;
  /** undefined = informational (no target). */
  pass: boolean | undefined;
  source: string;
  /** How it is computed (for docs/realism.md). */
  how: string;
}

// ---------------------------------------------------------------------------------------------

function parseDate(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return epochDay(y, m, d);
}

/** The UTC instant of local midnight starting `day` (epoch day of the local date). */
export function localMidnight(timeZone: string, day: number): number {
  let ms = day * DAY_MS;
  for (let i = 0; i < 3; i++) ms = day * DAY_MS - localPosition(timeZone, ms).utcOffsetMinutes * 60_000;
  return ms;
}

/** The 15-minute read_at instants of one local day: (midnight, next midnight]. */
export function readAtsOfLocalDay(timeZone: string, day: number): number[] {
  const from = localMidnight(timeZone, day);
  const to = localMidnight(timeZone, day + 1);
  const out: number[] = [];
  for (let ms = from + QUARTER_MS; ms <= to; ms += QUARTER_MS) out.push(ms);
  return out;
}

const mean = (values: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
};
const sd = (values: ArrayLike<number>) => {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - m) ** 2;
  return Math.sqrt(sum / values.length);
};
export const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
function pearson(a: Float64Array, b: Float64Array, n: number): number {
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    cov += x * y;
    va += x * x;
    vb += y * y;
  }
  return cov / Math.sqrt(va * vb);
}

// ---------------------------------------------------------------------------------------------

/** Everything the year sample accumulates. */
interface YearSample {
  days: Array<{
    day: number;
    month: number;
    dayType: string;
    dayOfWeek: number;
    window: number;
    residential: number;
    commercial: number;
    aggregate: number[];
    slots: number[];
  }>;
  residentialCount: number;
  /** Per residential home, daily delivered kWh, [home * dayCount + day]. */
  daily: Float64Array;
  shapeHome: Uint8Array;
  peakRatio: Float64Array;
  peakRatioDays: Float64Array;
  lag: Float64Array; // per home: n, sx, sy, sxx, syy, sxy
  correlations: number[];
  voltage: { n: number; sum: number; sumSq: number; under114: number; over126: number };
  reads: number;
  zeroReads: number;
  residual: { squares: number; baselineSquares: number; n: number; sum: number; sumSq: number; residentialN: number; residentialSquares: number };
  solarNoon: { clearness: number; share: number; at: string } | undefined;
}

function simulateYear(plan: RealismPlan): YearSample {
  const { tenant } = plan;
  const profiles = fleetProfiles(tenant, 1, plan.meters, plan.feederCount);
  const residentialIndex = new Int32Array(profiles.length).fill(-1);
  const residential: MeterProfile[] = [];
  profiles.forEach((p, i) => {
    if (p.serviceClass === 'residential') {
      residentialIndex[i] = residential.length;
      residential.push(p);
    }
  });
  const R = residential.length;
  const shapeHome = Uint8Array.from(residential, (p) => (p.pvKw === 0 && p.archetype !== 'res-vacant' ? 1 : 0));
  const solarHomes = residential.map((p, r) => (p.pvKw > 0 ? r : -1)).filter((r) => r >= 0);
  const correlationSet = residential
    .map((_, r) => r)
    .filter((r) => shapeHome[r] === 1)
    .slice(0, plan.correlationHomes);
  const correlationSlot = new Int32Array(R).fill(-1);
  correlationSet.forEach((r, k) => {
    correlationSlot[r] = k;
  });

  const dayCount = plan.windows.reduce((n, w) => n + w.days, 0);
  const sample: YearSample = {
    days: [],
    residentialCount: R,
    daily: new Float64Array(R * dayCount),
    shapeHome,
    peakRatio: new Float64Array(R),
    peakRatioDays: new Float64Array(R),
    lag: new Float64Array(R * 6),
    correlations: [],
    voltage: { n: 0, sum: 0, sumSq: 0, under114: 0, over126: 0 },
    reads: 0,
    zeroReads: 0,
    residual: { squares: 0, baselineSquares: 0, n: 0, sum: 0, sumSq: 0, residentialN: 0, residentialSquares: 0 },
    solarNoon: undefined,
  };
  const dayKwh = new Float64Array(R);
  const dayPeak = new Float64Array(R);
  const previousResidual = new Float64Array(R);
  const homeKwhReceived = new Float64Array(R);
  const series = correlationSet.map(() => new Float64Array(8 * 100));

  let dayNumber = 0;
  plan.windows.forEach((window, windowIndex) => {
    previousResidual.fill(Number.NaN);
    let weekCursor = 0; // intervals of the window's first week seen so far
    const first = parseDate(window.start);
    for (let d = 0; d < window.days; d++) {
      const day = first + d;
      const readAts = readAtsOfLocalDay(tenant.timeZone, day);
      const noon = localTimeAt(tenant.timeZone, readAts[0]!);
      const record = {
        day,
        month: noon.month,
        dayType: noon.dayType,
        dayOfWeek: noon.dayOfWeek,
        window: windowIndex,
        residential: 0,
        commercial: 0,
        aggregate: [] as number[],
        slots: [] as number[],
      };
      dayKwh.fill(0);
      dayPeak.fill(0);
      readAts.forEach((readAtMs) => {
        const weekIndex = d < 7 ? weekCursor++ : -1;
        const reads = generateBatch(tenant, profiles, new Date(readAtMs), []);
        let aggregate = 0;
        for (let i = 0; i < reads.length; i++) {
          const read = reads[i]!;
          const profile = profiles[i]!;
          sample.reads++;
          if (read.kwh === 0) sample.zeroReads++;
          sample.voltage.n++;
          sample.voltage.sum += read.voltage;
          sample.voltage.sumSq += read.voltage * read.voltage;
          if (read.voltage < 114) sample.voltage.under114++;
          if (read.voltage > 126) sample.voltage.over126++;
          sample.residual.squares += (read.kwh - read.baselineKwh) ** 2;
          sample.residual.baselineSquares += read.baselineKwh * read.baselineKwh;
          if (read.baselineKwh >= 0.05) {
            const relative = (read.kwh - read.baselineKwh) / read.baselineKwh;
            sample.residual.n++;
            sample.residual.sum += relative;
            sample.residual.sumSq += relative * relative;
          }
          if (profile.serviceClass === 'commercial') record.commercial += read.kwh;
          const r = residentialIndex[i]!;
          if (r < 0) continue;
          aggregate += read.kwh;
          dayKwh[r] = dayKwh[r]! + read.kwh;
          if (read.kwh > dayPeak[r]!) dayPeak[r] = read.kwh;
          homeKwhReceived[r] = read.kwhReceived;
          if (shapeHome[r] === 1 && read.baselineKwh >= 0.02) {
            const residual = (read.kwh - read.baselineKwh) / read.baselineKwh;
            if (read.baselineKwh >= 0.05) {
              sample.residual.residentialN++;
              sample.residual.residentialSquares += residual * residual;
            }
            const previous = previousResidual[r]!;
            if (!Number.isNaN(previous)) {
              const o = r * 6;
              sample.lag[o]! += 1;
              sample.lag[o + 1]! += previous;
              sample.lag[o + 2]! += residual;
              sample.lag[o + 3]! += previous * previous;
              sample.lag[o + 4]! += residual * residual;
              sample.lag[o + 5]! += previous * residual;
            }
            previousResidual[r] = residual;
          } else {
            previousResidual[r] = Number.NaN;
          }
          const k = correlationSlot[r]!;
          if (k >= 0 && weekIndex >= 0) series[k]![weekIndex] = read.kwh;
        }
        record.aggregate.push(aggregate);
        const start = localTimeAt(tenant.timeZone, readAtMs - QUARTER_MS);
        record.slots.push(start.hour * 4 + Math.floor(start.minute / 15));
        // Solar at a clear summer noon: the interval ending 13:00 local (solar noon in Chicago
        // under daylight saving is near 12:50), the clearest such day of June-August.
        const end = localTimeAt(tenant.timeZone, readAtMs);
        if (end.hour === 13 && end.minute === 0 && end.month >= 6 && end.month <= 8 && solarHomes.length > 0) {
          const clearness = clearSkyIndex(tenant, readAtMs - QUARTER_MS / 2);
          if (sample.solarNoon === undefined || clearness > sample.solarNoon.clearness) {
            const exporting = solarHomes.filter((h) => homeKwhReceived[h]! > 0).length;
            sample.solarNoon = { clearness, share: exporting / solarHomes.length, at: new Date(readAtMs).toISOString() };
          }
        }
      });
      const intervals = readAts.length;
      for (let r = 0; r < R; r++) {
        sample.daily[r * dayCount + dayNumber] = dayKwh[r]!;
        record.residential += dayKwh[r]!;
        if (shapeHome[r] === 1 && dayKwh[r]! > 0) {
          sample.peakRatio[r]! += dayPeak[r]! / (dayKwh[r]! / intervals);
          sample.peakRatioDays[r]! += 1;
        }
      }
      sample.days.push(record);
      dayNumber++;
      if (d === 6) {
        const n = weekCursor;
        for (let a = 0; a < series.length; a++) {
          for (let b = a + 1; b < series.length; b++) sample.correlations.push(pearson(series[a]!, series[b]!, n));
        }
      }
    }
  });
  return sample;
}

interface DeviationSample {
  feederIntervals: number;
  within5: number;
  worst: number;
  deviations: number[];
  theft: number[];
  metersPerFeeder: number;
}

function feederDeviations(reads: GeneratedRead[], feeders: number): number[] {
  const kwh = new Float64Array(feeders + 1);
  const baseline = new Float64Array(feeders + 1);
  for (const read of reads) {
    kwh[read.feederId]! += read.kwh;
    baseline[read.feederId]! += read.baselineKwh;
  }
  const out: number[] = [];
  for (let f = 1; f <= feeders; f++) out.push((100 * (kwh[f]! - baseline[f]!)) / baseline[f]!);
  return out;
}

function simulateDeviation(plan: RealismPlan): DeviationSample {
  const { tenant } = plan;
  const { feeders, metersPerFeeder, everyNth } = plan.deviation;
  const profiles = fleetProfiles(tenant, 1, feeders * metersPerFeeder, feeders);
  const sample: DeviationSample = { feederIntervals: 0, within5: 0, worst: 0, deviations: [], theft: [], metersPerFeeder };
  let counter = 0;
  for (const window of plan.windows) {
    const first = parseDate(window.start);
    for (let d = 0; d < window.days; d++) {
      for (const readAtMs of readAtsOfLocalDay(tenant.timeZone, first + d)) {
        if (counter++ % everyNth !== 0) continue;
        for (const deviation of feederDeviations(generateBatch(tenant, profiles, new Date(readAtMs), []), feeders)) {
          sample.feederIntervals++;
          if (Math.abs(deviation) <= 5) sample.within5++;
          if (Math.abs(deviation) > Math.abs(sample.worst)) sample.worst = deviation;
          sample.deviations.push(deviation);
        }
      }
    }
  }
  // Theft of severity 0.5 on feeder 1 for a whole local day.
  const theftDay = parseDate(plan.theftDay);
  const dayReadAts = readAtsOfLocalDay(tenant.timeZone, theftDay);
  const feederOne = profiles.filter((p) => p.feederId === 1);
  const theft: GridEvent = {
    id: 1,
    feederId: 1,
    type: 'theft',
    severity: 0.5,
    startsAt: new Date(dayReadAts[0]! - QUARTER_MS),
    endsAt: null,
  };
  for (const readAtMs of dayReadAts) sample.theft.push(feederDeviations(generateBatch(tenant, feederOne, new Date(readAtMs), [theft]), 1)[0]!);
  return sample;
}

// ---------------------------------------------------------------------------------------------

const pct = (value: number, digits = 2) => `${value.toFixed(digits)} %`;
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const inRange = (value: number, lo: number, hi: number) => Number.isFinite(value) && value >= lo && value <= hi;
const hhmm = (slot: number) => `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`;

function peakSlot(days: YearSample['days'], months: number[]): number {
  const sums = new Float64Array(96);
  const counts = new Float64Array(96);
  for (const day of days) {
    if (day.dayType !== 'weekday' || !months.includes(day.month)) continue;
    day.aggregate.forEach((value, q) => {
      sums[day.slots[q]!]! += value;
      counts[day.slots[q]!]! += 1;
    });
  }
  let best = -1;
  let bestValue = -1;
  for (let s = 0; s < 96; s++) {
    const value = counts[s]! > 0 ? sums[s]! / counts[s]! : -1;
    if (value > bestValue) {
      bestValue = value;
      best = s;
    }
  }
  return best;
}

export interface RealismResult {
  figures: Figure[];
  /** Measured values the model exports as constants. */
  measured: { intervalResidualCv: number; feederResidualCv: number; residentialReadCv: number; weightedCv: number };
  sample: { meters: number; residential: number; days: number; reads: number; feederIntervals: number };
}

/** Runs the plan and computes every figure. */
export function realismFigures(plan: RealismPlan): RealismResult {
  const year = simulateYear(plan);
  const deviation = simulateDeviation(plan);
  const R = year.residentialCount;
  const dayCount = year.days.length;
  const figures: Figure[] = [];

  const perHomeDay = year.days.reduce((s, d) => s + d.residential, 0) / (R * dayCount);
  figures.push({
    name: 'residential kWh per home per day, year average',
    value: fixed(perHomeDay, 1),
    target: '27-32',
    pass: inRange(perHomeDay, 27, 32),
    source: 'EIA: 10,715 kWh/yr per residential customer (2020), 29.4 kWh/day',
    how: 'delivered kWh of all residential meters (solar and vacant homes included) over all sampled days, per home and day',
  });

  const winterMonths = [12, 1, 2];
  const summerMonths = [6, 7, 8];
  const winterPeak = peakSlot(year.days, winterMonths);
  const summerPeak = peakSlot(year.days, summerMonths);
  const peakOk = (slot: number) => slot >= 17 * 4 && slot < 21 * 4;
  figures.push({
    name: 'residential aggregate weekday peak hour, winter / summer (local)',
    value: `${hhmm(winterPeak)} / ${hhmm(summerPeak)}`,
    target: '17:00-21:00',
    pass: peakOk(winterPeak) && peakOk(summerPeak),
    source: 'Elexon profile class 1; US utility residential load profiles',
    how: 'sum of residential delivered kWh per 15 minutes, averaged by local start time over non-holiday weekdays of December-February and June-August; the start of the highest quarter hour',
  });

  const dailyPeakRatios = year.days.map((d) => Math.max(...d.aggregate) / mean(d.aggregate));
  const aggregatePeakRatio = mean(dailyPeakRatios);
  figures.push({
    name: 'residential aggregate daily peak / average',
    value: fixed(aggregatePeakRatio),
    target: '1.4-2.2',
    pass: inRange(aggregatePeakRatio, 1.4, 2.2),
    source: 'aggregate residential load profiles (Elexon PC1, US utilities)',
    how: 'per day, the highest 15-minute residential aggregate over the day’s mean 15-minute aggregate; mean over days',
  });

  const homeRatios: number[] = [];
  for (let r = 0; r < R; r++) if (year.shapeHome[r] === 1 && year.peakRatioDays[r]! > 0) homeRatios.push(year.peakRatio[r]! / year.peakRatioDays[r]!);
  const homePeakRatio = median(homeRatios);
  figures.push({
    name: 'single home daily peak / average, median over homes',
    value: fixed(homePeakRatio),
    target: '3-5',
    pass: inRange(homePeakRatio, 3, 5),
    source: 'Zhang and Kirschen 2010 (household load is far peakier than the aggregate)',
    how: 'per home and day, the highest 15-minute read over the day’s mean read; mean over days per home, median over homes without solar and not vacant',
  });

  const correlation = median(year.correlations);
  figures.push({
    name: 'correlation of two homes’ 15-min series over a week, median of pairs',
    value: fixed(correlation),
    target: '0.1-0.4',
    pass: inRange(correlation, 0.1, 0.4),
    source: 'Zhang and Kirschen 2010',
    how: `Pearson correlation of the delivered 15-minute series of every pair of ${plan.correlationHomes} homes (no solar, not vacant) over the first week of each window; median over pairs and weeks`,
  });

  const homeMeans: number[] = [];
  for (let r = 0; r < R; r++) {
    let sum = 0;
    for (let d = 0; d < dayCount; d++) sum += year.daily[r * dayCount + d]!;
    homeMeans.push(sum / dayCount);
  }
  const spread = sd(homeMeans) / mean(homeMeans);
  figures.push({
    name: 'spread of homes’ average daily kWh (coefficient of variation)',
    value: fixed(spread),
    target: '0.45-0.75',
    pass: inRange(spread, 0.45, 0.75),
    source: 'Kuusela et al. 2015 (lognormal consumption across households)',
    how: 'per residential home (all of them) the mean daily delivered kWh over the sample; standard deviation over mean across homes',
  });

  const dayToDay: number[] = [];
  for (let r = 0; r < R; r++) {
    if (year.shapeHome[r] !== 1) continue;
    const perWindow: number[] = [];
    let offset = 0;
    for (const window of plan.windows) {
      const totals = year.daily.subarray(r * dayCount + offset, r * dayCount + offset + window.days);
      perWindow.push(sd(totals) / mean(totals));
      offset += window.days;
    }
    dayToDay.push(median(perWindow));
  }
  const dayToDayCv = median(dayToDay);
  figures.push({
    name: 'day-to-day variation of a home’s daily kWh (coefficient of variation)',
    value: fixed(dayToDayCv),
    target: '0.15-0.35',
    pass: inRange(dayToDayCv, 0.15, 0.35),
    source: 'metered homes (smart-meter panels)',
    how: 'per home (no solar, not vacant), the CV of its daily totals within each 4-week window (so the seasonal cycle is not counted); median over windows, then over homes',
  });

  const lags: number[] = [];
  for (let r = 0; r < R; r++) {
    const o = r * 6;
    const n = year.lag[o]!;
    if (n < 10) continue;
    const [sx, sy, sxx, syy, sxy] = [year.lag[o + 1]!, year.lag[o + 2]!, year.lag[o + 3]!, year.lag[o + 4]!, year.lag[o + 5]!];
    const cov = sxy / n - (sx / n) * (sy / n);
    lags.push(cov / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2)));
  }
  const lag1 = median(lags);
  figures.push({
    name: 'lag-1 autocorrelation of a home’s 15-min residual',
    value: fixed(lag1),
    target: '0.5-0.85',
    pass: inRange(lag1, 0.5, 0.85),
    source: 'metered homes',
    how: 'residual = (kwh - baseline) / baseline of one read; per home (no solar, not vacant, baseline >= 0.02 kWh) the correlation of each residual with the one 15 minutes before, over all windows; median over homes',
  });

  const monthMean = (month: number) => {
    const days = year.days.filter((d) => d.month === month);
    return days.length === 0 ? Number.NaN : mean(days.map((d) => d.residential));
  };
  const augustApril = (monthMean(8) * 31) / (monthMean(4) * 30);
  figures.push({
    name: 'August / April residential energy',
    value: fixed(augustApril),
    target: '1.4-1.9',
    pass: inRange(augustApril, 1.4, 1.9),
    source: 'EIA Electric Power Monthly table 5.1, 2023: 162,031 / 96,542 GWh = 1.68',
    how: 'residential delivered energy of the month: mean daily energy of the sampled August days x 31 over that of April days x 30',
  });

  const commercialMean = (pick: (d: YearSample['days'][number]) => boolean) => mean(year.days.filter(pick).map((d) => d.commercial));
  const weekendWeekday = commercialMean((d) => d.dayOfWeek === 0 || d.dayOfWeek === 6) / commercialMean((d) => d.dayType === 'weekday');
  figures.push({
    name: 'commercial weekend / weekday energy',
    value: fixed(weekendWeekday),
    target: '0.4-0.7',
    pass: inRange(weekendWeekday, 0.4, 0.7),
    source: 'commercial building load profiles (offices, schools closed; retail and restaurants open)',
    how: 'mean daily delivered kWh of all commercial meters on Saturdays and Sundays over that on non-holiday weekdays',
  });

  const vMean = year.voltage.sum / year.voltage.n;
  const vSd = Math.sqrt(year.voltage.sumSq / year.voltage.n - vMean * vMean);
  figures.push({
    name: 'voltage mean over all reads',
    value: `${fixed(vMean)} V`,
    target: '120.5-123 V',
    pass: inRange(vMean, 120.5, 123),
    source: 'AMI voltage studies (service voltage runs a little above 120 V)',
    how: 'every read of the year sample, all classes',
  });
  figures.push({
    name: 'voltage standard deviation over all reads',
    value: `${fixed(vSd)} V`,
    target: '1.5-3.0 V',
    pass: inRange(vSd, 1.5, 3),
    source: 'AMI voltage studies',
    how: 'every read of the year sample, all classes',
  });
  const under = (100 * year.voltage.under114) / year.voltage.n;
  const over = (100 * year.voltage.over126) / year.voltage.n;
  figures.push({
    name: 'reads under 114 V without events',
    value: pct(under, 3),
    target: '0.01-1 %',
    pass: inRange(under, 0.01, 1),
    source: 'ANSI C84.1 Range A (114-126 V at the service)',
    how: 'share of all reads of the year sample',
  });
  figures.push({
    name: 'reads over 126 V without events',
    value: pct(over, 3),
    target: '0.01-1 %',
    pass: inRange(over, 0.01, 1),
    source: 'ANSI C84.1 Range A',
    how: 'share of all reads of the year sample',
  });

  const solarShare = year.solarNoon?.share ?? Number.NaN;
  figures.push({
    name: 'homes with solar exporting at a clear summer noon',
    value: year.solarNoon ? `${pct(100 * solarShare, 0)} (${year.solarNoon.at}, clear-sky index ${fixed(year.solarNoon.clearness)})` : 'no summer day sampled',
    target: 'over 50 %',
    pass: solarShare > 0.5,
    source: 'PV output vs midday household load',
    how: 'share of the sample’s solar homes with kwhReceived > 0 in the interval ending 13:00 local on the June-August day whose sky is clearest then',
  });

  const zeroShare = (100 * year.zeroReads) / year.reads;
  figures.push({
    name: 'reads with 0 kWh delivered',
    value: pct(zeroShare, 3),
    target: 'above 0',
    pass: year.zeroReads > 0,
    source: 'vacant homes, solar covering the load',
    how: 'share of all reads of the year sample with kwh = 0',
  });

  const within = (100 * deviation.within5) / deviation.feederIntervals;
  figures.push({
    name: `event-free feeders of ${deviation.metersPerFeeder.toLocaleString('en-US')} meters: feeder-intervals within +-5 % kwhDeviationPct`,
    value: `${pct(within, 2)} of ${deviation.feederIntervals.toLocaleString('en-US')}`,
    target: '>= 99.9 %',
    pass: within >= 99.9,
    source: 'the theft signal must stand out of the model’s own noise',
    how: `${plan.deviation.feeders} feeders of ${deviation.metersPerFeeder} meters (their class mixes differ), every ${plan.deviation.everyNth}th interval of the sampled days; kwhDeviationPct = 100 x (sum kwh - sum baseline) / sum baseline per feeder and interval`,
  });
  figures.push({
    name: 'worst event-free feeder-interval seen',
    value: pct(deviation.worst, 2),
    target: '(reported)',
    pass: undefined,
    source: 'idem',
    how: 'the largest |kwhDeviationPct| among those feeder-intervals',
  });

  const { residual } = year;
  const intervalResidualCv = Math.sqrt(residual.sumSq / residual.n - (residual.sum / residual.n) ** 2);
  const weightedCv = Math.sqrt(residual.squares / residual.baselineSquares);
  const residentialReadCv = Math.sqrt(residual.residentialSquares / residual.residentialN);
  const feederResidualCv = (sd(deviation.deviations) / 100) * Math.sqrt(deviation.metersPerFeeder);
  const near = (measured: number, constant: number) => Math.abs(measured / constant - 1) <= 0.15;
  figures.push({
    name: 'INTERVAL_RESIDUAL_CV: random CV of one read',
    value: `${fixed(intervalResidualCv, 3)} (constant ${INTERVAL_RESIDUAL_CV})`,
    target: '<= 0.4, constant within 15 %',
    pass: intervalResidualCv <= 0.4 && near(intervalResidualCv, INTERVAL_RESIDUAL_CV),
    source: 'variance budget of the feeder deviation figure',
    how: 'standard deviation of (kwh - baseline) / baseline over the reads of the year sample whose baseline is at least 0.05 kWh (all classes; a near-zero baseline makes the ratio meaningless)',
  });
  figures.push({
    name: 'random CV of one home’s read (no solar, not vacant)',
    value: fixed(residentialReadCv, 3),
    target: '<= 0.4',
    pass: residentialReadCv <= 0.4,
    source: 'variance budget',
    how: 'root mean square of (kwh - baseline) / baseline over reads of homes without solar, not vacant, baseline >= 0.05 kWh',
  });
  figures.push({
    name: 'random CV of one read, baseline²-weighted',
    value: fixed(weightedCv, 3),
    target: '(reported)',
    pass: undefined,
    source: 'idem',
    how: 'sqrt(sum (kwh - baseline)^2 / sum baseline^2) over all reads: with it, a feeder’s deviation has sd 100 x this x sqrt(sum b^2) / sum b',
  });
  figures.push({
    name: 'FEEDER_RESIDUAL_CV: sd of a feeder’s deviation x sqrt(n)',
    value: `${fixed(feederResidualCv, 3)} (constant ${FEEDER_RESIDUAL_CV})`,
    target: 'constant within 15 %',
    pass: near(feederResidualCv, FEEDER_RESIDUAL_CV),
    source: 'idem',
    how: 'standard deviation of kwhDeviationPct / 100 over the event-free feeder-intervals, times sqrt(meters per feeder)',
  });

  const theftMean = mean(deviation.theft);
  const theftMin = Math.min(...deviation.theft);
  const theftMax = Math.max(...deviation.theft);
  figures.push({
    name: 'theft 0.5 on one feeder: kwhDeviationPct',
    value: `${fixed(theftMean, 1)} (${fixed(theftMin, 1)} .. ${fixed(theftMax, 1)})`,
    target: '-50 +- 3, every interval',
    pass: theftMin >= -53 && theftMax <= -47,
    source: 'theft: kwh x (1 - severity)',
    how: `feeder 1 of the deviation fleet, theft of severity 0.5 all of ${plan.theftDay} (local): mean and range over its intervals`,
  });

  return {
    figures,
    measured: { intervalResidualCv, feederResidualCv, residentialReadCv, weightedCv },
    sample: { meters: plan.meters, residential: R, days: dayCount, reads: year.reads, feederIntervals: deviation.feederIntervals },
  };
}

/** The figures as a markdown table. */
export function figuresTable(figures: Figure[]): string {
  const rows = figures.map((f) => `| ${f.name} | ${f.value} | ${f.target} | ${f.pass === undefined ? 'info' : f.pass ? 'PASS' : 'FAIL'} | ${f.source} |`);
  return ['| figure (default tenant, no events) | model | target | result | source |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Day-count helper for plans: `days` consecutive windows of `length` days from `start`. */
export function consecutiveWindows(start: string, count: number, length: number): Array<{ start: string; days: number }> {
  const first = parseDate(start);
  return Array.from({ length: count }, (_, i) => ({ start: new Date((first + i * length) * DAY_MS).toISOString().slice(0, 10), days: length }));
}
