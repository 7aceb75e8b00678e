import { describe, expect, it } from 'vitest';
import { collectSweep } from '../../src/collection/sweep.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { useTestApp } from '../helpers/app.ts';
import { testClock } from '../helpers/clock.ts';
import { runWriteJobs } from '../helpers/jobs.ts';

/**
 * A typical-collection tenant over two simulated days, the clock moved by
 * hand: a tick every 15 minutes, the collection sweep every 5. SPEC section 13.
 */
const START = new Date('2026-11-20T00:00:00Z');
const METERS = 1_000;
const clock = testClock(START);
const { db, deps, get } = useTestApp({ clock });

async function simulate(tenantId: string, collection: 'ideal' | 'typical', intervals: number): Promise<void> {
  for (let i = 0; i < intervals; i++) {
    const readAt = new Date(START.getTime() + i * 900_000);
    for (let step = 0; step < 3; step++) {
      clock.set(new Date(readAt.getTime() + step * 300_000));
      if (step === 0) {
        const tick = await publishTick(deps, tenantId, readAt, METERS, 4, 250, { requestedBy: 'manual', onBackpressure: 'refuse', collection });
        expect(tick.outcome).toBe('enqueued');
      }
      await collectSweep(deps);
      await runWriteJobs(deps);
    }
  }
}

describe('a typical-collection tenant', () => {
  const DAY = 96;
  const LAST = new Date(START.getTime() + (2 * DAY - 1) * 900_000);

  it('over a day reads 97-99 % with the tick and >= 99.5 % within 24 h; quickcheck read success matches a count by received_at', async () => {
    await simulate('TYPICAL', 'typical', 2 * DAY);
    const dayOne = await db.pool.query<{ on_time: number; within_4h: number; within_24h: number; stored: number }>(
      `select (count(*) filter (where delivery = 0))::int as on_time,
              (count(*) filter (where received_at <= read_at + interval '4 hours'))::int as within_4h,
              (count(*) filter (where received_at <= read_at + interval '24 hours'))::int as within_24h,
              count(*)::int as stored
         from meter_reads_electric where tenant_id = 'TYPICAL' and read_at < $1`,
      [new Date(START.getTime() + DAY * 900_000)],
    );
    const expected = METERS * DAY;
    const { on_time, within_4h, within_24h } = dayOne.rows[0]!;
    expect(on_time / expected).toBeGreaterThanOrEqual(0.97);
    expect(on_time / expected).toBeLessThanOrEqual(0.99);
    expect(within_4h).toBeGreaterThan(on_time);
    expect(within_24h / expected).toBeGreaterThanOrEqual(0.995);

    const { status, body } = await get('/api/ami/kpi/quickcheck?tenantId=TYPICAL');
    expect(status).toBe(200);
    expect(body.latestInterval).toBe(LAST.toISOString());
    const recount = async (hours: number) => {
      const { rows } = await db.pool.query<{ pct: number }>(
        `select round(100.0 * count(*) / $3, 2)::float8 as pct from meter_reads_electric
          where tenant_id = 'TYPICAL' and read_at = $1 and received_at <= $1 + make_interval(hours => $2)`,
        [new Date(LAST.getTime() - hours * 3_600_000), hours, METERS],
      );
      return rows[0]!.pct;
    };
    expect(body.collection.profile).toBe('typical');
    expect(body.collection.readSuccess4hPct).toBe(await recount(4));
    expect(body.collection.readSuccess24hPct).toBe(await recount(24));
    expect(body.collection.readSuccess24hPct).toBeGreaterThanOrEqual(99);
    const byDelivery = await db.pool.query<{ delivery: number; n: number }>(
      `select delivery, count(*)::int as n from meter_reads_electric where tenant_id = 'TYPICAL' and read_at = $1 group by delivery`,
      [LAST],
    );
    const counts = Object.fromEntries(byDelivery.rows.map((row) => [row.delivery, row.n]));
    expect(body.collection).toMatchObject({ onTimeReads: counts[0] ?? 0, lateReads: counts[1] ?? 0, backfilledReads: counts[2] ?? 0 });
    expect(body.reportingSummary.reportingMeters).toBe((counts[0] ?? 0) + (counts[1] ?? 0) + (counts[2] ?? 0));
  }, 240_000);

  it('writes no (tenant, meter, read_at) twice, no unaligned read_at, and loses none: every read is stored or still on its way', async () => {
    const { rows } = await db.pool.query<{ stored: number; distinct_keys: number; unaligned: number; pending: number; early: number }>(
      `select count(*)::int as stored, count(distinct (meter_id, read_at))::int as distinct_keys,
              (count(*) filter (where extract(epoch from read_at)::bigint % 900 <> 0))::int as unaligned,
              (select count(*)::int from ami_pending_reads where tenant_id = 'TYPICAL') as pending,
              (count(*) filter (where received_at < read_at))::int as early
         from meter_reads_electric where tenant_id = 'TYPICAL'`,
    );
    const row = rows[0]!;
    expect(row.distinct_keys).toBe(row.stored);
    expect(row.unaligned).toBe(0);
    expect(row.early).toBe(0);
    expect(row.stored + row.pending).toBe(METERS * 2 * DAY);
    expect(row.pending).toBeGreaterThan(0); // unreachable meters' memory, late reads of the last hours
  });

  it('an ideal tenant still gets every read with its own tick', async () => {
    await simulate('IDEAL', 'ideal', 8);
    const { rows } = await db.pool.query<{ stored: number; on_time: number; at_tick: number }>(
      `select count(*)::int as stored, (count(*) filter (where delivery = 0))::int as on_time,
              (count(*) filter (where received_at = read_at))::int as at_tick
         from meter_reads_electric where tenant_id = 'IDEAL'`,
    );
    expect(rows[0]).toEqual({ stored: METERS * 8, on_time: METERS * 8, at_tick: METERS * 8 });
    const { body } = await get('/api/ami/kpi/quickcheck?tenantId=IDEAL');
    expect(body.collection).toMatchObject({ profile: 'ideal', onTimeReads: METERS, lateReads: 0, backfilledReads: 0 });
    expect(body.reportingSummary.reportingRatePct).toBe(100);
  }, 120_000);
});
