import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { awayFromBoundary, eventually, postJson } from '../helpers/app.ts';
import { testLogger } from '../helpers/db.ts';
import { withDatabase } from '../helpers/globalSetup.ts';
import { intervalIntegrity } from '../helpers/integrity.ts';
import { freePort, killServiceProcesses, startServiceProcess, waitForOk } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

const adminUrl = inject('adminUrl');
const name = `ami_fault_${randomBytes(5).toString('hex')}`;
let pool: Pool | undefined;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

afterAll(async () => {
  await killServiceProcesses();
  await pool?.end();
  await admin(`drop database if exists ${name} with (force)`);
});

describe('two full services started at the same moment on one empty database', () => {
  it('migrate without colliding and publish each interval exactly once', async () => {
    await awayFromBoundary(90_000); // the intervals counted below must not change under the test
    await admin(`create database ${name}`); // empty: no template, no migrations
    const url = withDatabase(adminUrl, name);
    pool = createPool(url, testLogger, { max: 4 });
    const ports = [await freePort(), await freePort()];
    const services = ports.map((port) => startServiceProcess('all', { DATABASE_URL: url, PORT: String(port), AMI_TICK_CRON: '* * * * *' }));
    await Promise.all(services.map((service, i) => waitForOk(`http://127.0.0.1:${ports[i]}/readyz`, service)));

    const { rows: migrations } = await pool.query(`select count(*)::int as n from graphile_migrate.migrations`);
    expect(migrations[0].n).toBeGreaterThanOrEqual(3);
    const { rows: workerMigrations } = await pool.query(`select count(*)::int as n, count(distinct id)::int as distinct_ids from graphile_worker.migrations`);
    expect(workerMigrations[0].n).toBe(workerMigrations[0].distinct_ids);

    const started = await postJson(`http://127.0.0.1:${ports[0]}/api/ami/auto/start`, {
      tenantId: 'TWIN',
      meterCount: 5_000,
      feederCount: 5,
      batchSize: 500,
      catchUpIntervals: 3,
    });
    expect(started.status).toBe(200);
    const since = new Date();
    await eventually(
      async () => {
        const { rows } = await pool!.query(`select 1 from ami_scheduler_runs where slot > $1`, [since]);
        return rows.length > 0 ? true : undefined;
      },
      'a scheduler slot',
      90_000,
    );
    await eventually(async () => {
      const { rows } = await pool!.query(`select count(*)::int as n from ami_ticks where status <> 'complete'`);
      return rows[0].n === 0 ? true : undefined;
    }, 'every tick to complete');
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const { rows: runs } = await pool.query(`select slot, count(*)::int as n from ami_scheduler_runs group by slot`);
    expect(runs.every((r: { n: number }) => r.n === 1)).toBe(true);
    const { rows: ticks } = await pool.query(`select read_at from ami_ticks where tenant_id = 'TWIN' order by read_at`);
    // The catch-up's 3 intervals, and one more for each boundary a scheduler slot saw after
    // auto/start (none unless the empty database's start took longer than the margin above).
    const { rows: latest } = await pool.query<{ slot: Date }>(`select max(slot) as slot from ami_scheduler_runs`);
    const boundariesPassed = Math.floor(latest[0]!.slot.getTime() / 900_000) - Math.floor(since.getTime() / 900_000);
    expect(ticks).toHaveLength(3 + boundariesPassed);
    const spacing = ticks.slice(1).map((tick: { read_at: Date }, i: number) => tick.read_at.getTime() - ticks[i].read_at.getTime());
    expect(spacing.every((ms: number) => ms === 900_000)).toBe(true);
    let lost = 0;
    let doubled = 0;
    for (const { read_at } of ticks) {
      const integrity = await intervalIntegrity(pool, 'TWIN', read_at, 5_000);
      expect(integrity).toEqual({ reads: 5_000, meters: 5_000, lost: 0, doubled: 0 });
      lost += integrity.lost;
      doubled += integrity.doubled;
    }
    for (const service of services) service.child.kill('SIGTERM');
    for (const service of services) expect(await service.exited).toEqual({ code: 0, signal: null });
    tally({ 'faults survived': 1, 'rows lost': lost, 'rows doubled': doubled });
  });
});
