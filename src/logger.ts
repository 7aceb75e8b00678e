import { createRequire } from 'node:module';
import { Logger as GraphileLogger } from 'graphile-worker';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines for machines; pino-pretty for a human at a terminal when it is
 * installed (it is a dev dependency, absent from production installs).
 */
export function createLogger(options: { level: string; pretty?: boolean | undefined }): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && prettyAvailable());
  return pino({
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * A `@graphile/logger` Logger (used by graphile-worker and graphile-migrate)
 * that writes through pino, so every line of the service is the same JSON.
 * Per-job success lines go to debug (the data plane logs one line per tick
 * instead), and a job in the metadata is cut to its id and task.
 */
export function graphileLogFactory(logger: Logger, component: string) {
  const levels = { error: 'error', warning: 'warn', info: 'info', debug: 'debug' } as const;
  return (scope: object) => {
    const child = logger.child({ component, ...scope });
    return (level: string, message: string, meta?: Record<string, unknown>) => {
      let method: 'error' | 'warn' | 'info' | 'debug' = levels[level as keyof typeof levels] ?? 'info';
      if (meta?.success === true && method === 'info') method = 'debug';
      const job = meta?.job as { id?: unknown; task_identifier?: unknown } | undefined;
      const fields = job ? { ...meta, job: { id: job.id, task: job.task_identifier } } : (meta ?? {});
      child[method](fields, message);
    };
  };
}

/** Graphile Worker's logger (its runner and its migrations), writing through pino. */
export function graphileWorkerLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(graphileLogFactory(logger, 'graphile-worker'));
}
