import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAlignedIntervalTimestamp } from '../../src/emulator/index.ts';
import { awayFromBoundary, eventually, getJson, postJson, startTestApp, type TestApp } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { freePort, killServiceProcesses, startServiceProcess, waitForOk } from '../helpers/process.ts';

const db = useTestDatabase();
afterAll(async () => {
  await killServiceProcesses();
});

async function counts() {
  const { rows } = await db.pool.query(
    `select (select count(*) from ami_auto_config)::int as configs, (select count(*) from ami_fleets)::int as fleets,
            (select count(*) from ami_ticks)::int as ticks, (select count(*) from graphile_worker.jobs)::int as jobs`,
  );
  return rows[0];
}

describe('auto start / status / stop on the real service process', () => {
  it('publishes the current interval within seconds of start, keeps its config across a restart, and stops', async () => {
    const port = await freePort();
    const env = { DATABASE_URL: db.url, PORT: String(port) };
    const base = `http://127.0.0.1:${port}`;
    const first = startServiceProcess('all', env);
    await waitForOk(`${base}/readyz`, first);

    await awayFromBoundary();
    const config = { tenantId: 'AUTO', meterCount: 3_000, feederCount: 6, batchSize: 500, intervalMinutes: 15, catchUpIntervals: 2 };
    const started = await postJson(`${base}/api/ami/auto/start`, config);
    expect(started.status).toBe(200);
    const current = getAlignedIntervalTimestamp(15, new Date());
    expect(started.body).toMatchObject({ ok: true, mode: 'auto', config });
    expect(new Date(started.body.nextRunAt).getTime()).toBe(current.getTime() + 15 * 60_000);

    // The dashboard is not empty until the next boundary: catch-up publishes the current interval now.
    const tick = await eventually(
      async () => {
        const { rows } = await db.pool.query(`select read_at, status, rows_written, requested_by from ami_ticks where tenant_id = 'AUTO' and read_at = $1`, [
          current,
        ]);
        return rows[0]?.status === 'complete' ? rows[0] : undefined;
      },
      'the current interval',
      15_000,
    );
    expect(tick).toMatchObject({ rows_written: 3_000, requested_by: 'catch-up' });

    const status = await getJson(`${base}/api/ami/auto/status?tenantId=AUTO`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      ok: true,
      tenantId: 'AUTO',
      enabled: true,
      config,
      lastAlignedInterval: current.toISOString(),
      latestReadAt: current.toISOString(),
      nextRunAt: started.body.nextRunAt,
      queueDepth: { waiting: 0, delayed: 0 },
    });
    expect(status.body.recentTicks[0]).toMatchObject({ readAt: current.toISOString(), status: 'complete', rowsWritten: 3_000 });

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const second = startServiceProcess('all', env);
    await waitForOk(`${base}/readyz`, second);
    const after = await getJson(`${base}/api/ami/auto/status?tenantId=AUTO`);
    expect(after.body).toMatchObject({ enabled: true, config });

    const stopped = await postJson(`${base}/api/ami/auto/stop`, { tenantId: 'AUTO' });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ ok: true, enabled: false, wasEnabled: true });
    const final = await getJson(`${base}/api/ami/auto/status?tenantId=AUTO`);
    expect(final.body).toMatchObject({ enabled: false, nextRunAt: null, config });
    const again = await postJson(`${base}/api/ami/auto/stop`, { tenantId: 'AUTO' });
    expect(again.body).toMatchObject({ ok: true, wasEnabled: false });
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 90_000);
});

describe('bad input to the auto endpoints', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(db);
  });
  afterAll(async () => app?.close());

  it('answers 400 naming the field, and writes nothing', async () => {
    const before = await counts();
    const cases: Array<[string, unknown, string]> = [
      ['start', { tenantId: 'BAD', batchSize: 501 }, 'batchSize'],
      ['start', { tenantId: 'BAD', meterCount: 25_001 }, 'meterCount'],
      ['start', { tenantId: 'BAD', intervalMinutes: 7 }, 'intervalMinutes'],
      ['start', { tenantId: 'BAD', catchUpIntervals: -1 }, 'catchUpIntervals'],
      ['start', { tenantId: 'BAD', catchUpIntervals: 673 }, 'catchUpIntervals'],
      ['start', { tenantId: 'BAD', catchUpIntervals: '4' }, 'catchUpIntervals'],
      ['start', { tenantId: 'BAD', mode: 'turbo' }, 'mode'],
      ['start', { tenantId: 'not ok' }, 'tenantId'],
      ['start', {}, 'tenantId'],
      ['stop', {}, 'tenantId'],
      ['stop', { tenantId: 'BAD', force: true }, 'force'],
      ['stop', { tenantId: 12 }, 'tenantId'],
    ];
    for (const [action, body, field] of cases) {
      const res = await postJson(`${app.url}/api/ami/auto/${action}`, body);
      expect(res.status, `${action} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
      expect(
        res.body.error.fields.map((f: { field: string }) => f.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    for (const query of ['', '?tenantId=', '?tenantId=a%20b', '?tenantId=A&tenantId=B', '?tenantId=A&extra=1']) {
      const res = await getJson(`${app.url}/api/ami/auto/status${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
    }
    expect(await counts()).toEqual(before);
  });

  it('answers a stop of a tenant that never started with a clear 404', async () => {
    const res = await postJson(`${app.url}/api/ami/auto/stop`, { tenantId: 'NEVER' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'auto mode was never started for tenant NEVER' } });
  });

  it('starts a registered tenant without feederCount on its own feeders, not the contract default of 25', async () => {
    const first = await postJson(`${app.url}/api/ami/publish-once`, { tenantId: 'OWN_FEEDERS', meterCount: 120, feederCount: 6, batchSize: 60 });
    expect(first.status).toBe(202);
    const started = await postJson(`${app.url}/api/ami/auto/start`, { tenantId: 'OWN_FEEDERS', meterCount: 120, batchSize: 60, catchUpIntervals: 0 });
    expect(started.status).toBe(200);
    expect(started.body.config).toMatchObject({ tenantId: 'OWN_FEEDERS', feederCount: 6, meterCount: 120 });
    await postJson(`${app.url}/api/ami/auto/stop`, { tenantId: 'OWN_FEEDERS' });
  });

  it('shows a tenant that never started as disabled', async () => {
    const res = await getJson(`${app.url}/api/ami/auto/status?tenantId=NEVER`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, enabled: false, config: null, latestReadAt: null, nextRunAt: null, recentTicks: [] });
  });
});
