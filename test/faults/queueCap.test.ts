import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_DEAD_AFTER_MS } from '../../src/db/workers.ts';
import { eventually, useTestApp } from '../helpers/app.ts';
import { intervalsAgo } from '../helpers/integrity.ts';
import { killServiceProcesses, startServiceProcess } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

/**
 * The queue cap (AMI_MAX_QUEUE_DEPTH, 500 by default) under the two events
 * that move jobs back into the queue without an enqueue: a worker killed
 * while it holds jobs (the reaper of another worker puts them back to
 * waiting) and batch jobs that fail (back to delayed, for a retry). Enqueueing
 * counts running jobs too, so neither can push the queue past the cap.
 * Publishers keep it at the cap all along; a sampler reads ami_queue_depth()
 * every 20 ms.
 */
const { db, app } = useTestApp();
afterAll(async () => {
  await killServiceProcesses();
});

const CAP = 500;
// Ticks of 10 small batch jobs: the publishers hold the queue within 10 jobs of the cap.
const TICK = { meterCount: 100, feederCount: 5, batchSize: 10 };
const PUBLISHERS = ['CAP1', 'CAP2', 'CAP3', 'CAPFAIL'];
const FAILING = 'CAPFAIL';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  /** waiting + delayed: what the cap bounds. */
  queued: number;
  running: number;
  /** Batch jobs that have failed at least once and wait for their retry or run it. */
  retrying: number;
}

/** Reads the batch queue every 20 ms (one statement per sample, so one snapshot) until stopped. */
function startSampler(url: string) {
  const client = new pg.Client({ connectionString: url });
  const samples: Sample[] = [];
  let stopped = false;
  const done = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query<Sample>(
        `select coalesce(sum(d.waiting + d.delayed), 0)::int as queued, coalesce(sum(d.running), 0)::int as running,
                (select count(*)::int from graphile_worker.jobs j where j.task_identifier = 'ami_publish_batch' and j.last_error is not null) as retrying
           from ami_queue_depth() d where d.task = 'ami_publish_batch'`,
      );
      samples.push(rows[0]!);
      await sleep(20);
    }
    await client.end();
  })();
  return {
    samples,
    max: (pick: (sample: Sample) => number) => samples.reduce((max, sample) => Math.max(max, pick(sample)), 0),
    async stop() {
      stopped = true;
      await done;
    },
  };
}

interface PublishTally {
  accepted: number;
  refused: number;
  /** Anything but 202 or a 429 BACKPRESSURE with Retry-After. */
  wrong: string[];
}

/**
 * One tenant publishing its past intervals one after the other; a refused one is tried again 100 ms later.
 * The intervals are counted back from the instant it starts, not from each request's: a quarter-hour
 * boundary passing during the test would otherwise make the next "ago" an interval already published.
 */
