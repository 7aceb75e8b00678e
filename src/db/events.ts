import type pg from 'pg';
import type { GridEvent, EventType } from '../emulator/index.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const EVENT_COLUMNS = `id::int as id, feeder_id as "feederId", type, severity, starts_at as "startsAt", ends_at as "endsAt", backfill`;

/**
 * Events of a tenant that bear on the interval ending at `readAt`, all
 * feeders: those in force at `readAt` (public.ami_in_force), and power
 * outages over any part of the interval (src/emulator/events.ts sorts out
 * which applies how).
 */
export async function eventsForInterval(db: Queryable, tenantId: string, readAt: Date, intervalMinutes: number): Promise<GridEvent[]> {
  const { rows } = await db.query<GridEvent>(
    `select ${EVENT_COLUMNS} from ami_events
      where tenant_id = $1
        and (ami_in_force(starts_at, ends_at, $2)
             or (type = 'power-outage' and starts_at < $2 and (ends_at is null or ends_at > $2 - make_interval(mins => $3))))
      order by id`,
    [tenantId, readAt, intervalMinutes],
  );
  return rows;
}

/** One row of `ami_events`, as the API shows it. */
export interface EventRecord extends GridEvent {
  tenantId: string;
}

const GRID_EVENT_COLUMNS = `id::int as id, tenant_id as "tenantId", feeder_id as "feederId", type, severity, starts_at as "startsAt", ends_at as "endsAt", backfill`;

export interface NewEvent {
  tenantId: string;
  feederId: number;
  type: EventType;
  severity: number;
  startsAt: Date;
  endsAt: Date | null;
  /** comms-outage: send the withheld reads once it ends (true, the default) or lose them. */
  backfill?: boolean | undefined;
}

/**
 * Inserts an event on a feeder the tenant has; undefined (nothing written)
 * when the tenant has no such feeder.
 */
export async function insertEvent(db: Queryable, event: NewEvent): Promise<EventRecord | undefined> {
  const { rows } = await db.query<EventRecord>(
    `insert into ami_events (tenant_id, feeder_id, type, severity, starts_at, ends_at, backfill)
     select f.tenant_id, f.feeder_id, $3, $4, $5, $6, $7
       from ami_feeders f
      where f.tenant_id = $1 and f.feeder_id = $2
     returning ${GRID_EVENT_COLUMNS}`,
    [event.tenantId, event.feederId, event.type, event.severity, event.startsAt, event.endsAt, event.backfill ?? true],
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
 * only those in force then (public.ami_in_force).
 */
export async function listEvents(
  db: Queryable,
  options: { tenantId: string; feederId?: number | undefined; activeAt?: Date | undefined; limit: number },
): Promise<EventRecord[]> {
  const { rows } = await db.query<EventRecord>(
    `select ${GRID_EVENT_COLUMNS} from ami_events
      where tenant_id = $1
        and ($2::int is null or feeder_id = $2)
        and ($3::timestamptz is null or ami_in_force(starts_at, ends_at, $3))
      order by starts_at desc, id desc
      limit $4`,
    [options.tenantId, options.feederId ?? null, options.activeAt ?? null, options.limit],
  );
  return rows;
}

export type EndOutcome =
  | { outcome: 'ended'; event: EventRecord }
  /** A scheduled event ended at or before its start: its window is empty, it never applies. */
  | { outcome: 'cancelled'; event: EventRecord }
  | { outcome: 'not-found' }
  | { outcome: 'already-ended'; event: EventRecord };

/**
 * Ends an event at `at`: one in force gets ends_at = at, so reads with
 * read_at >= at are no longer affected; one that has not started yet (a
 * scheduled event, or one ending at its very start) is cancelled, ends_at =
 * starts_at: an empty window that applies to nothing, kept for the record.
 * An event already ended is left as it is.
 */
export async function endEvent(db: Queryable, id: number, at: Date, tenantId?: string): Promise<EndOutcome> {
  const updated = await db.query<EventRecord & { cancelled: boolean }>(
    `update ami_events set ends_at = greatest(starts_at, $2)
      where id = $1 and ($3::text is null or tenant_id = $3)
        -- not ended yet, and not cancelled already (an empty window)
        and (ends_at is null or (ends_at > $2 and ends_at > starts_at))
      returning ${GRID_EVENT_COLUMNS}, starts_at >= $2 as cancelled`,
    [id, at, tenantId ?? null],
  );
  const row = updated.rows[0];
  if (row) {
    const { cancelled, ...event } = row;
    return cancelled ? { outcome: 'cancelled', event } : { outcome: 'ended', event };
  }
  const { rows } = await db.query<EventRecord>(`select ${GRID_EVENT_COLUMNS} from ami_events where id = $1 and ($2::text is null or tenant_id = $2)`, [
    id,
    tenantId ?? null,
  ]);
  const event = rows[0];
  return event ? { outcome: 'already-ended', event } : { outcome: 'not-found' };
}
