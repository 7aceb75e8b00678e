// Export links for a feeder and a day on the tenant's clock: Green Button
// (ESPI Atom) and CSV of the feeder, CSV of the whole tenant. The day is the
// tenant's local day, sent as (local midnight, next local midnight] in UTC.
import { $, h } from './dom.js';
import { pad, serverNow } from './format.js';
import { state } from './state.js';

const formatters = new Map();

/** Offset of `timeZone` from UTC at the instant `ms`, in milliseconds. */
function offsetMs(ms, timeZone) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(new Date(ms)).map(({ type, value }) => [type, Number(value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of local midnight starting `date` (YYYY-MM-DD) in `timeZone`. */
export function localMidnight(date, timeZone) {
  const [year, month, day] = date.split('-').map(Number);
  const wall = Date.UTC(year, month - 1, day);
  let guess = wall;
  for (let i = 0; i < 3; i++) guess = wall - offsetMs(guess, timeZone);
  return guess;
}

/** Today on the tenant's clock, YYYY-MM-DD. */
function localToday(timeZone) {
  const ms = serverNow();
  const d = new Date(ms + offsetMs(ms, timeZone));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function nextDay(date) {
  const [year, month, day] = date.split('-').map(Number);
  const d = new Date(Date.UTC(year, month - 1, day + 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Fills the feeder choice from the latest quickcheck and points the links at the chosen feeder and day. */
export function renderExports(qc) {
  const select = $('export-feeder');
  const chosen = select.value;
  const feeders = (qc.feeders ?? []).map((feeder) => String(feeder.feederId));
  if (select.options.length !== feeders.length || feeders.some((id, i) => select.options[i].value !== id)) {
    select.replaceChildren(...feeders.map((id) => h('option', { value: id }, `Feeder ${id}`)));
    if (feeders.includes(chosen)) select.value = chosen;
  }
  const dateInput = $('export-day');
  if (!dateInput.value || dateInput.dataset.tenant !== state.tenantId) {
    dateInput.value = localToday(state.timeZone);
    dateInput.dataset.tenant = state.tenantId;
  }
  updateExportLinks();
}

export function updateExportLinks() {
  const feederId = $('export-feeder').value;
  const date = $('export-day').value;
  const links = ['export-greenbutton', 'export-csv-feeder', 'export-csv-tenant'].map((id) => $(id));
  if (!date) {
    for (const link of links) link.removeAttribute('href');
    return;
  }
  const from = new Date(localMidnight(date, state.timeZone)).toISOString();
  const to = new Date(localMidnight(nextDay(date), state.timeZone)).toISOString();
  const tenant = encodeURIComponent(state.tenantId);
  const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const [greenButton, csvFeeder, csvTenant] = links;
  if (feederId) {
    greenButton.href = `/api/ami/greenbutton?tenantId=${tenant}&feederId=${feederId}&${range}`;
    csvFeeder.href = `/api/ami/reads.csv?tenantId=${tenant}&feederId=${feederId}&${range}`;
  } else {
    greenButton.removeAttribute('href');
    csvFeeder.removeAttribute('href');
  }
  csvTenant.href = `/api/ami/reads.csv?tenantId=${tenant}&${range}`;
  $('export-range').textContent = `${date} on the tenant's clock (${state.timeZone}): reads after ${from} up to ${to}.`;
}

export function setupExports() {
  $('export-feeder').addEventListener('change', updateExportLinks);
  $('export-day').addEventListener('change', updateExportLinks);
}
