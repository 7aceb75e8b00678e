import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Pool } from '../db/pool.ts';
import { forget, releaseDeadWorkers } from '../db/workers.ts';
import type { Logger } from '../logger.ts';

const BEAT_EVERY_MS = 5_000;
const REAP_EVERY_MS = 10_000;

/**
 * Heartbeats for this process's Graphile Worker pools, sent from a thread of
 * their own (heartbeatThread.ts) so that a stalled event loop here does not
 * stop them, and the reaper that releases the locks of workers that stopped
 * beating (killed, crashed, frozen, cut off): their jobs run again elsewhere
 * instead of waiting 4 hours. Every worker process reaps; releasing is
 * idempotent. A database outage only delays beats and reaps, both retried.
 */
export class Liveness {
  readonly #workerIds = new Set<string>();
  readonly #timers: NodeJS.Timeout[] = [];
  #thread: Worker | undefined;
  #seq = 0;
  readonly #acks = new Map<number, () => void>();

  readonly #pool: Pool;
  readonly #connectionString: string;
  readonly #logger: Logger;

  constructor(pool: Pool, connectionString: string, logger: Logger) {
    this.#pool = pool;
    this.#connectionString = connectionString;
    this.#logger = logger;
  }

  start(): void {
    const thread = new Worker(new URL('./heartbeatThread.ts', import.meta.url), {
      workerData: { connectionString: this.#connectionString, everyMs: BEAT_EVERY_MS, host: { hostname: os.hostname(), pid: process.pid } },
    });
    thread.on('message', (message: { beat?: number; failed?: string }) => {
      if (message.failed) this.#logger.warn({ error: message.failed }, 'worker heartbeat failed; retrying');
      if (message.beat !== undefined) {
        this.#acks.get(message.beat)?.();
        this.#acks.delete(message.beat);
      }
    });
    thread.on('error', (error) => this.#logger.error({ err: error }, 'heartbeat thread failed'));
    thread.unref();
    this.#thread = thread;
    this.#timers.push(setInterval(() => void this.reap(), REAP_EVERY_MS).unref());
  }

  /** A new pool: beats for it at once (before it takes a job), then every few seconds. */
  async add(workerId: string): Promise<void> {
    this.#workerIds.add(workerId);
    await this.#sendIds();
  }

  /** A pool that ended: forget it (its locks, if any, are released by the reaper). */
  async remove(workerId: string): Promise<void> {
    this.#workerIds.delete(workerId);
    await this.#sendIds();
    await forget(this.#pool, [workerId]).catch(() => undefined);
  }

  async #sendIds(): Promise<void> {
    const thread = this.#thread;
    if (!thread) return;
    const seq = ++this.#seq;
    const acked = new Promise<void>((resolve) => {
      this.#acks.set(seq, resolve);
      // A thread that cannot answer must not hold up the worker's start.
      setTimeout(resolve, 5_000).unref();
    });
    thread.postMessage({ ids: [...this.#workerIds], seq });
    await acked;
  }

  async reap(): Promise<string[]> {
    try {
      const released = await releaseDeadWorkers(this.#pool);
      if (released.length > 0) this.#logger.warn({ workers: released }, 'released the job locks of dead workers');
      return released;
    } catch (error) {
      this.#logger.warn({ err: error }, 'dead-worker check failed; retrying');
      return [];
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread) {
      const stopped = new Promise<void>((resolve) => {
        thread.on('message', (message: { stopped?: boolean }) => message.stopped && resolve());
        thread.once('exit', () => resolve());
        setTimeout(resolve, 5_000).unref();
      });
      thread.postMessage({ stop: true });
      await stopped;
      await thread.terminate();
    }
    await forget(this.#pool, [...this.#workerIds]).catch(() => undefined);
    this.#workerIds.clear();
  }
}
