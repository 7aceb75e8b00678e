import type pg from 'pg';
import type { ActiveEvent } from '../emulator/index.ts';

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
