import type { Task } from 'graphile-worker';
import { deliverInterval } from '../../collection/deliver.ts';
import { deliverPayloadSchema } from '../../collection/payloads.ts';
import { TASKS } from '../../db/queue.ts';
import type { Deps } from '../../deps.ts';
import { withPayload } from './withPayload.ts';

/** `ami_deliver`: the late and backfilled reads of one interval that are due. */
export function deliverTask(deps: Deps): Task {
  return withPayload(TASKS.deliver, deliverPayloadSchema, (payload) => deliverInterval(deps, payload));
}
