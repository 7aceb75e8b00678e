import type pg from 'pg';
import type { ActiveEvent, EventType } from '../emulator/index.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const EVENT_COLUMNS = `id::int as id, feeder_id as "feederId", type, severity, starts_at as "startsAt", ends_at as "endsAt"`;

/** Events of a tenant active at `readAt` (starts_at <= readAt < ends_at), all feeders. */
export async function eventsActiveAt(db: Queryable, tenantId: string, readAt: Date): Promise<ActiveEvent[]> {
  const { rows } = await db.query<ActiveEvent>(
    `select ${EVENT_COLUMNS} from ami_events
      where tenant_id = $1 and starts_at <= $2 and (ends_at is null or ends_at > $2)
      order by id`,
    [tenantId, readAt],
  );
  return rows;
}

/** One row of `ami_events`, as the API shows it. */
export interface GridEvent extends ActiveEvent {
  tenantId: string;
}

const GRID_EVENT_COLUMNS = `id::int as id, tenant_id as "tenantId", feeder_id as "feederId", type, severity, starts_at as "startsAt", ends_at as "endsAt"`;

export interface NewEvent {
  tenantId: string;
  feederId: number;
  type: EventType;
  severity: number;
  startsAt: Date;
  endsAt: Date | null;
}

/**
 * Inserts an event on a feeder the tenant has; undefined (nothing written)
 * when the tenant has no such feeder.
 */
export async function insertEvent(db: Queryable, event: NewEvent): Promise<GridEvent | undefined> {
  const { rows } = await db.query<GridEvent>(
    `insert into ami_events (tenant_id, feeder_id, type, severity, starts_at, ends_at)
     select f.tenant_id, f.feeder_id, $3, $4, $5, $6
       from ami_feeders f
      where f.tenant_id = $1 and f.feeder_id = $2
     returning ${GRID_EVENT_COLUMNS}`,
    [event.tenantId, event.feederId, event.type, event.severity, event.startsAt, event.endsAt],
  );
  return rows[0];
}

/** The feeder count of a tenant's fleet, or undefined when it has no fleet. */
export async function fleetFeederCount(db: Queryable, tenantId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ feeder_count: number }>('select feeder_count from ami_fleets where tenant_id = $1', [tenantId]);
  return rows[0]?.feeder_count;
}

/**
 * A tenant's events, newest start first, at most `limit`; with `activeAt`,
 * only those in force then (starts_at <= activeAt < ends_at).
 */
export async function listEvents(
  db: Queryable,
  options: { tenantId: string; feederId?: number | undefined; activeAt?: Date | undefined; limit: number },
): Promise<GridEvent[]> {
  const { rows } = await db.query<GridEvent>(
    `select ${GRID_EVENT_COLUMNS} from ami_events
      where tenant_id = $1
        and ($2::int is null or feeder_id = $2)
        and ($3::timestamptz is null or (starts_at <= $3 and (ends_at is null or ends_at > $3)))
      order by starts_at desc, id desc
      limit $4`,
    [options.tenantId, options.feederId ?? null, options.activeAt ?? null, options.limit],
  );
  return rows;
}

export type EndOutcome =
  | { outcome: 'ended'; event: GridEvent }
  | { outcome: 'not-found' }
  | { outcome: 'already-ended'; event: GridEvent }
  | { outcome: 'not-started'; event: GridEvent };

/**
 * Ends an event in force at `at` by setting ends_at = at, so reads with
 * read_at >= at are no longer affected. An event already ended, or not yet
 * started (ending it would leave an empty window), is left as it is.
 */
export async function endEvent(db: Queryable, id: number, at: Date, tenantId?: string): Promise<EndOutcome> {
  const updated = await db.query<GridEvent>(
    `update ami_events set ends_at = $2
      where id = $1 and ($3::text is null or tenant_id = $3)
        and starts_at < $2 and (ends_at is null or ends_at > $2)
      returning ${GRID_EVENT_COLUMNS}`,
    [id, at, tenantId ?? null],
  );
  if (updated.rows[0]) return { outcome: 'ended', event: updated.rows[0] };
  const { rows } = await db.query<GridEvent>(
    `select ${GRID_EVENT_COLUMNS} from ami_events where id = $1 and ($2::text is null or tenant_id = $2)`,
    [id, tenantId ?? null],
  );
  const event = rows[0];
  if (!event) return { outcome: 'not-found' };
  return event.startsAt.getTime() >= at.getTime() ? { outcome: 'not-started', event } : { outcome: 'already-ended', event };
}
