import type { Clock } from './clock.ts';
import type { Caps } from './config.ts';
import type { Pool } from './db/pool.ts';
import type { Logger } from './logger.ts';

/**
 * What the domain functions of the data plane (publish, catch-up, scheduler,
 * auto mode, KPIs) are given: the database, the caps, the logger, the one
 * clock and the retention. Routes and tasks pass it through; nothing reads
 * these from module state.
 */
export interface Deps {
  pool: Pool;
  caps: Caps;
  logger: Logger;
  clock: Clock;
  /** Days of reads kept (AMI_RETENTION_DAYS); 0 keeps everything. */
  retentionDays: number;
}
