// The built-in dashboard: polls GET /api/ami/kpi/quickcheck (the endpoint the
// external dashboard reads), draws the last day from GET /api/ami/kpi/series
// with uPlot, and drives the operator endpoints. A plain ES module: no build,
// no framework, nothing fetched from outside this server.
import uPlot from '/vendor/uplot/uPlot.esm.js';

const POLL_MS = 10_000;
const AGE_TICK_MS = 15_000;
const SERIES_HOURS = 24;
const DEFAULT_TENANT = 'DEMO_TENANT';
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const TOKEN_KEY = 'ami-dashboard-token';
/** kWh deviation beyond these (percent, either sign) is coloured. */
const DEVIATION_WARN_PCT = 5;
const DEVIATION_BAD_PCT = 15;
/** Reporting rate (percent) under these is coloured. */
const RATE_WARN_PCT = 98;
const RATE_BAD_PCT = 90;
const UNDER_VOLTAGE = 114;

const state = {
  tenantId: DEFAULT_TENANT,
  /** Bumped when the tenant changes: answers for the previous one are dropped. */
  generation: 0,
  quickcheck: null,
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

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// Formatting

const pad = (n) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const pct = (value, digits = 2) => (value === null || value === undefined ? '–' : `${num(value, digits)} %`);
const signedPct = (value) => (value === null || value === undefined ? '–' : `${value > 0 ? '+' : ''}${num(value, 2)} %`);

/** "10:15 UTC", with the date in front when it is not the server's current UTC day. */
function utcTime(iso, nowMs = serverNow()) {
  const d = new Date(iso);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  const today = new Date(nowMs);
  const sameDay = d.getUTCFullYear() === today.getUTCFullYear() && d.getUTCMonth() === today.getUTCMonth() && d.getUTCDate() === today.getUTCDate();
  return sameDay ? time : `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${time}`;
}

const utcClock = (d) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** "3 min ago", "in 12 min", "1 h 5 min ago". */
function relative(iso, nowMs = serverNow()) {
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
function serverNow() {
  if (!state.clock) return Date.now();
  return state.clock.serverMs + (performance.now() - state.clock.localMs);
}

function deviationClass(value) {
  if (value === null || value === undefined) return '';
  const size = Math.abs(value);
  return size > DEVIATION_BAD_PCT ? 'bad' : size > DEVIATION_WARN_PCT ? 'warn' : '';
}
function rateClass(value) {
  if (value === null || value === undefined) return '';
  return value < RATE_BAD_PCT ? 'bad' : value < RATE_WARN_PCT ? 'warn' : '';
}

/** A small element builder: h('td', { class: 'num' }, 'text', child). Text is never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'vars') for (const [name, v] of Object.entries(value)) node.style.setProperty(name, v);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setText(id, text, className) {
  const node = $(id);
  node.textContent = text;
  if (className !== undefined) node.className = className;
}

// ---------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, body, { method, path, sentToken, retryAfter }) {
    super(body?.error?.message ?? (status === 0 ? 'network error' : `HTTP ${status}`));
    this.status = status;
    this.code = body?.error?.code ?? null;
    this.error = body?.error ?? null;
    this.method = method;
    this.path = path;
    this.sentToken = sentToken;
    this.retryAfter = retryAfter;
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = currentToken();
  const mutating = method !== 'GET';
  if (mutating) {
    headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
  }
  const context = { method, path, sentToken: mutating && Boolean(token), retryAfter: null };
  let response;
  try {
    response = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null, context);
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): reported by status below.
  }
  if (!response.ok || json?.ok !== true) {
    throw new ApiError(response.status, json, { ...context, retryAfter: response.headers.get('retry-after') });
  }
  return json;
}

/** What went wrong, in words an operator can act on, and the fields to mark. */
function explain(error) {
  if (!(error instanceof ApiError)) return { text: `Unexpected error in the page: ${error?.message ?? error}`, fields: [] };
  const detail = error.error ?? {};
  const fields = Array.isArray(detail.fields) ? detail.fields : [];
  switch (error.status) {
    case 0:
      return { text: 'Cannot reach the server (network error). Is the service running?', fields };
    case 400:
      return {
        text: fields.length > 0 ? 'Not accepted (400 VALIDATION):' : `Not accepted (400): ${error.message}`,
        fields,
      };
    case 401:
      return {
        text: error.sentToken
          ? 'The token was refused (401 UNAUTHORIZED): the Token field must hold the server\u2019s AMI_API_TOKEN exactly.'
          : 'This server requires a token (401 UNAUTHORIZED): enter its AMI_API_TOKEN in the Token field, then try again.',
        fields,
      };
    case 403:
      return {
        text: 'Refused (403 FORBIDDEN): the server has no AMI_API_TOKEN configured, so it accepts changes only from its own machine (loopback). Open this page on the server itself, or configure AMI_API_TOKEN on the server and enter it in the Token field.',
        fields,
      };
    case 404:
      return { text: `Not found (404): ${error.message}`, fields };
    case 409:
      return { text: `Conflict (409): ${error.message}`, fields };
    case 429: {
      const depth = detail.queueDepth !== undefined ? ` (${num(detail.queueDepth)} batch jobs queued, limit ${num(detail.limit)})` : '';
      const wait = error.retryAfter ? ` in ${error.retryAfter} s` : ' in a few seconds';
      return { text: `The publish queue is full${depth}: nothing was changed. Try again${wait}.`, fields };
    }
    case 503:
      return { text: 'The database is unavailable (503): try again shortly.', fields };
    default:
      return { text: `${error.method} ${error.path.split('?')[0]} failed (${error.status}${error.code ? ` ${error.code}` : ''}): ${error.message}`, fields };
  }
}

/** Shows a form's outcome; an error also marks the inputs the server named. */
function showMessage(id, outcome, form) {
  const node = $(id);
  node.replaceChildren();
  node.className = 'msg';
  node.removeAttribute('role');
  if (form) for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  if (!outcome) return;
  if (outcome.ok) {
    node.classList.add('ok');
    node.setAttribute('role', 'status');
    node.textContent = outcome.text;
    return;
  }
  const { text, fields } = explain(outcome.error);
  node.classList.add('error');
  node.setAttribute('role', 'alert');
  node.append(text);
  if (fields.length > 0) {
    node.append(h('ul', {}, fields.map((f) => h('li', { 'data-field': f.field }, h('strong', {}, f.field), `: ${f.message}`))));
    for (const f of fields) {
      for (const name of String(f.field).split(/,\s*/)) {
        const input = form?.elements.namedItem(name);
        if (input instanceof Element) input.setAttribute('aria-invalid', 'true');
      }
    }
  }
}

async function withBusy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------------------
// Polling

function refreshSoon() {
  if (state.polling) {
    state.pollAgain = true;
    return state.polling;
  }
  clearTimeout(state.pollTimer);
  state.polling = refresh()
    .catch((error) => pollFailed(error))
    .finally(() => {
      state.polling = null;
      if (state.pollAgain) {
        state.pollAgain = false;
        refreshSoon();
      } else {
        schedulePoll();
      }
    });
  return state.polling;
}

function schedulePoll() {
  clearTimeout(state.pollTimer);
  // A hidden tab does not poll; it refreshes as soon as it is shown again.
  if (!document.hidden) state.pollTimer = setTimeout(refreshSoon, POLL_MS);
}

async function refresh() {
  const generation = state.generation;
  const tenant = encodeURIComponent(state.tenantId);
  const [quickcheck, auto, events] = await Promise.allSettled([
    api('GET', `/api/ami/kpi/quickcheck?tenantId=${tenant}`),
    api('GET', `/api/ami/auto/status?tenantId=${tenant}`),
    api('GET', `/api/ami/events?tenantId=${tenant}&active=true`),
  ]);
  if (generation !== state.generation) return;

  if (auto.status === 'fulfilled') {
    renderAutoStatus(auto.value);
    // A status failure shown by an earlier poll is over.
    if (state.autoStatusFailed) showMessage('auto-message', null);
    state.autoStatusFailed = false;
  } else {
    showMessage('auto-message', { ok: false, error: auto.reason });
    state.autoStatusFailed = true;
  }

  if (events.status === 'fulfilled') renderActiveEvents(events.value.events);
  else renderActiveEventsError(events.reason);

  if (quickcheck.status === 'rejected') {
    pollFailed(quickcheck.reason);
    return;
  }
  const qc = quickcheck.value;
  state.clock = { serverMs: Date.parse(qc.generatedAt), localMs: performance.now() };
  state.quickcheck = qc;
  renderQuickcheck(qc);
  setText('poll-status', `Updated ${utcClock(new Date(qc.generatedAt))} UTC · every ${POLL_MS / 1000} s`, 'poll-status');
  await loadSeriesIfNeeded(qc, generation);
}

function pollFailed(error) {
  const { text } = explain(error);
  setText('poll-status', `Update failed at ${utcClock(new Date(serverNow()))} UTC: ${text} Retrying every ${POLL_MS / 1000} s.`, 'poll-status error');
}

// ---------------------------------------------------------------------------
// The latest interval

function renderQuickcheck(qc) {
  renderLatestInterval();

  const r = qc.reportingSummary;
  setText('reporting-rate', pct(r.reportingRatePct), `big ${rateClass(r.reportingRatePct)}`);
  setText('reporting-meters', num(r.reportingMeters));
  setText('expected-meters', num(r.expectedMeters));
  setText('missing-meters', num(r.missingMeters), r.missingMeters > 0 ? 'warn' : '');

  const s = qc.staleMetersBuckets;
  const buckets = [
    ['stale-current', s.current, 's-current'],
    ['stale-over-15m', s.staleOver15m, 's-15m'],
    ['stale-over-1h', s.staleOver1h, 's-1h'],
    ['stale-over-4h', s.staleOver4h, 's-4h'],
    ['stale-over-24h', s.staleOver24h, 's-24h'],
    ['stale-never', s.neverReported, 's-never'],
  ];
  const total = buckets.reduce((sum, [, count]) => sum + (count ?? 0), 0);
  for (const [id, count] of buckets) setText(id, num(count));
  $('stale-bar').replaceChildren(
    ...buckets
      .filter(([, count]) => count > 0)
      .map(([id, count, swatch]) => h('span', { class: swatch, title: `${id}: ${count}`, vars: { '--share': `${(100 * count) / total}%` } })),
  );

  setText('energy-total', num(qc.energy.totalKwh, 1));
  setText('energy-mean', qc.energy.meanKwh === null ? '–' : `${num(qc.energy.meanKwh, 4)} kWh`);
  const deviation = qc.energy.kwhDeviationPct;
  setText('energy-deviation', deviation === undefined ? '–' : signedPct(deviation), deviationClass(deviation));

  const v = qc.voltage;
  setText('voltage-mean', num(v.mean, 1));
  setText('voltage-min', v.min === null ? '–' : `${num(v.min, 1)} V`, v.min !== null && v.min < UNDER_VOLTAGE ? 'bad' : '');
  setText('voltage-max', v.max === null ? '–' : `${num(v.max, 1)} V`);
  setText('voltage-under114', num(v.under114), v.under114 > 0 ? 'bad' : '');
  setText('voltage-over126', num(v.over126), v.over126 > 0 ? 'warn' : '');

  renderFeeders(qc);
  renderFeederOptions(qc.feeders);
}

function renderLatestInterval() {
  const qc = state.quickcheck;
  if (!qc) return;
  if (qc.latestInterval === null) {
    setText('latest-interval', 'no reads yet');
    setText('latest-age', 'start automatic mode below, or publish an interval', 'muted');
    return;
  }
  setText('latest-interval', utcTime(qc.latestInterval));
  $('latest-interval').title = qc.latestInterval;
  const ageMs = serverNow() - Date.parse(qc.latestInterval);
  // Two intervals and some slack without a newer one: the data plane is not publishing.
  const late = ageMs > (2 * qc.intervalMinutes + 5) * 60_000;
  const age = $('latest-age');
  age.replaceChildren(relative(qc.latestInterval));
  age.className = 'muted';
  if (late) age.append(' ', h('span', { class: 'stale-warning' }, '· no newer interval: is automatic mode on?'));
}

function eventBadge(event, testId = 'event-badge') {
  const pending = event.affectsInterval === false;
  return h(
    'span',
    {
      class: `badge ${event.type}${pending ? ' pending' : ''}`,
      'data-testid': testId,
      'data-event-id': event.id,
      'data-event-type': event.type,
      title: `${event.type}, severity ${event.severity}, since ${utcTime(event.startsAt)}${event.endsAt ? ` until ${utcTime(event.endsAt)}` : ''}${pending ? ' (not in this interval\u2019s reads yet)' : ''}`,
    },
    event.type,
    ' ',
    num(event.severity, 2),
  );
}

function renderFeeders(qc) {
  const rows = qc.feeders.map((f) => {
    const rateCls = rateClass(f.reportingRatePct);
    const devCls = deviationClass(f.kwhDeviationPct);
    const lowVoltage = f.minVoltage !== null && f.minVoltage < UNDER_VOLTAGE;
    const events = f.activeEvents ?? [];
    return h(
      'tr',
      { 'data-testid': `feeder-row-${f.feederId}`, 'data-feeder-id': f.feederId, class: events.length > 0 ? 'has-event' : undefined },
      h('td', {}, h('strong', {}, `Feeder ${f.feederId}`), events.length > 0 ? h('div', { class: 'narrow-only' }, events.map((e) => eventBadge(e, 'event-badge-compact'))) : null),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'rate' },
          h('div', { class: `rate-bar ${rateCls}`, 'aria-hidden': 'true' }, h('span', { vars: { '--pct': `${f.reportingRatePct ?? 0}%` } })),
          h('span', { class: `rate-value ${rateCls}`, 'data-testid': `feeder-rate-${f.feederId}` }, pct(f.reportingRatePct, 1)),
        ),
      ),
      h('td', { class: 'num wide-only' }, `${num(f.reportingMeters)} / ${num(f.expectedMeters)}`),
      h('td', { class: 'num wide-only' }, num(f.totalKwh, 1)),
      h('td', { class: 'num', 'data-testid': `feeder-deviation-${f.feederId}` }, h('span', { class: devCls ? `cell-flag ${devCls}` : undefined }, signedPct(f.kwhDeviationPct))),
      h('td', { class: 'num wide-only' }, num(f.meanVoltage, 1)),
      h('td', { class: 'num', 'data-testid': `feeder-min-voltage-${f.feederId}` }, h('span', { class: lowVoltage ? 'cell-flag bad' : undefined }, num(f.minVoltage, 1))),
      h('td', { class: `num ${f.under114 > 0 ? 'bad' : ''}` }, num(f.under114)),
      h('td', { class: 'wide-only', 'data-testid': `feeder-events-${f.feederId}` }, events.length > 0 ? events.map((e) => eventBadge(e)) : h('span', { class: 'muted' }, '–')),
    );
  });
  const body = $('feeder-rows');
  if (rows.length === 0) body.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 9 }, 'No feeders registered for this tenant yet.')));
  else body.replaceChildren(...rows);
}

