import { describe, expect, it } from 'vitest';
import { releaseDeadWorkers } from '../../src/db/workers.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();

async function lockedJob(key: string, lockedBy: string, lockedSecondsAgo: number): Promise<void> {
  await db.pool.query(`select graphile_worker.add_job('ami_publish_batch', '{}'::json, job_key => $1)`, [key]);
  await db.pool.query(`update graphile_worker._private_jobs set locked_by = $2, locked_at = now() - make_interval(secs => $3), attempts = 1 where key = $1`, [
    key,
    lockedBy,
    lockedSecondsAgo,
  ]);
}

describe('releasing the locks of dead workers', () => {
  it('releases workers with a stale heartbeat and unknown workers holding a lock past the grace, and nothing else', async () => {
    await db.pool.query(
      `insert into ami_worker_heartbeats (worker_id, hostname, pid, heartbeat_at) values
         ('dead', 'h', 1, now() - interval '45 seconds'),
         ('alive', 'h', 2, now() - interval '3 seconds')`,
    );
    await lockedJob('a', 'dead', 40);
    await lockedJob('b', 'alive', 600); // a long job on a live worker stays locked
    await lockedJob('c', 'ghost', 90); // no heartbeat ever, locked long ago
    await lockedJob('d', 'newcomer', 5); // no heartbeat yet, just locked: give it time

    const released = await releaseDeadWorkers(db.pool);
    expect(released.sort()).toEqual(['dead', 'ghost']);
    const { rows } = await db.pool.query(`select key, locked_by from graphile_worker.jobs order by key`);
    expect(rows).toEqual([
      { key: 'a', locked_by: null },
      { key: 'b', locked_by: 'alive' },
      { key: 'c', locked_by: null },
      { key: 'd', locked_by: 'newcomer' },
    ]);
    const { rows: beats } = await db.pool.query(`select worker_id from ami_worker_heartbeats order by 1`);
    expect(beats).toEqual([{ worker_id: 'alive' }]);
    expect(await releaseDeadWorkers(db.pool)).toEqual([]);
  });
});
