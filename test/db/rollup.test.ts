import { describe, expect, it } from 'vitest';
import { collectSweep } from '../../src/collection/sweep.ts';
import { ensureFleet } from '../../src/db/fleet.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { maintainPartitions, pruneReads } from '../../src/db/retention.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { useTestApp } from '../helpers/app.ts';
import { testClock } from '../helpers/clock.ts';
import { lastReadCountDifferences, rollupDifferences } from '../helpers/integrity.ts';
import { runWriteJobs } from '../helpers/jobs.ts';

/**
 * The KPI rollup and the histogram of newest reads against a recount over
 * the rows they summarise (SPEC section 14), after each way reads come and
 * go: ticks, late reads, a backfill after a comms outage, a power outage, a
 * read written and deleted by hand, and a retention run that drops a day.
 */
const START = new Date('2026-11-20T20:00:00Z'); // four hours before a UTC midnight: the reads span two daily partitions
const clock = testClock(START);
const { db, deps, post } = useTestApp({ clock });
const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000);

async function run(from: number, to: number): Promise<void> {
  for (let minute = from; minute <= to; minute += 5) {
    clock.set(at(minute));
    if (minute % 15 === 0) {
      for (const [tenantId, collection] of [
        ['ROLL_TYPICAL', 'typical'],
        ['ROLL_IDEAL', 'ideal'],
      ] as const) {
        await publishTick(deps, tenantId, at(minute), 400, 4, 100, { requestedBy: 'manual', onBackpressure: 'refuse', collection });
      }
    }
    await collectSweep(deps);
    await runWriteJobs(deps);
  }
}

async function expectExact(options: { compareStalePaths: boolean } = { compareStalePaths: true }): Promise<void> {
  expect(await rollupDifferences(db.pool)).toEqual([]);
  expect(await lastReadCountDifferences(db.pool)).toEqual([]);
  // After a retention run the probes cannot see the reads dropped, the gaps still can: compared before it only.
  if (!options.compareStalePaths) return;
  // Every past interval's stale buckets from the gaps (c1) equal those found by probing each meter's reads (c2, as of 'infinity').
  const { rows } = await db.pool.query(
    `select t.tenant_id, t.read_at, c1.s as gaps, c2.s as probes
       from ami_ticks t
       cross join lateral (select (k.current, k.stale_over_15m, k.stale_over_1h, k.stale_over_4h, k.stale_over_24h, k.never_reported,
                                   (select array_agg((f.feeder_id, f.stale_meters, f.never_reported) order by f.feeder_id) from unnest(k.feeders) f))::text as s
                             from ami_kpi_private.interval_kpis(t.tenant_id, t.read_at, null) k) c1
       cross join lateral (select (k.current, k.stale_over_15m, k.stale_over_1h, k.stale_over_4h, k.stale_over_24h, k.never_reported,
                                   (select array_agg((f.feeder_id, f.stale_meters, f.never_reported) order by f.feeder_id) from unnest(k.feeders) f))::text as s
                             from ami_kpi_private.interval_kpis(t.tenant_id, t.read_at, 'infinity') k) c2
      where c1.s is distinct from c2.s`,
  );
  expect(rows).toEqual([]);
}