function renderFeederOptions(feeders) {
  const select = $('event-feeder');
  const wanted = feeders.map((f) => String(f.feederId));
  const current = [...select.options].map((o) => o.value);
  if (wanted.join() === current.join()) return;
  const selected = select.value;
  select.replaceChildren(...(wanted.length > 0 ? wanted.map((id) => h('option', { value: id }, `Feeder ${id}`)) : [h('option', { value: '' }, 'no feeders yet')]));
  if (wanted.includes(selected)) select.value = selected;
}

// ---------------------------------------------------------------------------
// Charts (uPlot), fetched when a new interval lands

async function loadSeriesIfNeeded(qc, generation) {
  if (qc.latestInterval === null) {
    state.series = null;
    state.seriesInterval = null;
    renderCharts();
    return;
  }
  const last = state.series?.points.at(-1);
  // The series is current when it ends at this interval with the same count
  // of reads: a newer interval, or batches still landing, fetch it again.
  const current = state.seriesInterval === qc.latestInterval && last?.readAt === qc.latestInterval && last.reportingMeters === qc.reportingSummary.reportingMeters;
  if (current) return;
  try {
    const series = await api('GET', `/api/ami/kpi/series?tenantId=${encodeURIComponent(state.tenantId)}&hours=${SERIES_HOURS}`);
    if (generation !== state.generation) return;
    state.series = series;
    state.seriesInterval = qc.latestInterval;
    renderCharts();
  } catch (error) {
    setText('series-status', `Charts not updated: ${explain(error).text}`, 'bad');
  }
}

