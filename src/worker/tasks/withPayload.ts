import type { Task } from 'graphile-worker';
import { z } from 'zod';

/**
 * A task whose payload is checked at run time before `run` sees it: jobs can
 * be old, or inserted by hand in SQL. A payload that does not parse is
 * logged and the job dropped (a retry cannot fix it).
 */
export function withPayload<S extends z.ZodType>(
  identifier: string,
  schema: S,
  run: (payload: z.output<S>, helpers: Parameters<Task>[1]) => Promise<unknown>,
  hint = 'invalid payload',
): Task {
  return async (payload, helpers) => {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      helpers.logger.error(`dropping ${identifier} job ${helpers.job.id}: ${hint}: ${z.prettifyError(parsed.error)}`);
      return;
    }
    await run(parsed.data, helpers);
  };
}
