import type { Queryable } from '../db/pool.ts';
import { intervalSeries, seriesContext } from '../db/series.ts';

/** Longest window the series endpoint serves: two days of intervals. */
export const MAX_SERIES_HOURS = 48;

/**
 * GET /api/ami/kpi/series: the dashboard's charts. The window ends at the
 * tenant's newest fully published interval (like every KPI, never the wall
 * clock) and spans `hours`: for 24 hours of a 15-minute tenant, the 96
 * intervals from latest - 23:45 to latest. Intervals without any read have
 * no point, so a gap stays visible as one.
 */
export async function kpiSeries(db: Queryable, tenantId: string, hours: number) {
  const context = await seriesContext(db, tenantId);
  const to = context.latestInterval;
  const from = to && new Date(to.getTime() - hours * 3_600_000 + context.intervalMinutes * 60_000);
  const points = to && from ? await intervalSeries(db, tenantId, from, to) : [];
  return {
    ok: true as const,
    tenantId,
    intervalMinutes: context.intervalMinutes,
    timeZone: context.timeZone,
    hours,
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    points: points.map((point) => ({ ...point, readAt: point.readAt.toISOString() })),
  };
}