/** Column arrays for uPlot, with a null after each missing interval so the line breaks there. */
function chartColumns(series) {
  const step = series.intervalMinutes * 60;
  const columns = { x: [], rate: [], kwh: [], baseline: [], minV: [], meanV: [], limit: [] };
  let previous = null;
  const push = (x, p) => {
    columns.x.push(x);
    columns.rate.push(p ? p.reportingRatePct : null);
    columns.kwh.push(p ? p.totalKwh : null);
    columns.baseline.push(p ? p.baselineKwh : null);
    columns.minV.push(p ? p.minVoltage : null);
    columns.meanV.push(p ? p.meanVoltage : null);
    columns.limit.push(UNDER_VOLTAGE);
  };
  for (const point of series.points) {
    const x = Date.parse(point.readAt) / 1000;
    if (previous !== null && x - previous > step) push(previous + step, null);
    push(x, point);
    previous = x;
  }
  return columns;
}

const CHART_HEIGHT = 210;
const AXIS = { stroke: '#4f5b6a', grid: { stroke: '#e8ecf1', width: 1 }, ticks: { stroke: '#d9dfe7', width: 1 } };
const clock = (seconds) => {
  const d = new Date(seconds * 1000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};
/** 24-hour UTC ticks, with the date under the first one and under each midnight. */
const timeTicks = (u, splits) =>
  splits.map((s, i) => {
    const d = new Date(s * 1000);
    const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0;
    return i === 0 || midnight ? `${clock(s)}\n${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}` : clock(s);
  });

const CHARTS = [
  {
    id: 'chart-reporting',
    columns: (c) => [c.x, c.rate],
    series: [{ label: 'Reporting rate', stroke: '#1f5fbf', width: 2, fill: 'rgba(31, 95, 191, 0.08)', value: (u, v) => (v === null ? '–' : `${v.toFixed(2)} %`) }],
    range: (u, min) => [Math.max(0, Math.min(90, Math.floor(((min ?? 100) - 2) / 10) * 10)), 100],
    yValues: (u, values) => values.map((v) => `${v}%`),
  },
  {
    id: 'chart-kwh',
    columns: (c) => [c.x, c.kwh, c.baseline],
    series: [
      { label: 'Total kWh', stroke: '#0b7a75', width: 2, value: (u, v) => (v === null ? '–' : num(v, 1)) },
      { label: 'Load model (baseline)', stroke: '#6b7280', width: 1.5, dash: [6, 4], value: (u, v) => (v === null ? '–' : num(v, 1)) },
    ],
    range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1],
    // Compact ticks (7.5k) keep a 25,000-meter fleet's totals inside the axis.
    yValues: (u, values) => values.map((v) => (Math.abs(v) >= 1000 ? `${num(v / 1000, v % 1000 === 0 ? 0 : 1)}k` : num(v, v % 1 === 0 ? 0 : 1))),
  },
  {
    id: 'chart-voltage',
    columns: (c) => [c.x, c.minV, c.meanV, c.limit],
    series: [
      { label: 'Min voltage', stroke: '#b45309', width: 2, value: (u, v) => (v === null ? '–' : `${v.toFixed(1)} V`) },
      { label: 'Mean voltage', stroke: '#1f5fbf', width: 1.5, value: (u, v) => (v === null ? '–' : `${v.toFixed(1)} V`) },
      { label: '114 V (ANSI Range A)', stroke: '#c0262d', width: 1, dash: [4, 4], points: { show: false }, value: () => '114 V' },
    ],
    range: (u, min, max) => [Math.min(Math.floor((min ?? 110) - 2), 110), Math.max(Math.ceil((max ?? 126) + 1), 126)],
    yValues: (u, values) => values.map((v) => `${v}`),
  },
];