describe('the rollup and the histogram of newest reads', () => {
  it('equal a recount over the reads after ticks, late reads, a backfill, a power outage, hand edits and a retention run', async () => {
    // No partition for these days yet: the default partition catches the reads.
    await run(0, 60);
    await expectExact();
    const where = async () =>
      (await db.pool.query<{ part: string }>(`select distinct tableoid::regclass::text as part from meter_reads_electric order by 1`)).rows.map(
        (row) => row.part,
      );
    expect(await where()).toEqual(['meter_reads_electric_default']);
    // The maintenance makes the days' partitions and moves the caught reads in, counting nothing twice.
    expect(await maintainPartitions(db.pool, clock())).toBeGreaterThanOrEqual(5);
    expect(await where()).toEqual(['meter_reads_electric_p20261120']);
    await expectExact();

    // A comms outage with backfill and a power outage, both ending within the run.
    for (const event of [
      { tenantId: 'ROLL_IDEAL', feederId: 1, type: 'comms-outage', severity: 0.7, durationMinutes: 60 },
      { tenantId: 'ROLL_TYPICAL', feederId: 2, type: 'power-outage', severity: 0.5, durationMinutes: 45 },
    ]) {
      expect((await post('/api/ami/events', event)).status).toBe(201);
    }
    await run(65, 300);
    const { rows } = await db.pool.query<{ delivery: number; n: number }>(
      'select delivery, count(*)::int as n from meter_reads_electric group by delivery order by delivery',
    );
    expect(rows.map((row) => row.delivery)).toEqual([0, 1, 2]); // on time, late and backfilled reads all went through
    await expectExact();

    // By hand: an update and a delete recount their groups.
    await db.pool.query(`update meter_reads_electric set kwh = kwh + 1 where tenant_id = 'ROLL_IDEAL' and read_at = $1 and meter_id <= 10`, [at(60)]);
    await db.pool.query(`delete from meter_reads_electric where tenant_id = 'ROLL_IDEAL' and read_at = $1 and meter_id between 11 and 20`, [at(75)]);
    await expectExact();

    // Retention drops the first UTC day whole, with its rollup rows.
    expect(await where()).toEqual(['meter_reads_electric_p20261120', 'meter_reads_electric_p20261121']);
    const newer = (await db.pool.query(`select count(*)::int as n, sum(kwh)::float8 as kwh from meter_reads_electric where read_at >= '2026-11-21T00:00:00Z'`))
      .rows[0];
    const pruned = await pruneReads(db.pool, new Date('2026-11-21T06:00:00Z'));
    // The day before too (made ahead by the maintenance, empty).
    expect(pruned.partitionsDropped).toEqual(['meter_reads_electric_p20261119', 'meter_reads_electric_p20261120']);
    expect(pruned.readsDeleted).toBeGreaterThan(0);
    // Nothing newer touched.
    expect(
      (await db.pool.query(`select count(*)::int as n, sum(kwh)::float8 as kwh from meter_reads_electric where read_at >= '2026-11-21T00:00:00Z'`)).rows[0],
    ).toEqual(newer);
    expect((await db.pool.query(`select 1 from meter_reads_electric where read_at < '2026-11-21T00:00:00Z'`)).rowCount).toBe(0);
    expect((await db.pool.query(`select 1 from ami_interval_feeders where read_at < '2026-11-21T00:00:00Z' and reporting_meters > 0`)).rowCount).toBe(0);
    await expectExact({ compareStalePaths: false });
  }, 240_000);

  it('keep a hole inside one statement of first reads as a gap, and split it when a later statement fills it', async () => {
    // A history load: every meter's first reads, eight intervals in one statement, with a hole at the
    // fourth for the first 50 meters (no tick: the reads are written as a bulk load writes them).
    await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: 'ROLL_BULK', meterCount: 200, feederCount: 4, now: clock() }));
    const first = new Date('2026-11-21T02:00:00Z');
    const interval = (n: number) => new Date(first.getTime() + n * 900_000);
    const insert = (fromInterval: number, toInterval: number, hole: number | null) =>
      db.pool.query(
        `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, received_at)
         select 'ROLL_BULK', $1::timestamptz + n * interval '15 minutes', m.meter_id, m.feeder_id, 0.3, 120, 0.3, $1::timestamptz + n * interval '15 minutes'
           from ami_meters m cross join generate_series($2::int, $3::int) n
          where m.tenant_id = 'ROLL_BULK' and not (n = $4 and m.meter_id <= 50)`,
        [first, fromInterval, toInterval, hole ?? -1],
      );
    await insert(0, 7, 3);
    const gaps = async () =>
      (
        await db.pool.query<{ meters: number; prev: Date; next: Date }>(
          `select count(*)::int as meters, prev_read_at as prev, next_read_at as next from ami_meter_gaps where tenant_id = 'ROLL_BULK' group by 2, 3`,
        )
      ).rows;
    expect(await gaps()).toEqual([{ meters: 50, prev: interval(2), next: interval(4) }]);
    // The stale buckets of every interval from the gaps equal those found by probing each meter's reads.
    const paths = async (readAt: Date) =>
      (
        await db.pool.query<{ gaps: string; probes: string }>(
          `select (select (k.current, k.stale_over_15m, k.stale_over_1h, k.never_reported)::text from ami_kpi_private.interval_kpis('ROLL_BULK', $1, null) k) as gaps,
                  (select (k.current, k.stale_over_15m, k.stale_over_1h, k.never_reported)::text from ami_kpi_private.interval_kpis('ROLL_BULK', $1, 'infinity') k) as probes`,
          [readAt],
        )
      ).rows[0]!;
    for (let n = 0; n < 8; n++) {
      const { gaps: fromGaps, probes } = await paths(interval(n));
      expect(fromGaps, `interval ${n}`).toBe(probes);
    }
    expect((await paths(interval(3))).gaps).toBe('(150,50,0,0)');
    // The missing reads come later, in one statement: the hole closes, no gap is left.
    await db.pool.query(
      `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh, received_at, delivery)
       select 'ROLL_BULK', $1, m.meter_id, m.feeder_id, 0.3, 120, 0.3, $1, 2 from ami_meters m where m.tenant_id = 'ROLL_BULK' and m.meter_id <= 50`,
      [interval(3)],
    );
    expect(await gaps()).toEqual([]);
    expect((await paths(interval(3))).gaps).toBe('(200,0,0,0)');
    expect(await rollupDifferences(db.pool)).toEqual([]);
    expect(await lastReadCountDifferences(db.pool)).toEqual([]);
  });
});
