/**
 * Service voltage at the meter, 120 V nominal. Normal reads stay in 118-124 V; rare anomalies
 * fall just outside that band but never under 114 V, which only a voltage-sag event reaches,
 * so the `under114` KPI (ANSI C84.1 Range A) counts events and nothing else.
 * The functions take their random draws as arguments, so they are pure and testable.
 */

export const NOMINAL_VOLTAGE = 120;
export const NORMAL_VOLTAGE_MIN = 118;
export const NORMAL_VOLTAGE_MAX = 124;
/** Share of reads with an anomaly outside 118-124 V (about 1 in 2,000). */
export const VOLTAGE_ANOMALY_RATE = 0.0005;
/** Floor of a sag: no event goes below it. */
export const SAG_VOLTAGE_MIN = 90;
/** Ceiling of a sag, strictly under the 114 V threshold. */
export const SAG_VOLTAGE_MAX = 113.9;

// Feeders run a little above nominal, as utilities keep them to leave room for line drop.
const NORMAL_MEAN = 121;
const NORMAL_SD = 0.9;
const SAG_DEPTH = 22;
const SAG_JITTER_SD = 1;

/** Rounds to 0.1 V, the resolution a meter reports. */
export function roundVoltage(volts: number): number {
  return Math.round(volts * 10) / 10;
}

/**
 * A read's voltage without events.
 * @param z standard normal draw for the meter's deviation from the feeder mean
 * @param anomalyDraw uniform [0, 1); an anomaly when below {@link VOLTAGE_ANOMALY_RATE}
 * @param anomalyValueDraw uniform [0, 1); picks low [114.0, 117.9] or high [124.1, 127.0]
 */
export function normalVoltage(z: number, anomalyDraw: number, anomalyValueDraw: number): number {
  if (anomalyDraw < VOLTAGE_ANOMALY_RATE) {
    // Picked on the 0.1 V grid so rounding cannot pull an anomaly back inside 118-124.
    return anomalyValueDraw < 0.5
      ? (1140 + Math.floor(anomalyValueDraw * 2 * 40)) / 10
      : (1241 + Math.floor((anomalyValueDraw - 0.5) * 2 * 30)) / 10;
  }
  const volts = NORMAL_MEAN + NORMAL_SD * z;
  return roundVoltage(Math.min(NORMAL_VOLTAGE_MAX, Math.max(NORMAL_VOLTAGE_MIN, volts)));
}

/**
 * A read's voltage under a sag of `severity` (0, 1]: centred on 114 - 22 x severity (111.8 V at
 * 0.1, 94.2 V at 0.9) with a small per-read jitter from `z`, kept inside [90, 113.9].
 */
export function sagVoltage(severity: number, z: number): number {
  const volts = 114 - SAG_DEPTH * severity + SAG_JITTER_SD * z;
  return roundVoltage(Math.min(SAG_VOLTAGE_MAX, Math.max(SAG_VOLTAGE_MIN, volts)));
}
