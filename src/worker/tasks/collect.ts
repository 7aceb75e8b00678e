import type { Task } from 'graphile-worker';
import { collectSweep } from '../../collection/sweep.ts';
import type { Deps } from '../../deps.ts';

/** `ami_collect` (crontab, every minute): meter events in, due reads handed to `ami_deliver` jobs. */
export function collectTask(deps: Deps): Task {
  return async () => {
    await collectSweep(deps);
  };
}
