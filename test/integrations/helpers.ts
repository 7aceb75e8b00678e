import type { Express } from 'express';
import type { Deps } from '../../src/deps.ts';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import type { TestDatabase } from '../helpers/db.ts';

/**
 * Publishes one interval of a tenant through the real ingest and lands every
 * batch in this process, as the worker would (test/kpi/past.test.ts does the
 * same): the ledger, the reads, the rollup and the metrics hooks all run.
 */
export async function landTick(
  db: TestDatabase,
  deps: Deps,
  tick: { tenantId: string; readAt: Date; meterCount: number; feederCount: number; batchSize?: number; timeZone?: string; solarShare?: number },
): Promise<void> {
  const result = await publishTick(deps, tick.tenantId, tick.readAt, tick.meterCount, tick.feederCount, tick.batchSize ?? 100, {
    requestedBy: 'manual',
    onBackpressure: 'refuse',
    timeZone: tick.timeZone,
    solarShare: tick.solarShare,
  });
  if (result.outcome !== 'enqueued') throw new Error(`${tick.tenantId} ${tick.readAt.toISOString()}: ${result.outcome}`);
  const key = `ami_publish_batch:${tick.tenantId}:${tick.readAt.toISOString()}:%`;
  const { rows } = await db.pool.query('select payload from graphile_worker._private_jobs where key like $1', [key]);
  for (const { payload } of rows) await publishBatch(deps, payload);
  await db.pool.query('delete from graphile_worker._private_jobs where key like $1', [key]);
}

/** Every interval end in (from, to] on a 15-minute grid. */
export function quarterHoursIn(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let t = Math.floor(from.getTime() / 900_000) * 900_000 + 900_000; t <= to.getTime(); t += 900_000) out.push(new Date(t));
  return out;
}

export interface AppRoute {
  /** The Express pattern, e.g. /api/ami/events/:id/end. */
  path: string;
  /** Lower-case methods with a handler of their own; `_all` (a 405 of allowOnly) is left out. */
  methods: string[];
}

/** The routes an Express app has registered, found by walking its router (nested routers included). */
export function appRoutes(app: Express): AppRoute[] {
  const found = new Map<string, Set<string>>();
  const walk = (stack: Array<{ route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }>) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = found.get(layer.route.path) ?? new Set();
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') methods.add(method);
        found.set(layer.route.path, methods);
      } else if (Array.isArray(layer.handle?.stack)) {
        walk(layer.handle.stack as typeof stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: typeof walk extends (s: infer S) => void ? S : never } }).router.stack);
  return [...found].map(([path, methods]) => ({ path, methods: [...methods].sort() }));
}

/** An Express path pattern as an OpenAPI path: /api/ami/events/:id/end -> /api/ami/events/{id}/end. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}
