/**
 * `npm run bench:floor`: what one interval of a large fleet costs to write, taken apart. Not a test; it asserts nothing.
 *
 * The same 200 statements of 5,000 reads over 8 connections (bench/raw.ts, the raw ceiling of `npm run bench`) three
 * ways, in this order, on a registered fleet:
 *   1. as shipped: the reads trigger keeps the rollup, each meter's newest read, the histogram and the gaps;
 *   2. the reads trigger without its newest-read update (ami_meter_last_reads, and with it the histogram's moves and
 *      the gaps a read opens): what the rest of the trigger costs;
 *   3. no trigger at all (session_replication_role = replica, superuser only): the bare INSERT ... ON CONFLICT DO
 *      NOTHING into the partitioned table, the floor of any design that keeps that statement and its primary key.
 * Way 2 edits the trigger function of this scratch database only (dropped at the end); it leaves the newest reads
 * behind, so it runs after way 1.
 *
 *   FLOOR_METERS   meters (default 1000000)
 *   FLOOR_RUNS     runs of each way, the median printed (default 3)
 */
import os from 'node:os';
import { getAlignedIntervalTimestamp } from '../src/emulator/index.ts';
import { rawFleet, rawInsert } from './raw.ts';
import { fmt, median, scratchDatabase } from './scratch.ts';

const QUARTER = 900_000;
const METERS = Number(process.env.FLOOR_METERS ?? 1_000_000);
const RUNS = Number(process.env.FLOOR_RUNS ?? 3);

/** The newest-read part of ami_private.reads_inserted(), from its update of ami_meter_last_reads to the select that ends it. */
const NEWEST_READ_START = '    with moved as (\n';
const NEWEST_READ_END = '      from moved;\n';

const db = await scratchDatabase('floor');
try {
  const { rows: version } = await db.pool.query<{ server_version: string }>('show server_version');
  console.log(`# npm run bench:floor: ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; PostgreSQL ${version[0]!.server_version}\n`,
  );
  const now = getAlignedIntervalTimestamp(15, new Date());
  let intervalsBack = 3 * RUNS + 2;
  const nextInterval = () => new Date(now.getTime() - intervalsBack-- * QUARTER);
  await db.pool.query('select ami_private.ensure_read_partitions(ami_private.utc_day($1), ami_private.utc_day($2))', [
    new Date(now.getTime() - intervalsBack * QUARTER),
    now,
  ]);
  await rawFleet(db.pool, 'FLOOR', nextInterval(), METERS);

  const runs = async (setup?: string) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) ms.push(await rawInsert(db.pool, 'FLOOR', nextInterval(), METERS, 5000, 8, setup));
    return ms;
  };
  const shipped = await runs();

  const { rows: fn } = await db.pool.query<{ def: string }>(`select pg_get_functiondef('ami_private.reads_inserted()'::regprocedure) as def`);
  const def = fn[0]!.def;
  const start = def.indexOf(NEWEST_READ_START);
  const end = def.indexOf(NEWEST_READ_END);
  let withoutNewest: number[] | null = null;
  if (start >= 0 && end > start) {
    const withoutNewestRead = `${def.slice(0, start)}    moved_meters := meters;\n    deltas := '[]'::jsonb;\n${def.slice(end + NEWEST_READ_END.length)}`;
    await db.pool.query(withoutNewestRead);
    withoutNewest = await runs();
  }

  const { rows: superuser } = await db.pool.query<{ on: boolean }>(`select rolsuper as on from pg_roles where rolname = current_user`);
  const bare = superuser[0]!.on ? await runs('set session_replication_role = replica') : null;

  const row = (label: string, ms: number[] | null, why: string) =>
    console.log(
      ms
        ? `| ${label} | ${fmt(median(ms) / 1000, 1)} s | ${ms.map((m) => fmt(m / 1000, 1)).join(', ')} | ${fmt(METERS / (median(ms) / 1000))} |`
        : `| ${label} | n/a: ${why} | | |`,
    );
  console.log(`## One interval of ${fmt(METERS)} meters: 200 x 5,000-row INSERT ... ON CONFLICT DO NOTHING over 8 connections\n`);
  console.log(`| the reads table's trigger | median of ${RUNS} | runs | reads/s |`);
  console.log('|---|---|---|---|');
  row('as shipped (rollup, newest reads, histogram, gaps)', shipped, '');
  row('without the newest-read update (rollup only)', withoutNewest, 'the trigger no longer has the marked section; update bench/floor.ts');
  row('none: the bare INSERT (session_replication_role = replica)', bare, 'needs a superuser (BENCH_DATABASE_URL)');
} finally {
  await db.drop();
}
