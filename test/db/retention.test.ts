import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { TASKS } from '../../src/db/queue.ts';
import { detachOldReads, pruneReads } from '../../src/db/retention.ts';
import { retentionCutoff } from '../../src/domain/interval.ts';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { cronItems, PRUNE_CRON } from '../../src/worker/crontab.ts';
import { taskList } from '../../src/worker/runner.ts';
import { eventually, getJson, postJson, startTestApp, startTestWorker, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const DAY = 86_400_000;
const D = new Date('2026-10-01T00:00:00Z');
const at = (ms: number) => new Date(D.getTime() + ms);
/** Two tenants, four intervals each: two old ones, two recent ones. */
const FLEETS = [
  { tenantId: 'KEEP_A', meterCount: 300, feederCount: 3 },
  { tenantId: 'KEEP_B', meterCount: 200, feederCount: 2 },
];
const INTERVALS = [at(0), at(15 * 60_000), at(10 * DAY), at(20 * DAY)];
let worker: Awaited<ReturnType<typeof startTestWorker>>;

const deps = () => testDeps(db);

async function readsAt(readAt: Date): Promise<number> {
  const { rows } = await db.pool.query('select count(*)::int as n from meter_reads_electric where read_at = $1', [readAt]);
  return rows[0].n;
}

beforeAll(async () => {
  worker = await startTestWorker(db);
  for (const fleet of FLEETS) {
    for (const readAt of INTERVALS) {
      const result = await publishTick(deps(), fleet.tenantId, readAt, fleet.meterCount, fleet.feederCount, 100, {
        requestedBy: 'manual',
        onBackpressure: 'refuse',
      });
      expect(result.outcome).toBe('enqueued');
    }
  }
  await eventually(async () => {
    const { rows } = await db.pool.query(`select count(*)::int as n from ami_ticks where status = 'complete'`);
    return rows[0].n === FLEETS.length * INTERVALS.length ? true : undefined;
  }, 'every tick to complete');
});
afterAll(async () => worker?.stop());

describe('retention', () => {
  it('deletes the reads stamped before the cut-off, every tenant, and keeps the ledger, the newer reads and the last reads', async () => {
    const lastReadsBefore = (await db.pool.query('select tenant_id, meter_id, last_read_at from ami_meter_last_reads order by 1, 2')).rows;
    const result = await pruneReads(db.pool, at(10 * DAY));
    expect(result).toMatchObject({ readsDeleted: 2 * (300 + 200), batchRowsDeleted: 2 * (3 + 2) });
    expect(await readsAt(INTERVALS[0]!)).toBe(0);
    expect(await readsAt(INTERVALS[1]!)).toBe(0);
    expect(await readsAt(INTERVALS[2]!)).toBe(500);
    expect(await readsAt(INTERVALS[3]!)).toBe(500);

    const ticks = await db.pool.query(
      `select count(*)::int as n from ami_ticks where status = 'complete' and rows_written = case tenant_id when 'KEEP_A' then 300 else 200 end`,
    );
    expect(ticks.rows[0].n).toBe(8);
    const batches = await db.pool.query('select read_at, count(*)::int as n from ami_tick_batches group by read_at order by read_at');
    expect(batches.rows.map((r: { read_at: Date; n: number }) => [r.read_at.toISOString(), r.n])).toEqual([
      [INTERVALS[2]!.toISOString(), 5],
      [INTERVALS[3]!.toISOString(), 5],
    ]);
    expect((await db.pool.query('select tenant_id, meter_id, last_read_at from ami_meter_last_reads order by 1, 2')).rows).toEqual(lastReadsBefore);

    // Idempotent: nothing left to delete.
    expect(await pruneReads(db.pool, at(10 * DAY))).toMatchObject({ readsDeleted: 0, partitionsDropped: [], batchRowsDeleted: 0 });
    // A crash between the two steps leaves a detached day: the next run drops it, and only it.
    const attached = async () =>
      (
        await db.pool.query<{ name: string }>(
          `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'meter_reads_electric'::regclass order by 1`,
        )
      ).rows.map((row) => row.name);
    await db.pool.query('select ami_private.ensure_read_partitions(ami_private.utc_day($1), ami_private.utc_day($1))', [at(5 * DAY)]);
    const old = `meter_reads_electric_p${at(5 * DAY)
      .toISOString()
      .slice(0, 10)
      .replaceAll('-', '')}`;
    const before = await attached();
    expect(before).toContain(old);
    expect(await detachOldReads(db.pool, at(10 * DAY))).toMatchObject({ readsDeleted: 0, partitionsDropped: [old] });
    expect(await attached()).toEqual(before.filter((name) => name !== old));
    expect((await db.pool.query('select 1 from pg_class where relname = $1', [old])).rowCount).toBe(1);
    await pruneReads(db.pool, at(10 * DAY));
    expect((await db.pool.query('select 1 from pg_class where relname = $1', [old])).rowCount).toBe(0);
    expect(await attached()).toEqual(before.filter((name) => name !== old));
    expect(await readsAt(INTERVALS[2]!)).toBe(500);
  });

  it('never publishes a pruned interval again: the ledger still says it is complete', async () => {
    // Catch-up publishes only a tenant in automatic mode.
    await db.pool.query(
      `insert into ami_auto_config (tenant_id, enabled, meter_count, feeder_count, batch_size, interval_minutes, catch_up_intervals)
       values ('KEEP_A', true, 300, 3, 100, 15, 0)`,
    );
    try {
      const again = await publishTick(deps(), 'KEEP_A', INTERVALS[0]!, 300, 3, 100, { requestedBy: 'catch-up', onBackpressure: 'refuse' });
      expect(again.outcome).toBe('already-published');
    } finally {
      await db.pool.query(`update ami_auto_config set enabled = false where tenant_id = 'KEEP_A'`);
    }
    expect(await readsAt(INTERVALS[0]!)).toBe(0);
  });

  it('runs hourly off the quarter hours, as its own pinned crontab entry, keeping AMI_RETENTION_DAYS days behind the clock', async () => {
    expect(PRUNE_CRON).toBe('7 * * * *');
    expect(cronItems('*/15 * * * *').map((item) => [item.identifier, item.task])).toEqual([
      ['ami_tick', TASKS.tick],
      ['ami_prune', TASKS.prune],
      ['ami_collect', TASKS.collect],
    ]);
    expect(retentionCutoff(at(30 * DAY), 0)).toBeNull();
    expect(retentionCutoff(at(30 * DAY), 15)).toEqual(at(15 * DAY));

    // AMI_RETENTION_DAYS=0 keeps everything.
    const keepAll = taskList({ pool: db.pool, logger: db.logger, config: loadConfig({ AMI_RETENTION_DAYS: '0' }), clock: () => at(400 * DAY) });
    await keepAll[TASKS.prune]!({}, {} as never);
    expect(await readsAt(INTERVALS[2]!)).toBe(500);

    // 15 days kept at D + 30 days: the interval at D + 10 days goes, D + 20 days stays.
    const prune = taskList({ pool: db.pool, logger: db.logger, config: loadConfig({ AMI_RETENTION_DAYS: '15' }), clock: () => at(30 * DAY) });
    await prune[TASKS.prune]!({}, {} as never);
    expect(await readsAt(INTERVALS[2]!)).toBe(0);
    expect(await readsAt(INTERVALS[3]!)).toBe(500);
  });

  it('refuses to publish by hand, or to report on, an interval older than the retention, and writes nothing', async () => {
    const now = at(30 * DAY);
    const app = await startTestApp(db, { env: { AMI_RETENTION_DAYS: '15' }, clock: () => now });
    try {
      const ticksBefore = (await db.pool.query('select count(*)::int as n from ami_ticks')).rows[0].n;
      const old = await postJson(`${app.url}/api/ami/publish-once`, {
        tenantId: 'KEEP_A',
        meterCount: 300,
        feederCount: 3,
        batchSize: 100,
        readAt: at(14 * DAY).toISOString(),
      });
      expect(old.status).toBe(400);
      expect(old.body.error.code).toBe('VALIDATION');
      expect(old.body.error.fields).toEqual([
        {
          field: 'readAt',
          message: expect.stringMatching(/within the 15 days of reads kept \(AMI_RETENTION_DAYS\): reads before 2026-10-16T00:00:00.000Z are deleted/),
        },
      ]);
      expect((await db.pool.query('select count(*)::int as n from ami_ticks')).rows[0].n).toBe(ticksBefore);

      const report = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=KEEP_A&readAt=${at(14 * DAY).toISOString()}`);
      expect(report.status).toBe(400);
      expect(report.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['readAt']);
      const kept = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=KEEP_A&readAt=${at(20 * DAY).toISOString()}`);
      expect(kept.status, JSON.stringify(kept.body)).toBe(200);
      expect(kept.body.reportingSummary.reportingMeters).toBe(300);

      const recent = await postJson(`${app.url}/api/ami/publish-once`, {
        tenantId: 'KEEP_A',
        meterCount: 300,
        feederCount: 3,
        batchSize: 100,
        readAt: at(16 * DAY).toISOString(),
      });
      expect(recent.status, JSON.stringify(recent.body)).toBe(202);
    } finally {
      await app.close();
    }
  });
});
