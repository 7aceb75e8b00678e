import { afterAll, describe, expect, it } from 'vitest';
import { eventually, postJson } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { intervalIntegrity, intervalsAgo, lockedJobs, tickRow } from '../helpers/integrity.ts';
import { freePort, killServiceProcesses, startServiceProcess, waitForOk } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

const db = useTestDatabase();
afterAll(async () => {
  await killServiceProcesses();
});

describe('SIGTERM of the whole service during a tick', () => {
  it('exits 0 leaving no job locked; the next start completes the interval with every read once', async () => {
    const readAt = intervalsAgo(3);
    const port = await freePort();
    const env = { DATABASE_URL: db.url, PORT: String(port), AMI_WORKER_CONCURRENCY: '1' };
    const first = startServiceProcess('all', env);
    await waitForOk(`http://127.0.0.1:${port}/readyz`, first);
    expect((await postJson(`http://127.0.0.1:${port}/api/ami/publish-once`, { tenantId: 'TERM', readAt })).status).toBe(202);
    await eventually(async () => ((await tickRow(db.pool, 'TERM', readAt))!.batches_done >= 2 ? true : undefined), 'two batches');
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect((await tickRow(db.pool, 'TERM', readAt))!.status).toBe('enqueued');
    expect(await lockedJobs(db.pool)).toBe(0);

    const second = startServiceProcess('all', env);
    await eventually(async () => ((await tickRow(db.pool, 'TERM', readAt))?.status === 'complete' ? true : undefined), 'the interval to complete', 120_000);
    const integrity = await intervalIntegrity(db.pool, 'TERM', readAt, 25_000);
    expect(integrity).toEqual({ reads: 25_000, meters: 25_000, lost: 0, doubled: 0 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    tally({ 'faults survived': 1, 'rows lost': integrity.lost, 'rows doubled': integrity.doubled });
  });
});
