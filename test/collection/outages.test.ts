import { describe, expect, it } from 'vitest';
import { collectSweep } from '../../src/collection/sweep.ts';
import { writeJobsPending } from '../../src/db/queue.ts';
import { losesPower, startKey } from '../../src/emulator/index.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { useTestApp } from '../helpers/app.ts';
import { testClock } from '../helpers/clock.ts';
import { runWriteJobs } from '../helpers/jobs.ts';

/**
 * Events on collection (SPEC section 13), the clock moved by hand: a comms
 * outage with and without backfill, a power outage with its last gasps and
 * restorations, and a backfill larger than the queue cap. Each tenant has
 * 1,000 meters on 2 feeders (about 500 each, by the fleet's own assignment),
 * ideal collection so only the events delay reads.
 */
const START = new Date('2026-11-20T00:00:00Z');
const clock = testClock(START);
const { db, deps, get, post } = useTestApp({ clock });
const METERS = 1_000;
const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000);

/** Ticks every 15 minutes and sweeps every 5, from `from` to `to` minutes after START. */
async function run(tenantId: string, from: number, to: number): Promise<void> {
  for (let minute = from; minute <= to; minute += 5) {
    clock.set(at(minute));
    if (minute % 15 === 0) await publishTick(deps, tenantId, at(minute), METERS, 2, 500, { requestedBy: 'manual', onBackpressure: 'refuse' });
    await collectSweep(deps);
    await runWriteJobs(deps);
  }
}

async function feederReads(tenantId: string, feederId: number, readAt: Date) {
  const { rows } = await db.pool.query<{ n: number; received_after: number; power_down: number; zero_kwh: number }>(
    `select count(*)::int as n, (count(*) filter (where received_at > read_at))::int as received_after,
            (count(*) filter (where status & 128 = 128))::int as power_down, (count(*) filter (where kwh = 0))::int as zero_kwh
       from meter_reads_electric where tenant_id = $1 and feeder_id = $2 and read_at = $3`,
    [tenantId, feederId, readAt],
  );
  return rows[0]!;
}

async function feederSize(tenantId: string, feederId: number): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from ami_meters where tenant_id = $1 and feeder_id = $2', [
    tenantId,
    feederId,
  ]);
  return rows[0]!.n;
}

