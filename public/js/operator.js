// Operator controls: automatic mode and grid events. `onChange` refreshes the page after a change.
import { api, showMessage, withBusy, explain } from './api.js';
import { $, h, setText } from './dom.js';
import { localTime, num, relative } from './format.js';
import { eventBadge } from './interval.js';
import { state } from './state.js';

/** A number input's value as a number; blank means "use the server's default" (undefined); anything else goes as typed, for the server to judge. */
function numberField(form, name) {
  const raw = form.elements.namedItem(name).value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : raw;
}

export function renderAutoStatus(status) {
  const label = status.enabled ? 'running' : status.config ? 'stopped' : 'never started';
  $('auto-enabled').replaceChildren(h('span', { class: `pill ${status.enabled ? 'on' : 'off'}` }, label));
  const c = status.config;
  setText(
    'auto-config',
    c
      ? `${num(c.meterCount)} meters on ${num(c.feederCount)} feeders, batches of ${num(c.batchSize)}, every ${c.intervalMinutes} min, catch-up ${c.catchUpIntervals} interval${c.catchUpIntervals === 1 ? '' : 's'}${c.collection ? `, ${c.collection} collection` : ''}.`
      : 'Not configured for this tenant yet.',
  );
  setText('auto-next-run', status.nextRunAt ? `${localTime(status.nextRunAt)} · ${relative(status.nextRunAt)}` : '–');
  const q = status.queueDepth;
  setText('auto-queue', `${num(q.waiting)} waiting · ${num(q.delayed)} delayed · ${num(q.running)} running`);
  setText('auto-latest-read', status.latestReadAt ? `${localTime(status.latestReadAt)} · ${relative(status.latestReadAt)}` : 'none');
  // Show the stored configuration until the operator edits the form.
  if (c && !state.autoFormTouched) {
    const form = $('auto-form');
    for (const name of ['meterCount', 'feederCount', 'batchSize', 'intervalMinutes', 'catchUpIntervals']) {
      form.elements.namedItem(name).value = String(c[name]);
    }
    if (c.collection) form.elements.namedItem('collection').value = c.collection;
  }
}

export function setupAutoForm(onChange) {
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
    const collection = form.elements.namedItem('collection').value;
    if (collection) body.collection = collection;
    await withBusy(button, async () => {
      try {
        const result = await api('POST', '/api/ami/auto/start', body);
        state.autoFormTouched = false;
        const catchUp = result.config.catchUpIntervals;
        const first = catchUp > 0 ? `the last ${catchUp} interval${catchUp === 1 ? '' : 's'} (the current one included) publish within seconds` : 'no catch-up';
        showMessage(
          'auto-message',
          { ok: true, text: `Automatic mode started for ${state.tenantId}: ${first}; next scheduled run ${localTime(result.nextRunAt)}.` },
          form,
        );
        onChange();
      } catch (error) {
        showMessage('auto-message', { ok: false, error }, form);
      }
    });
  });
  $('auto-stop').addEventListener('click', async () => {
    await withBusy($('auto-stop'), async () => {
      try {
        const result = await api('POST', '/api/ami/auto/stop', { tenantId: state.tenantId });
        showMessage(
          'auto-message',
          {
            ok: true,
            text: result.wasEnabled
              ? `Automatic mode stopped for ${state.tenantId}; intervals already queued finish.`
              : `Automatic mode was already stopped for ${state.tenantId}.`,
          },
          form,
        );
        onChange();
      } catch (error) {
        showMessage('auto-message', { ok: false, error }, form);
      }
    });
  });
}

export function setupEventForm(onChange) {
  const form = $('event-form');
  // The backfill choice belongs to comms outages only.
  const type = form.elements.namedItem('type');
  const showBackfill = () => ($('event-backfill-field').hidden = type.value !== 'comms-outage');
  type.addEventListener('change', showBackfill);
  showBackfill();
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
    if (body.type === 'comms-outage') body.backfill = form.elements.namedItem('backfill').checked;
    const startsAt = form.elements.namedItem('startsAt').value;
    // datetime-local has no zone: the label says UTC, so it is sent as such.
    if (startsAt) body.startsAt = `${startsAt.length === 16 ? `${startsAt}:00` : startsAt}Z`;
    await withBusy(button, async () => {
      try {
        const { event: created } = await api('POST', '/api/ami/events', body);
        const until = created.endsAt ? `until ${localTime(created.endsAt)}` : 'open-ended';
        showMessage(
          'event-message',
          {
            ok: true,
            text: `Event #${created.id} injected: ${created.type} ${num(created.severity, 2)} on feeder ${created.feederId}, from ${localTime(created.startsAt)}, ${until}. It shows from the first interval published at or after its start.`,
          },
          form,
        );
        onChange();
      } catch (error) {
        showMessage('event-message', { ok: false, error }, form);
      }
    });
  });
}

export function renderActiveEvents(events) {
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
        h(
          'div',
          {},
          eventBadge(e),
          ' ',
          h('strong', {}, `feeder ${e.feederId}`),
          h('div', { class: 'when' }, `#${e.id} · from ${localTime(e.startsAt)} · ${e.endsAt ? `until ${localTime(e.endsAt)}` : 'open-ended'}`),
        ),
        h('button', { type: 'button', class: 'danger', 'data-testid': `event-end-${e.id}`, 'data-event-id': e.id }, 'End now'),
      ),
    ),
  );
}

export function renderActiveEventsError(error) {
  $('active-events').replaceChildren(h('li', { class: 'bad' }, `Cannot list events: ${explain(error).text}`));
}

export function setupEventList(onChange) {
  $('active-events').addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-event-id]') : null;
    if (!button) return;
    const id = button.getAttribute('data-event-id');
    await withBusy(button, async () => {
      try {
        const { event: ended } = await api('POST', `/api/ami/events/${encodeURIComponent(id)}/end`, { tenantId: state.tenantId });
        showMessage('events-message', { ok: true, text: `Event #${ended.id} (${ended.type}, feeder ${ended.feederId}) ended at ${localTime(ended.endsAt)}.` });
        onChange();
      } catch (error) {
        showMessage('events-message', { ok: false, error });
      }
    });
  });
}
