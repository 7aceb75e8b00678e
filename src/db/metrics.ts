import type { DatabaseFigures } from '../metrics.ts';
import type { Queryable } from './pool.ts';
import { TASKS, type TaskDepth } from './queue.ts';

/**
 * What a Prometheus scrape reads from the database, in one cheap statement:
 * the queue by task and state (`ami_queue_depth()`, the one count; the data
 * plane's tasks are always listed, at zero when idle, so an alert never sees a
 * series vanish), and the newest complete tick of each tenant in automatic
 * mode (one backward probe of the ledger's primary key per tenant).
 */
export async function databaseFigures(db: Queryable): Promise<DatabaseFigures> {
  const { rows } = await db.query<{ queue: Array<{ task: string } & TaskDepth> | null; latest: Array<{ tenant_id: string; read_at: string }> | null }>(
    `select (select json_agg(q) from ami_queue_depth() q) as queue,
            (select json_agg(json_build_object('tenant_id', c.tenant_id, 'read_at', latest.read_at) order by c.tenant_id)
               from ami_auto_config c
               cross join lateral (
                 select t.read_at from ami_ticks t
                  where t.tenant_id = c.tenant_id and t.status = 'complete'
                  order by t.read_at desc
                  limit 1
               ) latest
              where c.enabled) as latest`,
  );
  const byTask = new Map((rows[0]?.queue ?? []).map(({ task, waiting, delayed, running, failed }) => [task, { waiting, delayed, running, failed }]));
  const idle: TaskDepth = { waiting: 0, delayed: 0, running: 0, failed: 0 };
  const tasks = new Set<string>([TASKS.publishBatch, TASKS.tick, TASKS.catchUp, ...byTask.keys()]);
  const queue = [...tasks].sort().map((task) => ({ task, ...(byTask.get(task) ?? idle) }));
  return { queue, latestComplete: (rows[0]?.latest ?? []).map((row) => ({ tenantId: row.tenant_id, readAt: new Date(row.read_at) })) };
}
