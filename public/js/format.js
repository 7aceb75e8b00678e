// Formatting of numbers, instants and ages, and the colour classes of figures.
import { DEVIATION_BAD_SD, DEVIATION_WARN_SD, RATE_BAD_PCT, RATE_WARN_PCT, state, UNDER_VOLTAGE_BAD_PCT, UNDER_VOLTAGE_WARN_PCT } from './state.js';

export const pad = (n) => String(n).padStart(2, '0');

export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
export const pct = (value, digits = 2) => (value === null || value === undefined ? '–' : `${num(value, digits)} %`);
export const signedPct = (value) => (value === null || value === undefined ? '–' : `${value > 0 ? '+' : ''}${num(value, 2)} %`);

const formatters = new Map();
/** An Intl formatter for the tenant's zone, made once per zone and options. */
function formatter(timeZone, options) {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', ...options });
    formatters.set(key, made);
  }
  return made;
}

/** The parts of an instant on the tenant's clock: { year, month, day, weekday, hour, minute, second, zone }. */
export function localParts(ms, timeZone = state.timeZone) {
  const parts = {};
  const options = {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  };
  for (const { type, value } of formatter(timeZone, options).formatToParts(new Date(ms))) parts[type] = value;
  return parts;
}

/** "10:15 CST" on the tenant's clock, with the local date in front when it is not the tenant's current day. */
export function localTime(iso, nowMs = serverNow()) {
  const d = localParts(Date.parse(iso));
  const today = localParts(nowMs);
  const time = `${d.hour}:${d.minute} ${d.timeZoneName}`;
  return d.year === today.year && d.month === today.month && d.day === today.day ? time : `${d.weekday} ${d.day} ${d.month} ${time}`;
}

/** "2026-11-28 16:15 UTC": what the page shows on hover beside the local time. */
export function utcTitle(iso) {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** "10:15:07 CST": a clock time with seconds on the tenant's clock. */
export function localClock(d) {
  const p = localParts(d.getTime());
  return `${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** "3 min ago", "in 12 min", "1 h 5 min ago". */
export function relative(iso, nowMs = serverNow()) {
  const deltaMs = nowMs - Date.parse(iso);
  const future = deltaMs < 0;
  const minutes = Math.floor(Math.abs(deltaMs) / 60_000);
  let text;
  if (minutes < 1) text = 'under a minute';
  else if (minutes < 60) text = `${minutes} min`;
  else if (minutes < 48 * 60) text = `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  else text = `${Math.floor(minutes / 1440)} days`;
  return future ? `in ${text}` : `${text} ago`;
}

/** Now, by the server's clock (its last `generatedAt` plus the time elapsed here since). */
export function serverNow() {
  if (!state.clock) return Date.now();
  return state.clock.serverMs + (performance.now() - state.clock.localMs);
}

/** A deviation's colour by how many of the model's standard deviations (noisePct) it is for this many meters. */
export function deviationClass(value, noisePct) {
  if (value === null || value === undefined || !noisePct) return '';
  const sds = Math.abs(value) / noisePct;
  return sds > DEVIATION_BAD_SD ? 'bad' : sds > DEVIATION_WARN_SD ? 'warn' : '';
}
/** Reads under 114 V coloured by their share of the reads: a sag, not the few a long feeder always has. */
export function underVoltageClass(count, reporting) {
  if (!count || !reporting) return '';
  const share = (100 * count) / reporting;
  return share > UNDER_VOLTAGE_BAD_PCT ? 'bad' : share > UNDER_VOLTAGE_WARN_PCT ? 'warn' : '';
}
export function rateClass(value) {
  if (value === null || value === undefined) return '';
  return value < RATE_BAD_PCT ? 'bad' : value < RATE_WARN_PCT ? 'warn' : '';
}