async function quickcheck(query: string) {
  const { status, body } = await get(`/api/ami/kpi/quickcheck?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('a comms outage of 0.8 for two hours', () => {
  it('with backfill: ~20 % during it, every withheld read in within the hour after it ends, readAt= 100 % and asOf= ~20 %', async () => {
    await run('COMMS', 0, 55);
    clock.set(at(60));
    const created = await post('/api/ami/events', { tenantId: 'COMMS', feederId: 1, type: 'comms-outage', severity: 0.8, durationMinutes: 120 });
    expect(created.status).toBe(201);
    expect(created.body.event).toMatchObject({ startsAt: at(60).toISOString(), endsAt: at(180).toISOString() });
    expect(created.body.event.backfill).toBeUndefined(); // the default (true) is not shown
    const size = await feederSize('COMMS', 1);

    await run('COMMS', 60, 175);
    const during = await quickcheck('tenantId=COMMS');
    expect(during.latestInterval).toBe(at(165).toISOString());
    const feeder = during.feeders.find((f: { feederId: number }) => f.feederId === 1);
    expect(feeder.reportingRatePct).toBeGreaterThan(15);
    expect(feeder.reportingRatePct).toBeLessThan(25);
    expect(during.feeders.find((f: { feederId: number }) => f.feederId === 2).reportingRatePct).toBe(100);

    // It ends at minute 180; an hour later every withheld read is in, received after the end.
    await run('COMMS', 180, 240);
    const outageIntervals = [75, 90, 105, 120, 135, 150, 165, 180].map(at);
    for (const readAt of outageIntervals.slice(0, 7)) {
      const reads = await feederReads('COMMS', 1, readAt);
      expect(reads.n).toBe(size);
    }
    const { rows } = await db.pool.query<{ late: number; before_end: number }>(
      `select count(*)::int as late, (count(*) filter (where received_at < $2))::int as before_end
         from meter_reads_electric where tenant_id = 'COMMS' and feeder_id = 1 and delivery = 2 and read_at >= $1`,
      [at(60), at(180)],
    );
    expect(rows[0]!.late / (7 * size)).toBeGreaterThan(0.7);
    expect(rows[0]!.before_end).toBe(0);
    expect((await db.pool.query(`select 1 from ami_pending_reads where tenant_id = 'COMMS'`)).rowCount).toBe(0);

    const now = await quickcheck(`tenantId=COMMS&readAt=${at(120).toISOString()}`);
    expect(now.feeders.find((f: { feederId: number }) => f.feederId === 1).reportingRatePct).toBe(100);
    expect(now.collection.backfilledReads).toBeGreaterThan(0.7 * size);
    const then = await quickcheck(`tenantId=COMMS&readAt=${at(120).toISOString()}&asOf=${at(150).toISOString()}`);
    const thenFeeder = then.feeders.find((f: { feederId: number }) => f.feederId === 1);
    expect(thenFeeder.reportingRatePct).toBeGreaterThan(15);
    expect(thenFeeder.reportingRatePct).toBeLessThan(25);
    expect(then.asOf).toBe(at(150).toISOString());
    expect(then.collection.backfilledReads).toBe(0);
    // asOf alone: the interval the dashboard showed then, as it stood.
    const shown = await quickcheck(`tenantId=COMMS&asOf=${at(152).toISOString()}`);
    expect(shown.latestInterval).toBe(at(150).toISOString());
    expect(shown.feeders.find((f: { feederId: number }) => f.feederId === 1).reportingRatePct).toBeLessThan(25);
  }, 120_000);

  it('refuses asOf in the future or before readAt, with 400 naming the field', async () => {
    clock.set(at(240));
    for (const query of [`asOf=${at(100_000).toISOString()}`, `readAt=${at(120).toISOString()}&asOf=${at(105).toISOString()}`]) {
      const { status, body } = await get(`/api/ami/kpi/quickcheck?tenantId=COMMS&${query}`);
      expect(status).toBe(400);
      expect(body.error.fields.map((f: { field: string }) => f.field)).toEqual(['asOf']);
    }
  });

  it('without backfill: the withheld reads never come', async () => {
    await run('LOST', 0, 55);
    clock.set(at(60));
    const created = await post('/api/ami/events', {
      tenantId: 'LOST',
      feederId: 1,
      type: 'comms-outage',
      severity: 0.8,
      durationMinutes: 120,
      backfill: false,
    });
    expect(created.status).toBe(201);
    expect(created.body.event.backfill).toBe(false);
    await run('LOST', 60, 300);
    const size = await feederSize('LOST', 1);
    for (const readAt of [75, 120, 165].map(at)) {
      const reads = await feederReads('LOST', 1, readAt);
      expect(reads.n / size).toBeGreaterThan(0.15);
      expect(reads.n / size).toBeLessThan(0.25);
      expect(reads.received_after).toBe(0);
    }
    expect((await db.pool.query(`select 1 from ami_pending_reads where tenant_id = 'LOST'`)).rowCount).toBe(0);
    // After the outage the feeder reports in full again.
    expect((await feederReads('LOST', 1, at(195))).n).toBe(size);
  }, 120_000);

  it('refuses backfill on any other type, and a non-boolean backfill', async () => {
    for (const body of [
      { tenantId: 'LOST', feederId: 1, type: 'theft', severity: 0.5, backfill: true },
      { tenantId: 'LOST', feederId: 1, type: 'comms-outage', severity: 0.5, backfill: 'yes' },
    ]) {
      const res = await post('/api/ami/events', body);
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['backfill']);
    }
  });
});

describe('a power outage of 0.5 on one feeder', () => {
  it('half its meters send one last gasp and later one restoration; meters without power ~50 % while it lasts; the outage intervals come back with kWh 0 and bit 128; the other feeder untouched', async () => {
    await run('POWER', 0, 55);
    clock.set(at(60));
    const created = await post('/api/ami/events', { tenantId: 'POWER', feederId: 1, type: 'power-outage', severity: 0.5, durationMinutes: 60 });
    expect(created.status).toBe(201);
    const eventId = created.body.event.id as number;
    const size = await feederSize('POWER', 1);
    const key = startKey('POWER');
    const { rows: feederOne } = await db.pool.query<{ meter_id: number }>(`select meter_id from ami_meters where tenant_id = 'POWER' and feeder_id = 1`);
    const affected = feederOne.map((m) => m.meter_id).filter((id) => losesPower(key, id, eventId, 0.5));
    expect(Math.abs(affected.length / size - 0.5)).toBeLessThan(0.07);
    await run('POWER', 60, 60);

    // Within a minute of the start (the sweep), not at the next tick.
    clock.set(at(61));
    await collectSweep(deps);
    const gasps = await db.pool.query<{ meter_id: number; n: number; feeder_id: number }>(
      `select meter_id, feeder_id, count(*)::int as n from ami_meter_events where tenant_id = 'POWER' and type = 'last-gasp' group by meter_id, feeder_id`,
    );
    expect(gasps.rows.map((r) => r.meter_id).sort((a, b) => a - b)).toEqual(affected);
    expect(gasps.rows.every((r) => r.n === 1 && r.feeder_id === 1)).toBe(true);
    const live = await quickcheck('tenantId=POWER');
    expect(live.outage).toMatchObject({ metersWithoutPower: affected.length, lastGasps: affected.length, restorations: 0 });
    expect(live.feeders.map((f: { feederId: number; metersWithoutPower: number }) => [f.feederId, f.metersWithoutPower])).toEqual([
      [1, affected.length],
      [2, 0],
    ]);

    await run('POWER', 65, 115);
    const lasting = await quickcheck('tenantId=POWER');
    expect(lasting.outage.metersWithoutPower).toBe(affected.length);
    const lastingFeeder = lasting.feeders.find((f: { feederId: number }) => f.feederId === 1);
    expect(Math.abs(lastingFeeder.reportingRatePct - 100 * (1 - affected.length / size))).toBeLessThan(0.01);

    // Power back at minute 120: restorations within a minute, then the reads drain in.
    await run('POWER', 120, 185);
    const restored = await db.pool.query<{ meter_id: number; n: number }>(
      `select meter_id, count(*)::int as n from ami_meter_events where tenant_id = 'POWER' and type = 'power-restored' group by meter_id`,
    );
    expect(restored.rows.map((r) => r.meter_id).sort((a, b) => a - b)).toEqual(affected);
    expect(restored.rows.every((r) => r.n === 1)).toBe(true);
    const after = await quickcheck('tenantId=POWER');
    expect(after.outage).toMatchObject({ metersWithoutPower: 0, lastGasps: affected.length, restorations: affected.length });

    for (const readAt of [75, 90, 105].map(at)) {
      const reads = await feederReads('POWER', 1, readAt);
      expect(reads.n).toBe(size);
      expect(reads.power_down).toBe(affected.length);
      expect(reads.zero_kwh).toBeGreaterThanOrEqual(affected.length);
    }
    const { rows: outageReads } = await db.pool.query<{ bad: number }>(
      `select count(*)::int as bad from meter_reads_electric
        where tenant_id = 'POWER' and read_at in ($1, $2, $3) and meter_id = any($4)
          and not (kwh = 0 and status & 128 = 128 and delivery = 2 and received_at > $5)`,
      [at(75), at(90), at(105), affected, at(120)],
    );
    expect(outageReads[0]!.bad).toBe(0);
    const { rows: other } = await db.pool.query<{ bad: number; n: number }>(
      `select count(*)::int as n, (count(*) filter (where status & 128 = 128 or delivery <> 0 or voltage = 0 or received_at <> read_at))::int as bad
         from meter_reads_electric where tenant_id = 'POWER' and feeder_id = 2`,
    );
    expect(other[0]).toEqual({ n: (await feederSize('POWER', 2)) * 13, bad: 0 });
  }, 120_000);

  it('an outage injected with a window in the past has its last gasps and restorations at once', async () => {
    clock.set(at(300));
    const created = await post('/api/ami/events', {
      tenantId: 'POWER',
      feederId: 2,
      type: 'power-outage',
      severity: 0.3,
      startsAt: at(200).toISOString(),
      endsAt: at(230).toISOString(),
    });
    expect(created.status).toBe(201);
    const { rows } = await db.pool.query<{ type: string; n: number; earliest: Date; latest: Date }>(
      `select type, count(*)::int as n, min(occurred_at) as earliest, max(occurred_at) as latest
         from ami_meter_events where event_id = $1 group by type order by type`,
      [created.body.event.id],
    );
    expect(rows.map((r) => r.type)).toEqual(['last-gasp', 'power-restored']);
    expect(rows[0]!.n).toBe(rows[1]!.n);
    expect(rows[0]!.n).toBeGreaterThan(100);
    expect(rows[0]!.earliest.getTime()).toBeGreaterThanOrEqual(at(200).getTime());
    expect(rows[1]!.latest.getTime()).toBeLessThan(at(230).getTime() + 2_000);
  });
});

describe('backpressure', () => {
  it('spreads a backfill larger than the queue cap over several sweeps; write jobs never pass the cap, and a tick meanwhile waits its turn', async () => {
    // Almost six hours of the whole fleet withheld by comms outages: 23 intervals to backfill.
    await run('BACKLOG', 0, 0);
    for (const feederId of [1, 2]) {
      const created = await post('/api/ami/events', {
        tenantId: 'BACKLOG',
        feederId,
        type: 'comms-outage',
        severity: 1,
        startsAt: at(15).toISOString(),
        endsAt: at(360).toISOString(),
      });
      expect(created.status).toBe(201);
    }
    await run('BACKLOG', 5, 345);
    const { rows: held } = await db.pool.query<{ intervals: number }>(
      `select count(distinct read_at)::int as intervals from ami_pending_reads where tenant_id = 'BACKLOG'`,
    );
    expect(held[0]!.intervals).toBe(23);

    // After the drain window every withheld read is due; the cap is 6 write jobs.
    const cap = 6;
    const capped = { ...deps, caps: { ...deps.caps, maxQueueDepth: cap, maxJobsPerTick: 2 } };
    const samples: number[] = [];
    const sweeps: number[] = [];
    let skipped = 0;
    for (let minute = 420; minute <= 600; minute += 5) {
      clock.set(at(minute));
      const sweep = await collectSweep(capped);
      sweeps.push(sweep.queued);
      samples.push(await writeJobsPending(db.pool));
      if (minute % 15 === 0) {
        const tick = await publishTick(capped, 'BACKLOG', at(minute), METERS, 2, 500, { requestedBy: 'manual', onBackpressure: 'refuse' });
        if (tick.outcome === 'skipped') skipped++;
        samples.push(await writeJobsPending(db.pool));
      }
      // The worker runs one job per step: slower than the backlog came due.
      const next = await db.pool.query<{ id: string }>(
        `select id from graphile_worker.jobs where task_identifier in ('ami_publish_batch', 'ami_deliver') order by id limit 1`,
      );
      await runWriteJobs(
        capped,
        next.rows.map((row) => row.id),
      );
      samples.push(await writeJobsPending(db.pool));
    }
    expect(Math.max(...samples)).toBeLessThanOrEqual(cap);
    expect(Math.max(...samples)).toBe(cap);
    expect(sweeps.filter((queued) => queued > 0).length).toBeGreaterThan(3);
    expect(skipped).toBeGreaterThan(0);
    await runWriteJobs(capped);
    clock.set(at(605));
    for (let i = 0; i < 10; i++) {
      await collectSweep(capped);
      await runWriteJobs(capped);
    }
    const { rows } = await db.pool.query<{ pending: number; stored: number; distinct_keys: number; sweeps: number }>(
      `select (select count(*)::int from ami_pending_reads where tenant_id = 'BACKLOG') as pending,
              count(*)::int as stored, count(distinct (meter_id, read_at))::int as distinct_keys, count(distinct received_at)::int as sweeps
         from meter_reads_electric where tenant_id = 'BACKLOG' and read_at <= $1`,
      [at(345)],
    );
    expect(rows[0]).toMatchObject({ pending: 0, stored: 24 * METERS, distinct_keys: 24 * METERS });
    expect(rows[0]!.sweeps).toBeGreaterThan(3);
  }, 240_000);
});