function renderCharts() {
  const series = state.series;
  const points = series?.points ?? [];
  if (!series || points.length === 0) {
    setText('series-status', state.quickcheck?.latestInterval ? 'No reads in the window.' : 'No reads yet.', 'muted');
  } else {
    const first = points[0].readAt;
    const last = points.at(-1).readAt;
    setText('series-status', `${points.length} interval${points.length === 1 ? '' : 's'}, ${utcTime(first)} to ${utcTime(last)}`, 'muted');
  }
  const columns = points.length > 0 ? chartColumns(series) : null;
  for (const chart of CHARTS) {
    const box = $(chart.id);
    const existing = state.charts.get(chart.id);
    if (!columns) {
      existing?.destroy();
      state.charts.delete(chart.id);
      box.replaceChildren(h('div', { class: 'placeholder' }, 'Charts appear once the tenant has reads.'));
      continue;
    }
    const data = chart.columns(columns);
    if (existing) {
      existing.setData(data);
      continue;
    }
    box.replaceChildren();
    const plot = new uPlot(
      {
        width: Math.max(box.clientWidth, 280),
        height: CHART_HEIGHT,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series: [{ label: 'Interval', value: (u, ts) => (ts === null || ts === undefined ? '–' : `${clock(ts)} UTC`) }, ...chart.series.map((s) => ({ spanGaps: false, points: { size: 4 }, ...s }))],
        scales: { x: { time: true }, y: { range: chart.range } },
        axes: [{ ...AXIS, space: 64, values: timeTicks }, { ...AXIS, size: 52, values: chart.yValues }],
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
      },
      data,
      box,
    );
    state.charts.set(chart.id, plot);
  }
}

