// The latest interval: headline figures, stale buckets, energy, voltage and the feeder table.
import { $, h, setText } from './dom.js';
import { deviationClass, localTime, num, pct, rateClass, relative, serverNow, signedPct, underVoltageClass, utcTitle } from './format.js';
import { state } from './state.js';

export function renderQuickcheck(qc) {
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
  setText('energy-deviation', deviation === undefined ? '–' : signedPct(deviation), deviationClass(deviation, qc.energy.kwhDeviationNoisePct));
  $('energy-deviation').title =
    qc.energy.kwhDeviationNoisePct === null
      ? ''
      : `The load model's own spread for ${num(r.reportingMeters)} meters: ±${num(qc.energy.kwhDeviationNoisePct, 2)} % (one sd)`;
  setText('energy-received', qc.energy.receivedKwh === undefined ? '–' : `${num(qc.energy.receivedKwh, 1)} kWh`);

  const v = qc.voltage;
  setText('voltage-mean', num(v.mean, 1));
  const underClass = underVoltageClass(v.under114, r.reportingMeters);
  setText('voltage-min', v.min === null ? '–' : `${num(v.min, 1)} V`, underClass);
  setText('voltage-max', v.max === null ? '–' : `${num(v.max, 1)} V`);
  setText('voltage-under114', num(v.under114), underClass);
  setText('voltage-over126', num(v.over126), v.over126 > 0 ? 'warn' : '');

  renderCollection(qc);
  renderFeeders(qc);
  renderFeederOptions(qc.feeders);
}

/** How the reads reach the head-end: read success, the interval's deliveries, meters without power. */
function renderCollection(qc) {
  const c = qc.collection;
  const o = qc.outage;
  if (!c || !o) return;
  setText('read-success-4h', c.readSuccess4hPct === null ? '–' : pct(c.readSuccess4hPct), rateClass(c.readSuccess4hPct));
  $('read-success-4h').title = 'Of the reads expected in the interval 4 h before the latest one, the share in within 4 h of its end';
  setText('read-success-24h', c.readSuccess24hPct === null ? '–' : pct(c.readSuccess24hPct), rateClass(c.readSuccess24hPct));
  setText('collection-delivery', `${num(c.onTimeReads)} / ${num(c.lateReads)} / ${num(c.backfilledReads)}`);
  setText('meters-without-power', num(o.metersWithoutPower), o.metersWithoutPower > 0 ? 'bad' : '');
  setText('outage-messages', `${num(o.lastGasps)} / ${num(o.restorations)}`);
  setText(
    'collection-profile',
    c.profile === 'typical'
      ? 'Typical network: a few percent of reads arrive late, some meters are unreachable for days and send their reads once back.'
      : 'Ideal network: every read arrives with its tick unless an event withholds it.',
    'hint',
  );
}

export function renderLatestInterval() {
  const qc = state.quickcheck;
  if (!qc) return;
  if (qc.latestInterval === null) {
    setText('latest-interval', 'no reads yet');
    setText('latest-age', 'start automatic mode below, or publish an interval', 'muted');
    return;
  }
  setText('latest-interval', localTime(qc.latestInterval));
  $('latest-interval').title = utcTitle(qc.latestInterval);
  const ageMs = serverNow() - Date.parse(qc.latestInterval);
  // Two intervals and some slack without a newer one: the data plane is not publishing.
  const late = ageMs > (2 * qc.intervalMinutes + 5) * 60_000;
  const age = $('latest-age');
  age.replaceChildren(relative(qc.latestInterval));
  age.className = 'muted';
  if (late) age.append(' ', h('span', { class: 'stale-warning' }, '· no newer interval: is automatic mode on?'));
}

export function eventBadge(event, testId = 'event-badge') {
  const pending = event.affectsInterval === false;
  return h(
    'span',
    {
      class: `badge ${event.type}${pending ? ' pending' : ''}`,
      'data-testid': testId,
      'data-event-id': event.id,
      'data-event-type': event.type,
      title: `${event.type}, severity ${event.severity}, since ${localTime(event.startsAt)}${event.endsAt ? ` until ${localTime(event.endsAt)}` : ''}${pending ? ' (not in this interval\u2019s reads yet)' : ''}`,
    },
    event.type,
    ' ',
    num(event.severity, 2),
  );
}

export function renderFeeders(qc) {
  const rows = qc.feeders.map((f) => {
    const rateCls = rateClass(f.reportingRatePct);
    const devCls = deviationClass(f.kwhDeviationPct, f.kwhDeviationNoisePct);
    const underCls = underVoltageClass(f.under114, f.reportingMeters);
    const events = f.activeEvents ?? [];
    return h(
      'tr',
      { 'data-testid': `feeder-row-${f.feederId}`, 'data-feeder-id': f.feederId, class: events.length > 0 ? 'has-event' : undefined },
      h(
        'td',
        {},
        h('strong', {}, `Feeder ${f.feederId}`),
        events.length > 0
          ? h(
              'div',
              { class: 'narrow-only' },
              events.map((e) => eventBadge(e, 'event-badge-compact')),
            )
          : null,
      ),
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
      h(
        'td',
        {
          class: 'num',
          'data-testid': `feeder-deviation-${f.feederId}`,
          title:
            f.kwhDeviationNoisePct === null ? undefined : `model spread for ${num(f.reportingMeters)} meters: ±${num(f.kwhDeviationNoisePct, 2)} % (one sd)`,
        },
        h('span', { class: devCls ? `cell-flag ${devCls}` : undefined }, signedPct(f.kwhDeviationPct)),
      ),
      h('td', { class: 'num wide-only' }, num(f.meanVoltage, 1)),
      h(
        'td',
        { class: 'num', 'data-testid': `feeder-min-voltage-${f.feederId}` },
        h('span', { class: underCls ? `cell-flag ${underCls}` : undefined }, num(f.minVoltage, 1)),
      ),
      h('td', { class: `num ${underCls}` }, num(f.under114)),
      h('td', { class: `num ${f.metersWithoutPower > 0 ? 'bad' : ''}`, 'data-testid': `feeder-without-power-${f.feederId}` }, num(f.metersWithoutPower ?? 0)),
      h(
        'td',
        { class: 'wide-only', 'data-testid': `feeder-events-${f.feederId}` },
        events.length > 0 ? events.map((e) => eventBadge(e)) : h('span', { class: 'muted' }, '–'),
      ),
    );
  });
  const body = $('feeder-rows');
  if (rows.length === 0) body.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 10 }, 'No feeders registered for this tenant yet.')));
  else body.replaceChildren(...rows);
}

export function renderFeederOptions(feeders) {
  const select = $('event-feeder');
  const wanted = feeders.map((f) => String(f.feederId));
  const current = [...select.options].map((o) => o.value);
  if (wanted.join() === current.join()) return;
  const selected = select.value;
  select.replaceChildren(
    ...(wanted.length > 0 ? wanted.map((id) => h('option', { value: id }, `Feeder ${id}`)) : [h('option', { value: '' }, 'no feeders yet')]),
  );
  if (wanted.includes(selected)) select.value = selected;
}
