import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SERIES_HOURS } from '../../src/kpi/series.ts';
import { eventually, postJson } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { intervalIntegrity, intervalsAgo, tickRow } from '../helpers/integrity.ts';
import { pollTimes } from '../helpers/poll.ts';
import { freePort, killServiceProcesses, startServiceProcess, waitForOk } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

/**
 * Heavy reads in bulk against the whole service (API and worker in one
 * process, as `npm start` runs them) while a 25,000-meter tick lands: waves
 * of 200 concurrent quickchecks, series and GraphQL KPI queries. The read
 * gate answers each with its result or a 503 BUSY saying when to retry
 * (Retry-After), never another 5xx; the reads have their own pool, so the
 * tick, the heartbeats, /readyz and a publish are not starved.
 */
const db = useTestDatabase();
afterAll(async () => {
  await killServiceProcesses();
});

const TENANT = 'STORM';
const METERS = 25_000;
const WAVE = 200;
const GATE_QUEUE = 10;

interface Read {
  kind: 'quickcheck' | 'series' | 'graphql';
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  /** GraphQL errors in a 200 (a statement timeout is answered so). */
  graphqlErrors: string[];
}

/** The i-th read of a wave: different intervals and windows, so no two share a computation. */
function heavyRead(base: string, i: number): Promise<Read> {
  const readAt = intervalsAgo(2 + (i % 40));
  const kind = (['quickcheck', 'series', 'graphql'] as const)[i % 3]!;
  let request: Promise<Response>;
  if (kind === 'quickcheck') {
    request = fetch(`${base}/api/ami/kpi/quickcheck?tenantId=${TENANT}${i % 9 === 0 ? '' : `&readAt=${readAt}`}`);
  } else if (kind === 'series') {
    request = fetch(`${base}/api/ami/kpi/series?tenantId=${TENANT}&hours=${1 + (i % MAX_SERIES_HOURS)}`);
  } else {
    const query =
      i % 2 === 0
        ? `query($t: String!, $r: Datetime!) { intervalKpisAt(tenantId: $t, readAt: $r) { readAt reportingMeters totalKwh feeders { feederId totalKwh } } }`
        : `query($t: String!) { latestIntervalKpiByTenantId(tenantId: $t) { readAt reportingRatePct totalKwh staleOver15m } allLatestFeederKpis(first: 25, condition: { tenantId: $t }) { nodes { feederId totalKwh } } }`;
    request = fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables: { t: TENANT, r: readAt } }),
    });
  }
  return request.then(async (res) => {
    const body = (await res.json()) as { error?: { code?: string }; errors?: Array<{ message: string }> };
    return {
      kind,
      status: res.status,
      code: body.error?.code,
      retryAfter: res.headers.get('retry-after'),
      graphqlErrors: (body.errors ?? []).map((e) => e.message),
    };
  });
}

