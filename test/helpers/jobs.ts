import { deliverInterval } from '../../src/collection/deliver.ts';
import { deliverPayloadSchema } from '../../src/collection/payloads.ts';
import { TASKS } from '../../src/db/queue.ts';
import type { Deps } from '../../src/deps.ts';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { batchPayloadSchema } from '../../src/ingest/payloads.ts';

/**
 * Runs every queued job of the write tasks (a tick's batches, deliveries) in
 * this process, as a worker would, and removes them from the queue: a test
 * drives the data plane through its own clock without a worker waiting for
 * run_at. `only`: just these job ids. Returns how many jobs ran.
 */
export async function runWriteJobs(deps: Deps, only?: string[]): Promise<number> {
  const { rows } = await deps.pool.query<{ id: string; task: string; payload: unknown }>(
    `select j.id, t.identifier as task, j.payload
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = any($1) and j.locked_at is null and ($2::bigint[] is null or j.id = any($2))
      order by j.id`,
    [[TASKS.publishBatch, TASKS.deliver], only ?? null],
  );
  for (const job of rows) {
    if (job.task === TASKS.publishBatch) await publishBatch(deps, batchPayloadSchema.parse(job.payload));
    else await deliverInterval(deps, deliverPayloadSchema.parse(job.payload));
    await deps.pool.query('delete from graphile_worker._private_jobs where id = $1', [job.id]);
  }
  return rows.length;
}
