// The built-in dashboard: polls GET /api/ami/kpi/quickcheck (the endpoint the
// external dashboard reads), draws the last day from GET /api/ami/kpi/series
// with uPlot, and drives the operator endpoints. Plain ES modules (public/js/):
// no build, no framework, nothing fetched from outside this server.
import { api, explain, setupToken, showMessage } from './js/api.js';
import { loadSeriesIfNeeded } from './js/charts.js';
import { $, setText } from './js/dom.js';
import { renderExports, setupExports } from './js/exports.js';
import { localClock, serverNow } from './js/format.js';
import { renderLatestInterval, renderQuickcheck } from './js/interval.js';
import { renderActiveEvents, renderActiveEventsError, renderAutoStatus, setupAutoForm, setupEventForm, setupEventList } from './js/operator.js';
import { AGE_TICK_MS, DEFAULT_TENANT, POLL_MS, SERIES_HOURS, state } from './js/state.js';

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
  state.timeZone = qc.timeZone ?? 'UTC';
  renderQuickcheck(qc);
  renderExports(qc);
  setText('poll-status', `Updated ${localClock(new Date(qc.generatedAt))} · every ${POLL_MS / 1000} s`, 'poll-status');
  await loadSeriesIfNeeded(qc, generation);
}

function pollFailed(error) {
  const { text } = explain(error);
  setText('poll-status', `Update failed at ${localClock(new Date(serverNow()))}: ${text} Retrying every ${POLL_MS / 1000} s.`, 'poll-status error');
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

/**
 * Why the server refuses `tenantId`, or null when it takes it. The tenant id
 * format is the server's rule (src/domain/tenant.ts): the page asks rather
 * than keeping a copy of it.
 */
async function tenantIdProblem(tenantId) {
  try {
    await api('GET', `/api/ami/auto/status?tenantId=${encodeURIComponent(tenantId)}`);
    return null;
  } catch (error) {
    const field = (error.error?.fields ?? []).find((f) => f.field === 'tenantId');
    return error.status === 400 && field ? field.message : null;
  }
}

function setupTenantForm() {
  $('tenant-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('tenant-input');
    const tenantId = input.value.trim();
    const problem = await tenantIdProblem(tenantId);
    if (problem) {
      input.setAttribute('aria-invalid', 'true');
      setText('poll-status', `Tenant: ${problem}.`, 'poll-status error');
      return;
    }
    setTenant(tenantId, { pushUrl: true });
  });
}

async function start() {
  setupToken();
  setupTenantForm();
  setupAutoForm(refreshSoon);
  setupEventForm(refreshSoon);
  setupEventList(refreshSoon);
  setupExports();
  const fromUrl = new URL(window.location.href).searchParams.get('tenantId');
  const problem = fromUrl === null ? null : await tenantIdProblem(fromUrl);
  // An invalid tenant in the URL is replaced by the default, visibly.
  setTenant(fromUrl !== null && !problem ? fromUrl : DEFAULT_TENANT, { pushUrl: problem !== null });
  if (problem)
    showMessage('auto-message', { ok: true, text: `The URL's tenantId "${fromUrl}" is not a valid tenant id (${problem}); showing ${DEFAULT_TENANT}.` });
  setInterval(() => {
    renderLatestInterval();
  }, AGE_TICK_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refreshSoon();
  });
}

start();
