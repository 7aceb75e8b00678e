import type { Task } from 'graphile-worker';
import { TASKS } from '../../db/queue.ts';
import type { Deps } from '../../deps.ts';
import { batchPayloadSchema } from '../../ingest/payloads.ts';
import { publishBatch } from '../../ingest/publishBatch.ts';
import { withPayload } from './withPayload.ts';

/** `ami_publish_batch`: one slice of the fleet for one interval. */
export function publishBatchTask(deps: Deps): Task {
  return withPayload(TASKS.publishBatch, batchPayloadSchema, (payload) => publishBatch(deps, payload));
}