describe('200 concurrent heavy reads while a 25,000-meter tick lands', () => {
  it('answers every read 200 or 503 BUSY with Retry-After, completes the tick, and keeps the heartbeat, /readyz and publishing fast', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // The default gate (6 running, 100 waiting) drains as fast as a wave of 200 arrives on this
    // machine now that a read takes ~10 ms (no JIT): nothing would be refused and the refusal would
    // go unchecked. A queue of 10 keeps the default 6 running, so a wave must overflow it.
    const service = startServiceProcess('all', { DATABASE_URL: db.url, PORT: String(port), AMI_READ_QUEUE: String(GATE_QUEUE) });
    await waitForOk(`${base}/readyz`, service);

    // Two intervals already in, so the reads have data to work on (counted once: a boundary may pass meanwhile).
    const earlier = [3, 2].map((ago) => intervalsAgo(ago));
    for (const readAt of earlier) expect((await postJson(`${base}/api/ami/publish-once`, { tenantId: TENANT, readAt })).status).toBe(202);
    for (const readAt of earlier) {
      await eventually(async () => ((await tickRow(db.pool, TENANT, readAt))?.status === 'complete' ? true : undefined), 'the earlier intervals', 60_000);
    }

    let oldestBeatMs = 0;
    const readyz = pollTimes(async () => (await fetch(`${base}/readyz`)).status === 200, 50);
    const heartbeats = pollTimes(async () => {
      const { rows } = await db.pool.query<{ age_ms: number }>(
        `select coalesce(max(extract(epoch from now() - heartbeat_at) * 1000), 0)::int as age_ms from ami_worker_heartbeats`,
      );
      oldestBeatMs = Math.max(oldestBeatMs, rows[0]!.age_ms);
      return rows[0]!.age_ms < 15_000;
    }, 500);

    const readAt = intervalsAgo(1);
    const publishStarted = performance.now();
    const publishing = postJson(`${base}/api/ami/publish-once`, { tenantId: TENANT, readAt }).then((res) => ({
      ...res,
      ms: performance.now() - publishStarted,
    }));
    const reads: Read[] = [];
    let waves = 0;
    let tickDone = false;
    while (!tickDone || waves === 0) {
      reads.push(...(await Promise.all(Array.from({ length: WAVE }, (_, i) => heavyRead(base, waves * WAVE + i)))));
      waves++;
      tickDone = (await tickRow(db.pool, TENANT, readAt))?.status === 'complete';
      if (waves >= 10) break;
    }
    const published = await publishing;
    const tickMs = await eventually(
      async () => {
        const tick = await tickRow(db.pool, TENANT, readAt);
        return tick?.status === 'complete' ? performance.now() - publishStarted : undefined;
      },
      'the tick to complete',
      60_000,
    );
    const ready = await readyz.stop();
    const beats = await heartbeats.stop();

    const ok = reads.filter((read) => read.status === 200);
    const busy = reads.filter((read) => read.status === 503 && read.code === 'BUSY' && read.retryAfter === '1');
    const other = reads.filter((read) => !ok.includes(read) && !busy.includes(read));
    const graphqlErrors = ok.flatMap((read) => read.graphqlErrors);
    const integrity = await intervalIntegrity(db.pool, TENANT, readAt, METERS);
    const byKind = (kind: Read['kind']) => `${ok.filter((r) => r.kind === kind).length}/${reads.filter((r) => r.kind === kind).length}`;
    console.log(
      `${reads.length} heavy reads in ${waves} wave(s) of ${WAVE}: ${ok.length} answered (quickcheck ${byKind('quickcheck')}, series ${byKind('series')}, GraphQL ${byKind('graphql')}), ` +
        `${busy.length} refused 503 BUSY, ${other.length} other; publish-once ${published.ms.toFixed(0)} ms; tick complete ${tickMs.toFixed(0)} ms after it; ` +
        `/readyz ${ready.count} polls, slowest ${ready.maxMs.toFixed(0)} ms; heartbeats sampled ${beats.count} times, oldest ${oldestBeatMs} ms`,
    );
    tally({
      'heavy reads tried': reads.length,
      'BUSY refusals': busy.length,
      '5xx seen': other.filter((read) => read.status >= 500).length,
      'rows lost': integrity.lost,
      'rows doubled': integrity.doubled,
    });

    expect(other.map((read) => `${read.kind} ${read.status} ${read.code} retry-after ${read.retryAfter}`)).toEqual([]);
    expect(graphqlErrors).toEqual([]);
    // The gate did its work: more arrived than it runs and queues (6 + GATE_QUEUE), the rest were told to come back.
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    expect(published.status).toBe(202);
    expect(integrity).toEqual({ reads: METERS, meters: METERS, lost: 0, doubled: 0 });
    expect(service.output()).not.toContain('worker heartbeat failed');
    expect(beats.failures).toBe(0);
    expect(oldestBeatMs).toBeLessThan(15_000);
    expect(ready.failures).toBe(0);
    // Their own pool and no turn to wait for: slowed only by a busy CPU (2 shared cores here), never
    // queued behind the reads, which would take the whole storm (publish-once took 10.7 s when the
    // reads shared the worker's pool). The bounds leave room for a loaded runner's pauses.
    expect(ready.maxMs).toBeLessThan(4_000);
    expect(published.ms).toBeLessThan(5_000);

    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
