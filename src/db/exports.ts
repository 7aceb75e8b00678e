import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import type { UsagePointReads } from '../export/greenbutton.ts';
import type { Queryable } from './pool.ts';

/**
 * The queries of the exports (Green Button, CSV). Both read one meter (or the
 * meters of one feeder) by probing the reads' primary key (tenant_id,
 * read_at, meter_id) once per meter and interval: read_at is on the fleet's
 * interval grid, so the intervals of the range can be listed, and a probe is a
 * few pages where a range scan would read every meter of the tenant in the
 * range (25,000 index entries per interval). A whole tenant is one range scan
 * of the primary key, already in the CSV's order.
 */

/** What an export needs to know of a tenant. */
export interface ExportFleet {
  timeZone: string;
  intervalMinutes: number;
}

export async function exportFleet(db: Queryable, tenantId: string): Promise<ExportFleet | undefined> {
  const { rows } = await db.query<ExportFleet>('select time_zone as "timeZone", interval_minutes as "intervalMinutes" from ami_fleets where tenant_id = $1', [
    tenantId,
  ]);
  return rows[0];
}

export async function feederExists(db: Queryable, tenantId: string, feederId: number): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from ami_feeders where tenant_id = $1 and feeder_id = $2', [tenantId, feederId]);
  return rowCount === 1;
}

/** A meter as an export describes it; `exports` when it has rooftop solar (pv_kw > 0). */
export interface ExportMeter {
  meterId: number;
  feederId: number;
  serviceClass: string;
  exports: boolean;
}

/** The registered meters of one meter id or one feeder (retired ones included: their reads are history), in meter order. */
export async function exportMeters(
  db: Queryable,
  tenantId: string,
  which: { meterId?: number | undefined; feederId?: number | undefined },
): Promise<ExportMeter[]> {
  const { rows } = await db.query<ExportMeter>(
    `select meter_id as "meterId", feeder_id as "feederId", service_class as "serviceClass", pv_kw > 0 as exports
       from ami_meters
      where tenant_id = $1 and ($2::int is null or meter_id = $2) and ($3::int is null or feeder_id = $3)
      order by meter_id`,
    [tenantId, which.meterId ?? null, which.feederId ?? null],
  );
  return rows;
}

/**
 * The interval ends (read_at) of (from, to] on a fleet's grid: the first
 * boundary after `from` and the last at or before `to`; `undefined` when the
 * range holds none.
 */
export function intervalEnds(from: Date, to: Date, intervalMinutes: number): { first: Date; last: Date } | undefined {
  const step = intervalMinutes * 60_000;
  const first = (Math.floor(from.getTime() / step) + 1) * step;
  const last = Math.floor(to.getTime() / step) * step;
  return first <= last ? { first: new Date(first), last: new Date(last) } : undefined;
}

/** Rows a Green Button export fetches from its cursor at a time. */
const CURSOR_ROWS = 2_000;

interface ReadRow {
  meter_id: number;
  read_at: Date;
  kwh: number;
  kwh_received: number;
  status: number;
}

/**
 * The reads of `meters` in (from, to], one meter at a time in meter order, each
 * oldest first, through a cursor: at most one meter's reads and one fetch of
 * rows are held at once, however many meters. A meter without reads in the
 * range comes with none (its UsagePoint is still described). The client must
 * be this iteration's alone until it ends.
 */
export async function* usagePointReads(
  client: pg.PoolClient,
  tenantId: string,
  meters: ExportMeter[],
  range: { from: Date; to: Date; intervalMinutes: number },
): AsyncGenerator<UsagePointReads> {
  const ends = intervalEnds(range.from, range.to, range.intervalMinutes);
  const point = (meter: ExportMeter): UsagePointReads => ({ ...meter, reads: [] });
  if (!ends || meters.length === 0) {
    for (const meter of meters) yield point(meter);
    return;
  }
  const cursor = client.query(
    new Cursor<ReadRow>(
      `select r.meter_id, r.read_at, r.kwh, r.kwh_received, r.status
         from unnest($2::int[]) as m(meter_id)
         cross join generate_series($3::timestamptz, $4::timestamptz, make_interval(mins => $5)) as t(read_at)
         cross join lateral (
           select meter_id, read_at, kwh, kwh_received, status from meter_reads_electric
            where tenant_id = $1 and read_at = t.read_at and meter_id = m.meter_id
         ) r
        order by r.meter_id, r.read_at`,
      [tenantId, meters.map((meter) => meter.meterId), ends.first, ends.last, range.intervalMinutes],
    ),
  );
  try {
    let next = 0;
    let current = point(meters[next]!);
    for (;;) {
      const rows = await cursor.read(CURSOR_ROWS);
      for (const row of rows) {
        while (row.meter_id !== current.meterId) {
          yield current;
          next += 1;
          current = point(meters[next]!);
        }
        current.reads.push({ readAt: row.read_at, kwh: row.kwh, kwhReceived: row.kwh_received, status: row.status });
      }
      if (rows.length < CURSOR_ROWS) break;
    }
    yield current;
    for (next += 1; next < meters.length; next++) yield point(meters[next]!);
  } finally {
    await cursor.close().catch(() => undefined);
  }
}

