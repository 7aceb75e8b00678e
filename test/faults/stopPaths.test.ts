import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.ts';
import { eventually, postJson } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { holdLedgerRow, intervalIntegrity, intervalsAgo, lockedJobs, tickRow } from '../helpers/integrity.ts';
import { freePort, killServiceProcesses, type ServiceProcess, spawnProcess, startServiceProcess, waitForOk } from '../helpers/process.ts';
import { tally } from '../helpers/tally.ts';

/**
 * Every way the service is stopped in practice, each while a tick's batches
 * are running: a signal to `npm start` (npm forwards it), to the node process
 * under npm, to the whole process group (a terminal's Ctrl-C, `kill --
 * -pgid`: npm and node each get it, node twice), and to `node src/start.mjs`
 * run directly (`docker stop` to PID 1). Each must end in a graceful stop:
 * node exits 0 within seconds, no process of it is left, no job is locked;
 * and the next service started on the database (the next path's) completes
 * the interval with every read once. Then the second-signal rule: a repeat
 * within 2 s is the same stop, one later forces the exit.
 */
const db = useTestDatabase();
// After each test, not only at the end: a service left running by a failed
// test would work on the next test's jobs and fail it too.
// npm's node child is killed too: killing npm alone would leave it orphaned and working.
const nodePids = new Set<number>();
afterEach(async () => {
  await killServiceProcesses();
  for (const pid of nodePids) {
    try {
      if (procStat(pid) !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  nodePids.clear();
});

const TICK = { meterCount: 10_000, feederCount: 10, batchSize: 200 }; // 50 batch jobs
const BATCHES = TICK.meterCount / TICK.batchSize;
const readAt = intervalsAgo(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** State, parent and process group of a live process (a zombie counts as gone), from /proc. */
function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? undefined : { state: state!, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => procStat(pid) !== undefined);
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

interface Launched {
  service: ServiceProcess;
  /** The node process of the service (npm's child under npm). */
  nodePid: number;
  npmPid: number | undefined;
  detached: boolean;
}

interface StopPath {
  name: string;
  launch(env: Record<string, string>): Promise<Launched>;
  stop(launched: Launched): void;
}

async function underNpm(env: Record<string, string>, detached: boolean): Promise<Launched> {
  const service = spawnProcess('npm', ['start'], { env: { ...env, npm_config_update_notifier: 'false' }, detached });
  const npmPid = service.child.pid!;
  // `exec node`: npm's child is node itself, no shell between them to swallow a
  // signal. npm's shell (`sh -c "exec node src/start.mjs"`) is that child for a
  // moment before it execs, so wait for the child to be node: a script without
  // `exec` never gets there (node would be npm's grandchild) and this times out.
  const nodePid = await eventually(
    async () => livePids().find((pid) => procStat(pid)?.ppid === npmPid && /(^|\/)node$/.test(commandLine(pid)[0] ?? '')),
    "npm's child process to be node (exec'd by npm's shell)",
    10_000,
  );
  nodePids.add(nodePid);
  expect(commandLine(nodePid).slice(1)).toEqual(['src/start.mjs']);
  expect(livePids().filter((pid) => procStat(pid)?.ppid === npmPid)).toEqual([nodePid]);
  return { service, nodePid, npmPid, detached };
}

const paths: StopPath[] = [
  { name: 'SIGTERM to npm', launch: (env) => underNpm(env, false), stop: (l) => process.kill(l.npmPid!, 'SIGTERM') },
  { name: "SIGTERM to node, npm's child", launch: (env) => underNpm(env, false), stop: (l) => process.kill(l.nodePid, 'SIGTERM') },
  { name: 'SIGTERM to the process group', launch: (env) => underNpm(env, true), stop: (l) => process.kill(-l.npmPid!, 'SIGTERM') },
  { name: 'SIGINT to the process group (Ctrl-C)', launch: (env) => underNpm(env, true), stop: (l) => process.kill(-l.npmPid!, 'SIGINT') },
  {
    name: 'SIGTERM to node src/start.mjs run directly (docker stop)',
    launch: async (env) => {
      const service = spawnProcess(process.execPath, ['src/start.mjs'], { env });
      return { service, nodePid: service.child.pid!, npmPid: undefined, detached: false };
    },
    stop: (l) => process.kill(l.nodePid, 'SIGTERM'),
  },
];

async function publish(base: string, tenantId: string): Promise<void> {
  const res = await postJson(`${base}/api/ami/publish-once`, { tenantId, ...TICK, readAt });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

/** Waits until the tenant's tick has landed a few batches and a batch job is running. */
async function midTick(pool: Pool, tenantId: string): Promise<void> {
  await eventually(
    async () => ((await tickRow(pool, tenantId, readAt))!.batches_done >= 2 && (await lockedJobs(pool)) > 0 ? true : undefined),
    'batches to be running',
    30_000,
  );
}

/** The interval of a tenant stopped mid-tick, completed by a later service: every read once. */
async function completed(pool: Pool, tenantId: string) {
  await eventually(async () => ((await tickRow(pool, tenantId, readAt))?.status === 'complete' ? true : undefined), `${tenantId} to complete`, 60_000);
  const tick = (await tickRow(pool, tenantId, readAt))!;
  expect(tick).toMatchObject({ batches_done: BATCHES, batch_count: BATCHES, rows_written: TICK.meterCount });
  const integrity = await intervalIntegrity(pool, tenantId, readAt, TICK.meterCount);
  expect(integrity).toEqual({ reads: TICK.meterCount, meters: TICK.meterCount, lost: 0, doubled: 0 });
  return integrity;
}

describe('stopping the service while a tick is running, every way it is stopped', () => {
  it('stops gracefully on each path (exit 0 in seconds, no process left, no job locked) and the next service completes the interval', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL: db.url, PORT: String(port), AMI_WORKER_CONCURRENCY: '2' };
    let previous: string | undefined;
    let lost = 0;
    let doubled = 0;
    const report: string[] = [];

    for (const [index, path] of paths.entries()) {
      const tenantId = `STOP${index + 1}`;
      const launched = await path.launch(env);
      await waitForOk(`${base}/readyz`, launched.service);
      // This service is the one started after the previous path's stop: it finishes that interval.
      if (previous) {
        const integrity = await completed(db.pool, previous);
        lost += integrity.lost;
        doubled += integrity.doubled;
      }
      await publish(base, tenantId);
      await midTick(db.pool, tenantId);

      const signalled = Date.now();
      path.stop(launched);
      const exit = await launched.service.exited;
      const exitMs = Date.now() - signalled;
      // npm exits with its script's code: 0 is node's own 0.
      expect(exit, `${path.name}: ${launched.service.output().slice(-2_000)}`).toEqual({ code: 0, signal: null });
      expect(exitMs, path.name).toBeLessThan(10_000);
      const log = launched.service.output();
      expect(log, path.name).toContain('"msg":"stopped"');
      expect(log, path.name).not.toContain('second signal: exiting now');
      await eventually(async () => (procStat(launched.nodePid) === undefined ? true : undefined), `${path.name}: node to be gone`, 5_000);
      if (launched.npmPid !== undefined) expect(procStat(launched.npmPid), path.name).toBeUndefined();
      if (launched.detached) expect(livePids().filter((pid) => procStat(pid)?.pgrp === launched.npmPid)).toEqual([]);
      expect(await lockedJobs(db.pool), path.name).toBe(0);
      const stoppedAt = (await tickRow(db.pool, tenantId, readAt))!;
      expect(stoppedAt.status, `${path.name}: stopped mid-tick, no new batch taken`).toBe('enqueued');
      expect(stoppedAt.batches_done).toBeLessThan(BATCHES);
      const twice = log.includes('stop already under way');
      report.push(
        `${path.name}: exit 0 in ${exitMs} ms at batch ${stoppedAt.batches_done}/${BATCHES}${twice ? ', signal delivered twice (second ignored)' : ''}`,
      );
      previous = tenantId;
    }

    const last = startServiceProcess('all', env);
    await waitForOk(`${base}/readyz`, last);
    const integrity = await completed(db.pool, previous!);
    lost += integrity.lost;
    doubled += integrity.doubled;
    last.child.kill('SIGTERM');
    expect(await last.exited).toEqual({ code: 0, signal: null });
    console.log(report.join('\n'));
    tally({ 'faults survived': paths.length, 'rows lost': lost, 'rows doubled': doubled });
  });

  it('a second signal within 2 s is the same stop; one sent later forces the exit', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL: db.url, PORT: String(port), AMI_WORKER_CONCURRENCY: '2' };
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      /** Holds the tick's ledger row: the running batches wait on it, so the graceful stop waits for them. */
      const holdLedger = (tenantId: string) => holdLedgerRow(blocker, db.pool, tenantId, readAt);

      // Twice within 2 s: one stop, waiting for the running batches, then exit 0.
      const repeated = spawnProcess(process.execPath, ['src/start.mjs'], { env });
      await waitForOk(`${base}/readyz`, repeated);
      await publish(base, 'TWICE');
      await midTick(db.pool, 'TWICE');
      await holdLedger('TWICE');
      repeated.child.kill('SIGTERM');
      await sleep(300);
      repeated.child.kill('SIGTERM');
      await sleep(1_000);
      expect(repeated.child.exitCode, 'still stopping: the running batches wait').toBeNull();
      await blocker.query('rollback');
      expect(await repeated.exited).toEqual({ code: 0, signal: null });
      expect(repeated.output()).toContain('stop already under way');
      expect(await lockedJobs(db.pool)).toBe(0);

      // Again after 3.5 s (more than the 2 s rule, with room for a busy event loop): exit at once with 1, the running batches abandoned (their locks left behind).
      const forced = spawnProcess(process.execPath, ['src/start.mjs'], { env });
      await waitForOk(`${base}/readyz`, forced);
      await completed(db.pool, 'TWICE');
      await publish(base, 'FORCED');
      await midTick(db.pool, 'FORCED');
      await holdLedger('FORCED');
      forced.child.kill('SIGTERM');
      await sleep(3_500);
      expect(forced.child.exitCode, 'still stopping when the second signal comes').toBeNull();
      const second = Date.now();
      forced.child.kill('SIGTERM');
      expect(await forced.exited).toEqual({ code: 1, signal: null });
      const forcedMs = Date.now() - second;
      expect(forcedMs).toBeLessThan(2_000);
      expect(forced.output()).toContain('second signal: exiting now');
      await blocker.query('rollback');
      const { rows: left } = await db.pool.query<{ locked_by: string }>('select distinct locked_by from graphile_worker.jobs where locked_by is not null');
      expect(left.length, 'a forced exit leaves its running jobs locked').toBe(1);

      // What an operator does then (or the next worker's reaper, 30 s later): release them; the interval completes.
      await db.pool.query('select graphile_worker.force_unlock_workers($1::text[])', [left.map((row) => row.locked_by)]);
      const after = startServiceProcess('all', env);
      await waitForOk(`${base}/readyz`, after);
      const integrity = await completed(db.pool, 'FORCED');
      after.child.kill('SIGTERM');
      expect(await after.exited).toEqual({ code: 0, signal: null });
      console.log(`second signal 3.5 s later: exit 1 in ${forcedMs} ms`);
      tally({ 'faults survived': 2, 'rows lost': integrity.lost, 'rows doubled': integrity.doubled });
    } finally {
      await blocker.end();
    }
  });
});