// Charts follow the width of their card (laptop, phone, rotation).
const resizeObserver = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const plot = state.charts.get(entry.target.id);
    const width = Math.floor(entry.contentRect.width);
    if (plot && width > 0 && Math.abs(plot.width - width) > 1) plot.setSize({ width, height: CHART_HEIGHT });
  }
});
for (const chart of CHARTS) resizeObserver.observe($(chart.id));

// ---------------------------------------------------------------------------
// Operator: token, automatic mode, events

function currentToken() {
  return $('token-input').value.trim();
}

function setupToken() {
  const input = $('token-input');
  input.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  input.addEventListener('input', () => {
    const token = input.value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  });
  $('token-clear').addEventListener('click', () => {
    input.value = '';
    sessionStorage.removeItem(TOKEN_KEY);
    input.focus();
  });
}

/** A number input's value as a number; blank means "use the server's default" (undefined); anything else goes as typed, for the server to judge. */
function numberField(form, name) {
  const raw = form.elements.namedItem(name).value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : raw;
}

function renderAutoStatus(status) {
  const label = status.enabled ? 'running' : status.config ? 'stopped' : 'never started';
  $('auto-enabled').replaceChildren(h('span', { class: `pill ${status.enabled ? 'on' : 'off'}` }, label));
  const c = status.config;
  setText('auto-config', c ? `${num(c.meterCount)} meters on ${num(c.feederCount)} feeders, batches of ${num(c.batchSize)}, every ${c.intervalMinutes} min, catch-up ${c.catchUpIntervals} interval${c.catchUpIntervals === 1 ? '' : 's'}.` : 'Not configured for this tenant yet.');
  setText('auto-next-run', status.nextRunAt ? `${utcTime(status.nextRunAt)} · ${relative(status.nextRunAt)}` : '–');
  const q = status.queueDepth;
  setText('auto-queue', `${num(q.waiting)} waiting · ${num(q.delayed)} delayed · ${num(q.running)} running`);
  setText('auto-latest-read', status.latestReadAt ? `${utcTime(status.latestReadAt)} · ${relative(status.latestReadAt)}` : 'none');
  // Show the stored configuration until the operator edits the form.
  if (c && !state.autoFormTouched) {
    const form = $('auto-form');
    for (const name of ['meterCount', 'feederCount', 'batchSize', 'intervalMinutes', 'catchUpIntervals']) {
      form.elements.namedItem(name).value = String(c[name]);
    }
  }
}