/**
 * The columns of the reads CSV, in order: the header row's names and the SQL
 * that writes each. One list, so a column the reads gain (received_at, ...) is
 * one line here. Instants are ISO 8601 in UTC; reals are written by
 * PostgreSQL's shortest exact form (0.1234, not 0.12340000271797180).
 */
export const READS_CSV_COLUMNS: ReadonlyArray<{ name: string; sql: string }> = [
  { name: 'tenant_id', sql: 'r.tenant_id' },
  { name: 'read_at', sql: `to_char(r.read_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')` },
  { name: 'meter_id', sql: 'r.meter_id' },
  { name: 'feeder_id', sql: 'r.feeder_id' },
  { name: 'kwh', sql: 'r.kwh' },
  { name: 'kwh_received', sql: 'r.kwh_received' },
  { name: 'voltage', sql: 'r.voltage' },
  { name: 'baseline_kwh', sql: 'r.baseline_kwh' },
  { name: 'status', sql: 'r.status' },
  { name: 'received_at', sql: `to_char(r.received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` },
  { name: 'delivery', sql: 'r.delivery' },
];

export interface ReadsCsvSelection {
  tenantId: string;
  from: Date;
  to: Date;
  intervalMinutes: number;
  feederId?: number | undefined;
  meterId?: number | undefined;
}

/**
 * The SELECT of the reads CSV, ordered by read_at then meter_id, with its
 * values written in as literals: COPY takes no bind parameters. Every value
 * is validated before it gets here (a tenant id of letters, digits, _ and -,
 * whole numbers, instants), and quoted as a literal all the same.
 */
export function readsCsvSelect(selection: ReadsCsvSelection): string {
  const columns = READS_CSV_COLUMNS.map((column) => `${column.sql} as ${pg.escapeIdentifier(column.name)}`).join(', ');
  const tenant = pg.escapeLiteral(selection.tenantId);
  const instant = (date: Date) => `${pg.escapeLiteral(date.toISOString())}::timestamptz`;
  const whole = (value: number) => {
    if (!Number.isSafeInteger(value)) throw new RangeError(`reads CSV: expected a whole number, got ${String(value)}`);
    return String(value);
  };
  if (selection.feederId === undefined && selection.meterId === undefined) {
    return `select ${columns} from meter_reads_electric r
             where r.tenant_id = ${tenant} and r.read_at > ${instant(selection.from)} and r.read_at <= ${instant(selection.to)}
             order by r.read_at, r.meter_id`;
  }
  const ends = intervalEnds(selection.from, selection.to, selection.intervalMinutes);
  if (!ends) return `select ${columns} from meter_reads_electric r where false`;
  const meterFilters = [
    `m.tenant_id = ${tenant}`,
    selection.feederId !== undefined ? `m.feeder_id = ${whole(selection.feederId)}` : undefined,
    selection.meterId !== undefined ? `m.meter_id = ${whole(selection.meterId)}` : undefined,
  ].filter(Boolean);
  return `select ${columns}
            from generate_series(${instant(ends.first)}, ${instant(ends.last)}, make_interval(mins => ${whole(selection.intervalMinutes)})) as t(read_at)
            cross join (select meter_id from ami_meters m where ${meterFilters.join(' and ')}) m
            cross join lateral (
              select * from meter_reads_electric
               where tenant_id = ${tenant} and read_at = t.read_at and meter_id = m.meter_id
               ${selection.feederId !== undefined ? `and feeder_id = ${whole(selection.feederId)}` : ''}
            ) r
           order by r.read_at, r.meter_id`;
}

/** The reads CSV as a stream of COPY output (header row first), to pipe to a response. */
export function readsCsvStream(client: pg.PoolClient, selection: ReadsCsvSelection) {
  return client.query(copyTo(`copy (${readsCsvSelect(selection)}) to stdout with (format csv, header)`));
}
