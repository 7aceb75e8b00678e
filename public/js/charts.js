// Charts of the last day (uPlot), fetched when a new interval lands.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { api, explain } from './api.js';
import { $, h, setText } from './dom.js';
import { localParts, localTime, num } from './format.js';
import { SERIES_HOURS, state, UNDER_VOLTAGE } from './state.js';

export async function loadSeriesIfNeeded(qc, generation) {
  if (qc.latestInterval === null) {
    state.series = null;
    state.seriesInterval = null;
    renderCharts();
    return;
  }
  const last = state.series?.points.at(-1);
  // The series is current when it ends at this interval with the same count
  // of reads: a newer interval, or batches still landing, fetch it again.
  const current =
    state.seriesInterval === qc.latestInterval && last?.readAt === qc.latestInterval && last.reportingMeters === qc.reportingSummary.reportingMeters;
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
  const columns = { x: [], rate: [], firstRate: [], kwh: [], baseline: [], temperature: [], minV: [], meanV: [], limit: [] };
  let previous = null;
  const push = (x, p) => {
    columns.x.push(x);
    columns.rate.push(p ? p.reportingRatePct : null);
    columns.firstRate.push(p ? (p.firstDeliveryRatePct ?? null) : null);
    columns.kwh.push(p ? p.totalKwh : null);
    columns.baseline.push(p ? p.baselineKwh : null);
    columns.temperature.push(p ? (p.temperatureC ?? null) : null);
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
/** 24-hour ticks on the tenant's clock, with the date under the first one and under each local midnight. */
const timeTicks = (_u, splits) =>
  splits.map((s, i) => {
    const p = localParts(s * 1000);
    const midnight = p.hour === '00' && p.minute === '00';
    return i === 0 || midnight ? `${p.hour}:${p.minute}\n${p.day} ${p.month}` : `${p.hour}:${p.minute}`;
  });

const CHARTS = [
  {
    id: 'chart-reporting',
    columns: (c) => [c.x, c.rate, c.firstRate],
    series: [
      { label: 'Reporting rate now', stroke: '#1f5fbf', width: 2, fill: 'rgba(31, 95, 191, 0.08)', value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} %`) },
      // Late and backfilled reads lift "now" above it: the gap is what came after the tick.
      { label: 'At first delivery', stroke: '#8a4b00', width: 1.5, dash: [5, 3], value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} %`) },
    ],
    range: (_u, min) => [Math.max(0, Math.min(90, Math.floor(((min ?? 100) - 2) / 10) * 10)), 100],
    yValues: (_u, values) => values.map((v) => `${v}%`),
  },
  {
    id: 'chart-kwh',
    columns: (c) => [c.x, c.kwh, c.baseline, c.temperature],
    series: [
      { label: 'Total kWh', stroke: '#0b7a75', width: 2, value: (_u, v) => (v === null ? '–' : num(v, 1)) },
      { label: 'Load model (baseline)', stroke: '#6b7280', width: 1.5, dash: [6, 4], value: (_u, v) => (v === null ? '–' : num(v, 1)) },
      // The weather that drove the heating and cooling load, on its own axis at the right.
      { label: 'Outdoor °C', stroke: '#c2410c', width: 1, scale: 'temp', value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} °C`) },
    ],
    extraScales: { temp: { range: (_u, min, max) => [Math.floor((min ?? 0) - 2), Math.ceil((max ?? 20) + 2)] } },
    extraAxes: [{ scale: 'temp', side: 1, size: 44, grid: { show: false }, values: (_u, values) => values.map((v) => `${v}°`) }],
    range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1],
    // Compact ticks (7.5k) keep a 25,000-meter fleet's totals inside the axis.
    yValues: (_u, values) => values.map((v) => (Math.abs(v) >= 1000 ? `${num(v / 1000, v % 1000 === 0 ? 0 : 1)}k` : num(v, v % 1 === 0 ? 0 : 1))),
  },
  {
    id: 'chart-voltage',
    columns: (c) => [c.x, c.minV, c.meanV, c.limit],
    series: [
      { label: 'Min voltage', stroke: '#b45309', width: 2, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} V`) },
      { label: 'Mean voltage', stroke: '#1f5fbf', width: 1.5, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} V`) },
      { label: '114 V (ANSI Range A)', stroke: '#c0262d', width: 1, dash: [4, 4], points: { show: false }, value: () => '114 V' },
    ],
    range: (_u, min, max) => [Math.min(Math.floor((min ?? 110) - 2), 110), Math.max(Math.ceil((max ?? 126) + 1), 126)],
    yValues: (_u, values) => values.map((v) => `${v}`),
  },
];

export function renderCharts() {
  const series = state.series;
  const points = series?.points ?? [];
  if (!series || points.length === 0) {
    setText('series-status', state.quickcheck?.latestInterval ? 'No reads in the window.' : 'No reads yet.', 'muted');
  } else {
    const first = points[0].readAt;
    const last = points.at(-1).readAt;
    setText('series-status', `${points.length} interval${points.length === 1 ? '' : 's'}, ${localTime(first)} to ${localTime(last)}`, 'muted');
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
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), state.timeZone),
        series: [
          { label: 'Interval', value: (_u, ts) => (ts === null || ts === undefined ? '–' : localTime(new Date(ts * 1000).toISOString())) },
          ...chart.series.map((s) => ({ spanGaps: false, points: { size: 4 }, ...s })),
        ],
        scales: { x: { time: true }, y: { range: chart.range }, ...(chart.extraScales ?? {}) },
        axes: [
          { ...AXIS, space: 64, values: timeTicks },
          { ...AXIS, size: 52, values: chart.yValues },
          ...(chart.extraAxes ?? []).map((axis) => ({ ...AXIS, ...axis })),
        ],
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
