import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { PROJECT_DIR } from '../../src/service.ts';
import { eventually, postJson } from '../helpers/app.ts';
import { testLogger } from '../helpers/db.ts';
import { intervalIntegrity, intervalsAgo, lockedJobs, tickRow } from '../helpers/integrity.ts';
import { freePort, killServiceProcesses, startServiceProcess, waitForOk } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

// Its own PostgreSQL cluster (the embedded binaries), so restarting it
// disturbs no other test.
let dataRoot: string | undefined;
let server: EmbeddedPostgres | undefined;
let pool: Pool | undefined;
afterAll(async () => {
  await killServiceProcesses();
  await pool?.end();
  await server?.stop();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

async function status(url: string): Promise<number> {
  return fetch(url).then(
    (res) => res.status,
    () => 0,
  );
}

describe('PostgreSQL restarted during a tick', () => {
  it('turns /readyz to 503 while it is down, recovers without a service restart, and completes the interval with every read once', async () => {
    dataRoot = await mkdtemp(path.join(process.getuid?.() === 0 ? '/var/tmp' : os.tmpdir(), 'ami-fault-pg-'));
    await chmod(dataRoot, 0o755);
    const pgPort = await freePort();
    const pgOptions = { projectDir: PROJECT_DIR, dataDir: path.join(dataRoot, 'postgres'), port: pgPort, logger: testLogger };
    server = await startEmbeddedPostgres(pgOptions);
    pool = createPool(server.connectionString, testLogger, { max: 4 });

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const service = startServiceProcess('all', { DATABASE_URL: server.connectionString, PORT: String(port), AMI_WORKER_CONCURRENCY: '1' });
    await waitForOk(`${base}/readyz`, service);

    const readAt = intervalsAgo(2);
    expect((await postJson(`${base}/api/ami/publish-once`, { tenantId: 'PGR', readAt })).status).toBe(202);
    await eventually(async () => ((await tickRow(pool!, 'PGR', readAt))!.batches_done >= 2 ? true : undefined), 'two batches');

    await server.stop();
    await eventually(async () => ((await status(`${base}/readyz`)) === 503 ? true : undefined), '/readyz to report 503');
    expect(await status(`${base}/healthz`)).toBe(200); // alive, just not ready
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await status(`${base}/readyz`)).toBe(503);

    server = await startEmbeddedPostgres(pgOptions);
    await eventually(async () => ((await status(`${base}/readyz`)) === 200 ? true : undefined), '/readyz to recover', 60_000);
    expect(service.child.exitCode).toBeNull(); // the same process, never restarted

    const done = await eventually(
      async () => {
        const tick = await tickRow(pool!, 'PGR', readAt).catch(() => undefined);
        return tick?.status === 'complete' ? tick : undefined;
      },
      'the interval to complete',
      120_000,
    );
    expect(done).toMatchObject({ batches_done: 50, rows_written: 25_000 });
    const integrity = await intervalIntegrity(pool, 'PGR', readAt, 25_000);
    expect(integrity).toEqual({ reads: 25_000, meters: 25_000, lost: 0, doubled: 0 });
    await eventually(async () => ((await lockedJobs(pool!)) === 0 ? true : undefined), 'no job left locked', 60_000);

    // And it keeps working: another interval goes through end to end.
    const next = intervalsAgo(1);
    expect((await postJson(`${base}/api/ami/publish-once`, { tenantId: 'PGR', readAt: next })).status).toBe(202);
    await eventually(async () => ((await tickRow(pool!, 'PGR', next))?.status === 'complete' ? true : undefined), 'the next interval');

    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    tally({ 'faults survived': 1, 'rows lost': integrity.lost, 'rows doubled': integrity.doubled });
  });
});
