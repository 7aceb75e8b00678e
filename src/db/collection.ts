import type pg from 'pg';
import { type Delivery, METER_EVENT_SPREAD_MS, type MeterEventType } from '../emulator/index.ts';
import type { Queryable } from './pool.ts';
import { type DeliveredRead, readColumns } from './writeBatch.ts';

/**
 * The head-end's side of collection: reads waiting in the meters' memory or
 * in the network (ami_pending_reads), and the events meters send on their own
 * (ami_meter_events).
 */

/** The intervals with reads due at `now`, oldest first: each is one ami_deliver job. */
export async function dueIntervals(db: Queryable, now: Date, limit: number): Promise<Array<{ tenantId: string; readAt: Date; due: number }>> {
  const { rows } = await db.query<{ tenantId: string; readAt: Date; due: number }>(
    `select tenant_id as "tenantId", read_at as "readAt", count(*)::int as due
       from (select p.tenant_id, p.read_at from ami_pending_reads p where p.arrive_at <= $1
             union all
             select p.tenant_id, p.read_at
               from ami_events e
               join ami_pending_reads p on p.held_by = e.id
              where e.ends_at is not null and e.ends_at + make_interval(secs => p.drain_ms / 1000.0) <= $1) due
      group by tenant_id, read_at
      order by read_at, tenant_id
      limit $2`,
    [now, limit],
  );
  return rows;
}

/**
 * Takes (deletes) up to `limit` reads of one interval that are due at `now`,
 * inside the caller's transaction, which then writes them: a read leaves this
 * table in the transaction that stores it. Rows another delivery holds are
 * skipped, not waited for.
 */
export async function takeDueReads(
  client: pg.PoolClient,
  key: { tenantId: string; readAt: Date; now: Date; limit: number },
): Promise<Array<{ meterId: number; delivery: Delivery }>> {
  const { rows } = await client.query<{ meterId: number; delivery: Delivery }>(
    `with due as (
       select p.tenant_id, p.read_at, p.meter_id
         from ami_pending_reads p
         left join ami_events e on e.id = p.held_by
        where p.tenant_id = $1 and p.read_at = $2
          and coalesce(p.arrive_at, e.ends_at + make_interval(secs => p.drain_ms / 1000.0)) <= $3
        order by p.meter_id
        limit $4
        for update of p skip locked
     )
     delete from ami_pending_reads p
      using due
      where p.tenant_id = due.tenant_id and p.read_at = due.read_at and p.meter_id = due.meter_id
     returning p.meter_id as "meterId", p.delivery`,
    [key.tenantId, key.readAt, key.now, key.limit],
  );
  return rows.sort((a, b) => a.meterId - b.meterId);
}

/** Reads still on their way, for status and tests: due now, later, or held by an event still in force. */
export async function pendingCounts(db: Queryable, tenantId: string): Promise<{ waiting: number; held: number }> {
  const { rows } = await db.query<{ waiting: number; held: number }>(
    `select (count(*) filter (where arrive_at is not null))::int as waiting, (count(*) filter (where held_by is not null))::int as held
       from ami_pending_reads where tenant_id = $1`,
    [tenantId],
  );
  return rows[0]!;
}

/** A power outage whose last gasps or restorations are due at `now` and not written yet. */
export interface PowerOutageToRecord {
  id: number;
  tenantId: string;
  feederId: number;
  severity: number;
  startsAt: Date;
  endsAt: Date | null;
  /** Last gasps still to write (its start has come). */
  gasps: boolean;
  /** Restorations still to write (its end has come). */
  restorations: boolean;
}

/**
 * The power outages whose last gasps (start) or restorations (end) have all
 * been sent by `now` and are not written yet: of one tenant, or every one.
 */
export async function powerOutagesToRecord(db: Queryable, now: Date, tenantId?: string): Promise<PowerOutageToRecord[]> {
  const { rows } = await db.query<PowerOutageToRecord>(
    `select e.id::int as id, e.tenant_id as "tenantId", e.feeder_id as "feederId", e.severity, e.starts_at as "startsAt", e.ends_at as "endsAt",
            not exists (select 1 from ami_meter_events m where m.event_id = e.id and m.type = 'last-gasp') as gasps,
            e.ends_at <= $2 and not exists (select 1 from ami_meter_events m where m.event_id = e.id and m.type = 'power-restored') as restorations
       from ami_events e
      where e.type = 'power-outage' and e.starts_at <= $2 and e.starts_at < coalesce(e.ends_at, 'infinity')
        and ($1::text is null or e.tenant_id = $1)
        and (not exists (select 1 from ami_meter_events m where m.event_id = e.id and m.type = 'last-gasp')
             or (e.ends_at <= $2 and not exists (select 1 from ami_meter_events m where m.event_id = e.id and m.type = 'power-restored')))
      order by e.id`,
    // An instant's messages are written once all of them have been sent (they spread over METER_EVENT_SPREAD_MS).
    [tenantId ?? null, new Date(now.getTime() - METER_EVENT_SPREAD_MS)],
  );
  return rows;
}

/** The meters of a feeder of a tenant's fleet now, by id. */
export async function feederMeters(db: Queryable, tenantId: string, feederId: number): Promise<number[]> {
  const { rows } = await db.query<{ meter_id: number }>(
    'select meter_id from ami_meters where tenant_id = $1 and feeder_id = $2 and active order by meter_id',
    [tenantId, feederId],
  );
  return rows.map((row) => row.meter_id);
}

export interface MeterEvent {
  meterId: number;
  type: MeterEventType;
  occurredAt: Date;
}

/** Writes meter events of one power outage (idempotent: the key is the meter, type and instant). */
export async function insertMeterEvents(
  db: Queryable,
  outage: { tenantId: string; feederId: number; eventId: number },
  events: MeterEvent[],
  receivedAt: Date,
): Promise<number> {
  if (events.length === 0) return 0;
  const result = await db.query(
    `insert into ami_meter_events (tenant_id, meter_id, feeder_id, type, occurred_at, received_at, event_id)
     select $1, e.meter_id, $2, e.type, e.occurred_at, $6, $3
       from unnest($4::int[], $5::text[], $7::timestamptz[]) as e(meter_id, type, occurred_at)
     on conflict do nothing`,
    [outage.tenantId, outage.feederId, outage.eventId, events.map((e) => e.meterId), events.map((e) => e.type), receivedAt, events.map((e) => e.occurredAt)],
  );
  return result.rowCount ?? 0;
}

/**
 * Writes reads delivered after their tick (late, backfilled) in one
 * statement, inside the caller's transaction (the one that took them from
 * ami_pending_reads): received_at `now`. A read already stored is not
 * written again. Returns how many were written.
 */
export async function insertDelivered(client: pg.PoolClient, tenantId: string, readAt: Date, reads: DeliveredRead[], now: Date): Promise<number> {
  if (reads.length === 0) return 0;
  const result = await client.query(
    `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery, received_at)
     select $1, $2, t.*, $3::timestamptz
       from unnest($4::int[], $5::int[], $6::real[], $7::real[], $8::real[], $9::real[], $10::smallint[], $11::smallint[])
         as t(meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, delivery)
     on conflict do nothing`,
    [tenantId, readAt, now, ...readColumns(reads)],
  );
  return result.rowCount ?? 0;
}