function setupAutoForm() {
  const form = $('auto-form');
  form.addEventListener('input', () => (state.autoFormTouched = true));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('[data-testid="auto-start"]');
    const body = { tenantId: state.tenantId };
    for (const name of ['meterCount', 'feederCount', 'batchSize', 'intervalMinutes', 'catchUpIntervals']) {
      const value = numberField(form, name);
      if (value !== undefined) body[name] = value;
    }
    await withBusy(button, async () => {
      try {
        const result = await api('POST', '/api/ami/auto/start', body);
        state.autoFormTouched = false;
        const catchUp = result.config.catchUpIntervals;
        const first = catchUp > 0 ? `the last ${catchUp} interval${catchUp === 1 ? '' : 's'} (the current one included) publish within seconds` : 'no catch-up';
        showMessage('auto-message', { ok: true, text: `Automatic mode started for ${state.tenantId}: ${first}; next scheduled run ${utcTime(result.nextRunAt)}.` }, form);
        refreshSoon();
      } catch (error) {
        showMessage('auto-message', { ok: false, error }, form);
      }
    });
  });
  $('auto-stop').addEventListener('click', async () => {
    await withBusy($('auto-stop'), async () => {
      try {
        const result = await api('POST', '/api/ami/auto/stop', { tenantId: state.tenantId });
        showMessage('auto-message', { ok: true, text: result.wasEnabled ? `Automatic mode stopped for ${state.tenantId}; intervals already queued finish.` : `Automatic mode was already stopped for ${state.tenantId}.` }, form);
        refreshSoon();
      } catch (error) {
        showMessage('auto-message', { ok: false, error }, form);
      }
    });
  });
}

