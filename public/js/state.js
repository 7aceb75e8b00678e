// The page's shared state and settings.
export const POLL_MS = 10_000;
export const AGE_TICK_MS = 15_000;
export const SERIES_HOURS = 24;
export const DEFAULT_TENANT = 'DEMO_TENANT';
export const TOKEN_KEY = 'ami-dashboard-token';
/**
 * kWh deviation is coloured when it is this many times the model's own spread
 * for the feeder's size (kwhDeviationNoisePct, one standard deviation): beyond
 * 4 sd an event-free feeder almost never goes, beyond 8 sd is an event.
 */
export const DEVIATION_WARN_SD = 4;
export const DEVIATION_BAD_SD = 8;
/** Share of reads under 114 V (percent) beyond which a feeder is coloured: without an event a few in a thousand are. */
export const UNDER_VOLTAGE_WARN_PCT = 1;
export const UNDER_VOLTAGE_BAD_PCT = 5;
/** Reporting rate (percent) under these is coloured. */
export const RATE_WARN_PCT = 98;
export const RATE_BAD_PCT = 90;
export const UNDER_VOLTAGE = 114;

export const state = {
  tenantId: DEFAULT_TENANT,
  /** Bumped when the tenant changes: answers for the previous one are dropped. */
  generation: 0,
  quickcheck: null,
  /** The tenant's IANA time zone (from quickcheck): every time on the page is on its clock. */
  timeZone: 'UTC',
  /** The server's clock at the last answer, to age intervals without trusting the local clock. */
  clock: null,
  series: null,
  /** latestInterval the series was fetched for. */
  seriesInterval: null,
  charts: new Map(),
  autoFormTouched: false,
  autoStatusFailed: false,
  pollTimer: undefined,
  polling: null,
  pollAgain: false,
};
