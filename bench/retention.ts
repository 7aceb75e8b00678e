/**
 * The `retention` section of `npm run bench`: two UTC days of a 25,000-meter
 * fleet, then the retention dropping the older day (SPEC section 14): the
 * time of pruneReads, and the newer day's reads and rollup untouched. Then
 * the bytes a read takes, table and primary key, in this layout and in the
 * column order before migration 000012, on the same day of reads.
 */
import { detachOldReads, dropDetachedReads } from '../src/db/retention.ts';
import { loadHistory, registerFleet } from './history.ts';
import { fmt, scratchDatabase, target } from './scratch.ts';

const METERS = 25_000;
const DAY = 86_400_000;

export async function retentionSection(): Promise<void> {
  console.log(`\n## Retention: a day of ${fmt(METERS)} meters dropped\n`);
  const db = await scratchDatabase('retention', 8);
  try {
    // Two whole UTC days (00:00 to 23:45), the newer one yesterday.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const dayOne = new Date(today - 2 * DAY);
    const dayTwo = new Date(today - DAY);
    const shape = { tenantId: 'RETAIN', meterCount: METERS, feederCount: 25, latest: new Date(today - 900_000), intervals: 192, connections: 2 };
    await registerFleet(db.pool, shape);
    await loadHistory(db.pool, shape);
    await db.pool.query('vacuum analyze');
    const newer = async () =>
      (
        await db.pool.query(
          `select (select count(*)::int from meter_reads_electric where read_at >= $1) as reads,
                  (select sum(kwh::numeric)::text from meter_reads_electric where read_at >= $1) as kwh,
                  (select count(*)::int from ami_interval_feeders where read_at >= $1) as rollup_rows,
                  (select sum(reporting_meters)::int from ami_interval_feeders where read_at >= $1) as rollup_reads`,
          [dayTwo],
        )
      ).rows[0];
    const before = await newer();

    // Storage of one day's partition, then the same reads in the former column order.
    const partition = `meter_reads_electric_p${dayOne.toISOString().slice(0, 10).replaceAll('-', '')}`;
    const sizes = async (table: string) =>
      (
        await db.pool.query<{ reads: number; heap: number; index: number }>(
          `select (select count(*)::int from ${table}) as reads, pg_table_size('${table}')::float8 as heap, pg_indexes_size('${table}')::float8 as index`,
        )
      ).rows[0]!;
    const now = await sizes(partition);
    await db.pool.query(`create table bench_former_layout (
      tenant_id text not null, read_at timestamptz not null, meter_id integer not null, feeder_id integer not null,
      kwh real not null, voltage real not null, baseline_kwh real not null, kwh_received real not null default 0,
      status smallint not null default 0, received_at timestamptz, delivery smallint not null default 0,
      primary key (tenant_id, read_at, meter_id))`);
    await db.pool.query(`insert into bench_former_layout (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, received_at, delivery)
      select tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, kwh_received, status, received_at, delivery from ${partition} order by read_at, meter_id`);
    await db.pool.query('vacuum analyze bench_former_layout');
    const former = await sizes('bench_former_layout');
    console.log('| layout | reads | table bytes/read | primary key bytes/read | total bytes/read |');
    console.log('|---|---|---|---|---|');
    for (const [label, s] of [
      ['8-byte, 4-byte, 2-byte columns, then tenant_id (migration 000012)', now],
      ['the former order (tenant_id first)', former],
    ] as const) {
      console.log(`| ${label} | ${fmt(s.reads)} | ${fmt(s.heap / s.reads, 1)} | ${fmt(s.index / s.reads, 1)} | ${fmt((s.heap + s.index) / s.reads, 1)} |`);
    }
    await db.pool.query('drop table bench_former_layout');

    // pruneReads, step by step: the day out of the table (what readers see), then its files removed.
    const started = performance.now();
    const pruned = await detachOldReads(db.pool, dayTwo);
    const detachMs = performance.now() - started;
    const dropped = await dropDetachedReads(db.pool);
    const dropMs = performance.now() - started - detachMs;
    const after = await newer();
    const untouched = JSON.stringify(before) === JSON.stringify(after);
    const gone = (await db.pool.query(`select count(*)::int as n from pg_class where relname = any($1)`, [dropped])).rows[0].n === 0;
    console.log(
      `\npruneReads(${dayTwo.toISOString().slice(0, 10)}): ${fmt(pruned.readsDeleted)} reads in ${pruned.partitionsDropped.join(', ')} out of the table with their rollup rows in ${fmt(detachMs, 1)} ms (detach), the table dropped ${fmt(dropMs, 1)} ms after (${gone ? 'gone' : 'STILL THERE'}); the newer day ${untouched ? 'untouched' : 'CHANGED'} (${fmt(after!.reads)} reads, ${after!.rollup_rows} rollup rows)`,
    );
    target(
      `retention of a day of ${fmt(METERS)} meters (${fmt(pruned.readsDeleted)} reads): the day out of the reads table and the rollup, one transaction`,
      '< 100 ms, nothing newer touched',
      `${fmt(detachMs, 1)} ms, ${untouched ? 'newer day untouched' : 'newer day CHANGED'}`,
      detachMs < 100 && untouched,
    );
    target(
      'then its partition dropped (the files removed), its own transaction, no lock on the reads table',
      'measured',
      `${fmt(dropMs, 1)} ms (total ${fmt(detachMs + dropMs, 1)} ms)`,
      gone ? null : false,
    );
    target(
      'storage per read, table + primary key (one day partition)',
      'smaller than the former column order',
      `${fmt((now.heap + now.index) / now.reads, 1)} B (former order ${fmt((former.heap + former.index) / former.reads, 1)} B)`,
      now.heap + now.index < former.heap + former.index,
    );
  } finally {
    await db.drop();
  }
}