function setupEventForm() {
  const form = $('event-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('[data-testid="event-submit"]');
    const body = {
      tenantId: state.tenantId,
      feederId: numberField(form, 'feederId'),
      type: form.elements.namedItem('type').value,
      severity: numberField(form, 'severity'),
    };
    const duration = numberField(form, 'durationMinutes');
    if (duration !== undefined) body.durationMinutes = duration;
    const startsAt = form.elements.namedItem('startsAt').value;
    // datetime-local has no zone: the label says UTC, so it is sent as such.
    if (startsAt) body.startsAt = `${startsAt.length === 16 ? `${startsAt}:00` : startsAt}Z`;
    await withBusy(button, async () => {
      try {
        const { event: created } = await api('POST', '/api/ami/events', body);
        const until = created.endsAt ? `until ${utcTime(created.endsAt)}` : 'open-ended';
        showMessage('event-message', { ok: true, text: `Event #${created.id} injected: ${created.type} ${num(created.severity, 2)} on feeder ${created.feederId}, from ${utcTime(created.startsAt)}, ${until}. It shows from the first interval published at or after its start.` }, form);
        refreshSoon();
      } catch (error) {
        showMessage('event-message', { ok: false, error }, form);
      }
    });
  });
}

function renderActiveEvents(events) {
  const list = $('active-events');
  if (events.length === 0) {
    list.replaceChildren(h('li', { class: 'muted' }, 'No active events.'));
    return;
  }
  list.replaceChildren(
    ...events.map((e) =>
      h(
        'li',
        { 'data-testid': `active-event-${e.id}` },
        h('div', {}, eventBadge(e), ' ', h('strong', {}, `feeder ${e.feederId}`), h('div', { class: 'when' }, `#${e.id} · from ${utcTime(e.startsAt)} · ${e.endsAt ? `until ${utcTime(e.endsAt)}` : 'open-ended'}`)),
        h('button', { type: 'button', class: 'danger', 'data-testid': `event-end-${e.id}`, 'data-event-id': e.id }, 'End now'),
      ),
    ),
  );
}

