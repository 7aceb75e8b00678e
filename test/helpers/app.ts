import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { makeApp } from '../../src/api/app.ts';
import { listen } from '../../src/api/server.ts';
import { type Clock, systemClock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { createGraphQL } from '../../src/graphql.ts';
import type { WorkerHandle as Runner } from '../../src/worker/runner.ts';
import { startWorker } from '../../src/worker/runner.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

/**
 * Defaults of every service the tests start: no retention, since tests stamp
 * reads at fixed dates that the wall clock leaves behind (a test of the
 * retention sets it).
 */
export const TEST_ENV: Record<string, string> = { AMI_RETENTION_DAYS: '0' };

export interface TestApp {
  url: string;
  config: Config;
  close(): Promise<void>;
}

/** The real Express app on a random port, against the test database. */
export async function startTestApp(
  db: TestDatabase,
  options: { env?: Record<string, string>; clock?: Clock; listenHost?: string; graphql?: boolean } = {},
): Promise<TestApp> {
  const config = loadConfig({ DATABASE_URL: db.url, ...TEST_ENV, ...options.env });
  const clock = options.clock ?? systemClock;
  const graphql = options.graphql ? createGraphQL({ pool: db.pool, logger: db.logger, clock, retentionDays: config.retentionDays }) : undefined;
  const app = makeApp({
    config,
    pool: db.pool,
    logger: db.logger,
    isReady: async () => true,
    clock,
    ...(graphql ? { graphql } : {}),
  });
  const server: Server = await listen(app, 0, options.listenHost ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await graphql?.release();
    },
  };
}

/** A Graphile Worker runner in this process, as the service starts it. */
export async function startTestWorker(db: TestDatabase, options: { env?: Record<string, string>; clock?: Clock } = {}): Promise<Runner> {
  const config = loadConfig({ DATABASE_URL: db.url, ...TEST_ENV, ...options.env });
  return startWorker({ pool: db.pool, config, logger: db.logger, clock: options.clock ?? systemClock, connectionString: db.url });
}

/** The Deps the service's domain functions take, on the test database (test caps and retention unless overridden). */
export function testDeps(db: TestDatabase, overrides: Partial<Deps> & { env?: Record<string, string> } = {}): Deps {
  const { env, ...rest } = overrides;
  const config = loadConfig({ DATABASE_URL: db.url, ...TEST_ENV, ...env });
  return { pool: db.pool, logger: db.logger, caps: config.caps, clock: systemClock, retentionDays: config.retentionDays, ...rest };
}

export interface TestService {
  db: TestDatabase;
  app: TestApp;
  /** The worker, when asked for (its stop() is a no-op otherwise). */
  worker: Runner;
  /** The app's Deps (same database, clock and caps), for calling domain functions directly. */
  deps: Deps;
  get(path: string, headers?: Record<string, string>): ReturnType<typeof getJson>;
  post(path: string, body: unknown, headers?: Record<string, string>): ReturnType<typeof postJson>;
}

/**
 * The setup most test files share: a fresh database, the app on it (and the
 * worker when asked), torn down after the file. The objects returned are
 * filled in before the first test runs, so a file can destructure them at
 * once: `const { db, app } = useTestApp();`.
 */
export function useTestApp(
  options: { env?: Record<string, string>; clock?: Clock; graphql?: boolean; worker?: boolean; listenHost?: string } = {},
): TestService {
  const db = {} as TestDatabase & { drop?: () => Promise<void> };
  const app = {} as TestApp;
  const worker: Runner = { stop: async () => undefined };
  const deps = {} as Deps;
  beforeAll(async () => {
    Object.assign(db, await createTestDatabase());
    Object.assign(app, await startTestApp(db, options));
    Object.assign(deps, testDeps(db, { env: options.env ?? {}, ...(options.clock ? { clock: options.clock } : {}) }));
    if (options.worker) Object.assign(worker, await startTestWorker(db, options));
  });
  afterAll(async () => {
    await worker.stop();
    await app.close?.();
    await db.drop?.();
  });
  return {
    db,
    app,
    worker,
    deps,
    get: (path, headers) => getJson(`${app.url}${path}`, headers),
    post: (path, body, headers) => postJson(`${app.url}${path}`, body, headers),
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Polls until `check` returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Tests that use the real clock and "the current interval" call this first:
 * when a quarter-hour boundary is less than `marginMs` away, it waits until
 * just after it, so the interval cannot change under the test.
 */
export async function awayFromBoundary(marginMs = 20_000): Promise<void> {
  const toBoundary = 900_000 - (Date.now() % 900_000);
  if (toBoundary < marginMs) await new Promise((resolve) => setTimeout(resolve, toBoundary + 500));
}