async function publisher(base: string, tenantId: string, running: () => boolean, counts: PublishTally): Promise<void> {
  const startedMs = Date.now();
  for (let ago = 1; running(); ) {
    const res = await fetch(`${base}/api/ami/publish-once`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId, ...TICK, readAt: intervalsAgo(ago, startedMs) }),
    });
    const body = (await res.json()) as { error?: { code?: string } };
    if (res.status === 202) {
      counts.accepted++;
      ago++;
    } else if (res.status === 429 && body.error?.code === 'BACKPRESSURE' && res.headers.get('retry-after') !== null) {
      counts.refused++;
      await sleep(100);
    } else {
      counts.wrong.push(`${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      await sleep(100);
    }
  }
}

describe('the queue cap while a worker is killed holding jobs and batch jobs fail and retry', () => {
  it(`never lets waiting + delayed batch jobs pass ${CAP}, and every interval completes with every read once`, async () => {
    const env = { DATABASE_URL: db.url };
    const victim = startServiceProcess('worker', { ...env, AMI_WORKER_CONCURRENCY: '8' });
    const survivor = startServiceProcess('worker', { ...env, AMI_WORKER_CONCURRENCY: '4' });
    for (const worker of [victim, survivor])
      await eventually(async () => (worker.output().includes('worker started') ? true : undefined), 'the workers to start');
    const victimId = await eventually(async () => {
      const { rows } = await db.pool.query('select worker_id from ami_worker_heartbeats where pid = $1', [victim.child.pid]);
      return rows[0]?.worker_id as string | undefined;
    }, "the victim's heartbeat");

    // In this test's database only: every insert of the failing tenant's reads raises while its row is in
    // ami_test_refusals. Refusing ends by deleting the row, not by dropping the trigger: DROP TRIGGER on the
    // partitioned reads table locks every partition and can deadlock with the inserts still running.
    await db.pool.query('create table ami_test_refusals (tenant_id text primary key)');
    await db.pool.query('insert into ami_test_refusals values ($1)', [FAILING]);
    await db.pool.query(`create function ami_test_refuse_reads() returns trigger language plpgsql security definer as $$
      begin
        if exists (select 1 from ami_test_refusals where tenant_id = new.tenant_id) then
          raise exception 'test: reads of % refused', new.tenant_id;
        end if;
        return new;
      end $$`);
    await db.pool.query(`create trigger ami_test_refuse_reads before insert on meter_reads_electric
      for each row when (new.tenant_id = '${FAILING}') execute function ami_test_refuse_reads()`);

    const sampler = startSampler(db.url);
    const counts: PublishTally = { accepted: 0, refused: 0, wrong: [] };
    let publishing = true;
    const publishers = Promise.all(PUBLISHERS.map((tenantId) => publisher(app.url, tenantId, () => publishing, counts)));
    try {
      // At the cap, then the victim dies holding jobs.
      await eventually(
        async () => (sampler.max((s) => s.queued + s.running) >= CAP - TICK.meterCount / TICK.batchSize ? true : undefined),
        'the queue to fill',
      );
      const held = await eventually(async () => {
        const { rows } = await db.pool.query('select count(*)::int as n from graphile_worker.jobs where locked_by = $1', [victimId]);
        return rows[0].n > 0 ? (rows[0].n as number) : undefined;
      }, 'the victim to hold jobs');
      victim.child.kill('SIGKILL');
      const killedAt = Date.now();
      await victim.exited;

      await sleep(8_000);
      await db.pool.query('delete from ami_test_refusals');

      // The survivor's reaper puts the dead worker's jobs back to waiting while the publishers hold the queue at the cap.
      await eventually(
        async () => (survivor.output().includes('released the job locks of dead workers') && survivor.output().includes(victimId) ? true : undefined),
        "the survivor to release the dead worker's locks",
        WORKER_DEAD_AFTER_MS + 30_000,
      );
      const releasedAfterMs = Date.now() - killedAt;
      await sleep(3_000);
      publishing = false;
      await publishers;

      await eventually(
        async () => {
          const { rows } = await db.pool.query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'ami_publish_batch'`);
          return rows[0].n === 0 ? true : undefined;
        },
        'the batch queue to drain',
        90_000,
      );
      await sampler.stop();

      const maxQueued = sampler.max((s) => s.queued);
      const maxPending = sampler.max((s) => s.queued + s.running);
      const maxRetrying = sampler.max((s) => s.retrying);
      const { rows: ledger } = await db.pool.query<{ ticks: number; incomplete: number; lost: number; doubled: number; failing: number }>(
        `select count(*)::int as ticks, (count(*) filter (where t.status <> 'complete'))::int as incomplete,
                coalesce(sum(t.meter_count - r.meters), 0)::int as lost, coalesce(sum(r.reads - r.meters), 0)::int as doubled,
                (count(*) filter (where t.tenant_id = $1))::int as failing
           from ami_ticks t
           cross join lateral (select count(*)::int as reads, count(distinct r.meter_id)::int as meters
                                 from meter_reads_electric r where r.tenant_id = t.tenant_id and r.read_at = t.read_at) r`,
        [FAILING],
      );
      const outcome = ledger[0]!;
      console.log(
        `queue cap ${CAP}: max waiting+delayed ${maxQueued}, max waiting+delayed+running ${maxPending} over ${sampler.samples.length} samples; ` +
          `${counts.accepted} publishes accepted, ${counts.refused} refused 429; victim held ${held} jobs, released ${releasedAfterMs} ms after SIGKILL; ` +
          `up to ${maxRetrying} batch jobs failed and waiting for a retry; ${outcome.ticks} intervals, ${outcome.failing} of the failing tenant`,
      );

      expect(counts.wrong).toEqual([]);
      expect(maxQueued).toBeLessThanOrEqual(CAP);
      // Running jobs count at enqueue time, so the whole pending queue holds the cap too.
      expect(maxPending).toBeLessThanOrEqual(CAP);
      // The test did what it says: the queue at the cap, refusals, failures, the dead worker's jobs back.
      expect(maxPending).toBeGreaterThanOrEqual(CAP - TICK.meterCount / TICK.batchSize);
      expect(counts.refused).toBeGreaterThan(0);
      expect(maxRetrying).toBeGreaterThan(0);
      expect(outcome.failing).toBeGreaterThan(0);
      expect(outcome).toMatchObject({ incomplete: 0, lost: 0, doubled: 0 });
      expect(outcome.ticks).toBe(counts.accepted);
      tally({
        'faults survived': 2,
        'rows lost': outcome.lost,
        'rows doubled': outcome.doubled,
        'queue depth samples': sampler.samples.length,
        'max queue depth sampled': maxQueued,
      });
      survivor.child.kill('SIGTERM');
      expect(await survivor.exited).toEqual({ code: 0, signal: null });
    } finally {
      publishing = false;
      await publishers;
      await sampler.stop();
    }
  }, 180_000);
});
