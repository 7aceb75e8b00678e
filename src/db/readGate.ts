import { AppError } from '../errors.ts';
import type { Pool, PoolClient } from './pool.ts';

export interface ReadGateLimits {
  /** Heavy reads running at once (the read pool's size). */
  concurrent: number;
  /** Heavy reads waiting for a turn; one more is refused (503 BUSY). */
  queued: number;
}

/**
 * The way in for heavy reads (quickcheck, series, GraphQL, exports): their
 * own pool, whose connections carry a statement timeout, so they can never
 * take the connections the worker and the scheduler need; at most
 * `concurrent` at once and `queued` waiting, the rest refused at once with a
 * 503 BUSY that says when to retry; and a query whose caller went away is
 * cancelled in the database (pg_cancel_backend, sent on another pool).
 */
export class ReadGate {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  readonly pool: Pool;
  readonly #cancelPool: Pool;
  readonly #limits: ReadGateLimits;

  constructor(pool: Pool, cancelPool: Pool, limits: ReadGateLimits) {
    this.pool = pool;
    this.#cancelPool = cancelPool;
    this.#limits = limits;
  }

  /** Waits for a turn (or refuses); returns its release. */
  async turn(): Promise<() => void> {
    if (this.#active >= this.#limits.concurrent) {
      if (this.#waiting.length >= this.#limits.queued) {
        throw new AppError('BUSY', `too many heavy reads at once (${this.#active} running, ${this.#waiting.length} waiting); try again in a second`);
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active -= 1;
    };
  }

  /** Runs `read` on a connection of the read pool in its turn; `signal` aborting cancels its query. */
  async withClient<T>(signal: AbortSignal | undefined, read: (client: PoolClient) => Promise<T>): Promise<T> {
    const release = await this.turn();
    try {
      if (signal?.aborted) throw new AppError('UNAVAILABLE', 'the request was abandoned by its client');
      const client = await this.pool.connect();
      const cancel = () => {
        void this.#cancelPool.query('select pg_cancel_backend($1)', [(client as PoolClient & { processID: number }).processID]).catch(() => undefined);
      };
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await read(client);
      } finally {
        signal?.removeEventListener('abort', cancel);
        client.release();
      }
    } finally {
      release();
    }
  }
}
