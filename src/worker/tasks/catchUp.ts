import type { Task } from 'graphile-worker';
import { catchUp } from '../../auto/catchUp.ts';
import { TASKS } from '../../db/queue.ts';
import type { Deps } from '../../deps.ts';
import { catchUpPayloadSchema } from '../../ingest/payloads.ts';
import { observeCatchUp } from '../../metrics.ts';
import { withPayload } from './withPayload.ts';

/** `ami_catch_up`: re-publish one tenant's missing recent intervals, oldest first (each run counted in ami_catch_up_runs_total). */
export function catchUpTask(deps: Deps): Task {
  return withPayload(TASKS.catchUp, catchUpPayloadSchema, async (payload) => {
    try {
      const result = await catchUp(deps, payload.tenantId);
      observeCatchUp(payload.tenantId, result.deferred ? 'deferred' : result.published.length > 0 ? 'published' : 'nothing');
    } catch (error) {
      observeCatchUp(payload.tenantId, 'error');
      throw error;
    }
  });
}
