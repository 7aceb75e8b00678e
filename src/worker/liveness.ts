import os from 'node:os';
import type { Pool } from '../db/pool.ts';
import { beat, forget, releaseDeadWorkers } from '../db/workers.ts';
import type { Logger } from '../logger.ts';

const BEAT_EVERY_MS = 5_000;
const REAP_EVERY_MS = 10_000;

/**
 * Heartbeats for this process's Graphile Worker pools, and the reaper that
 * releases the locks of workers that stopped beating (killed, crashed, cut
 * off): their jobs run again elsewhere instead of waiting 4 hours. Every
 * worker process reaps; releasing is idempotent. A database outage only
 * delays beats and reaps, both retried on their next turn.
 */
export class Liveness {
  readonly #workerIds = new Set<string>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #host = { hostname: os.hostname(), pid: process.pid };

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#timers.push(setInterval(() => void this.beat(), BEAT_EVERY_MS).unref());
    this.#timers.push(setInterval(() => void this.reap(), REAP_EVERY_MS).unref());
  }

  async add(workerId: string): Promise<void> {
    this.#workerIds.add(workerId);
    await this.beat();
  }

  /** A pool that ended: forget it (its locks, if any, are released by the reaper). */
  async remove(workerId: string): Promise<void> {
    this.#workerIds.delete(workerId);
    await forget(this.pool, [workerId]).catch(() => undefined);
  }

  async beat(): Promise<void> {
    if (this.#workerIds.size === 0) return;
    await beat(this.pool, [...this.#workerIds], this.#host).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'worker heartbeat failed; retrying'),
    );
  }

  async reap(): Promise<string[]> {
    try {
      const released = await releaseDeadWorkers(this.pool);
      if (released.length > 0) this.logger.warn({ workers: released }, 'released the job locks of dead workers');
      return released;
    } catch (error) {
      this.logger.warn({ err: error }, 'dead-worker check failed; retrying');
      return [];
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    await forget(this.pool, [...this.#workerIds]).catch(() => undefined);
    this.#workerIds.clear();
  }
}