function renderActiveEventsError(error) {
  $('active-events').replaceChildren(h('li', { class: 'bad' }, `Cannot list events: ${explain(error).text}`));
}

function setupEventList() {
  $('active-events').addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-event-id]') : null;
    if (!button) return;
    const id = button.getAttribute('data-event-id');
    await withBusy(button, async () => {
      try {
        const { event: ended } = await api('POST', `/api/ami/events/${encodeURIComponent(id)}/end`, { tenantId: state.tenantId });
        showMessage('events-message', { ok: true, text: `Event #${ended.id} (${ended.type}, feeder ${ended.feederId}) ended at ${utcTime(ended.endsAt)}.` });
        refreshSoon();
      } catch (error) {
        showMessage('events-message', { ok: false, error });
      }
    });
  });
}

// ---------------------------------------------------------------------------
// Tenant (kept in the URL) and start-up

function setTenant(tenantId, { pushUrl }) {
  state.tenantId = tenantId;
  state.generation += 1;
  state.quickcheck = null;
  state.series = null;
  state.seriesInterval = null;
  state.autoFormTouched = false;
  $('tenant-input').value = tenantId;
  $('tenant-input').removeAttribute('aria-invalid');
  const encoded = encodeURIComponent(tenantId);
  $('quickcheck-link').href = `/api/ami/kpi/quickcheck?tenantId=${encoded}`;
  $('series-link').href = `/api/ami/kpi/series?tenantId=${encoded}&hours=${SERIES_HOURS}`;
  document.title = `${tenantId} · AMI data plane`;
  if (pushUrl) {
    const url = new URL(window.location.href);
    url.searchParams.set('tenantId', tenantId);
    window.history.replaceState(null, '', url);
  }
  for (const id of ['auto-message', 'event-message', 'events-message']) showMessage(id, null);
  setText('poll-status', 'Loading…', 'poll-status');
  setText('latest-interval', '–');
  setText('latest-age', '');
  refreshSoon();
}

function setupTenantForm() {
  $('tenant-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('tenant-input');
    const tenantId = input.value.trim();
    if (!TENANT_PATTERN.test(tenantId)) {
      input.setAttribute('aria-invalid', 'true');
      setText('poll-status', 'Tenant: 1-64 letters, digits, _ or -, starting with a letter or digit.', 'poll-status error');
      return;
    }
    setTenant(tenantId, { pushUrl: true });
  });
}

function start() {
  setupToken();
  setupTenantForm();
  setupAutoForm();
  setupEventForm();
  setupEventList();
  const fromUrl = new URL(window.location.href).searchParams.get('tenantId');
  const valid = fromUrl !== null && TENANT_PATTERN.test(fromUrl);
  // An invalid tenant in the URL is replaced by the default, visibly.
  setTenant(valid ? fromUrl : DEFAULT_TENANT, { pushUrl: fromUrl !== null && !valid });
  if (fromUrl !== null && !valid) showMessage('auto-message', { ok: true, text: `The URL's tenantId "${fromUrl}" is not a valid tenant id; showing ${DEFAULT_TENANT}.` });
  setInterval(() => {
    renderLatestInterval();
  }, AGE_TICK_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refreshSoon();
  });
}

start();
