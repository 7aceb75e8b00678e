import type { Response } from 'express';

/**
 * A signal that aborts when the client goes away before its answer is sent,
 * so the read it started is cancelled in the database rather than left to
 * run for nobody.
 */
export function abandoned(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
