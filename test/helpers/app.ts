import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerHandle as Runner } from '../../src/worker/runner.ts';
import { makeApp } from '../../src/api/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createGraphQL } from '../../src/graphql.ts';
import { startWorker } from '../../src/worker/runner.ts';
import type { TestDatabase } from './db.ts';

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
  options: { env?: Record<string, string>; now?: () => Date; listenHost?: string; graphql?: boolean } = {},
): Promise<TestApp> {
  const config = loadConfig({ DATABASE_URL: db.url, ...TEST_ENV, ...options.env });
  const graphql = options.graphql ? createGraphQL({ pool: db.pool, logger: db.logger }) : undefined;
  const app = makeApp({
    config,
    pool: db.pool,
    logger: db.logger,
    isReady: async () => true,
    ...(options.now ? { now: options.now } : {}),
    ...(graphql ? { graphql } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, options.listenHost ?? '127.0.0.1', () => resolve(s));
  });
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
export async function startTestWorker(db: TestDatabase, env: Record<string, string> = {}): Promise<Runner> {
  const config = loadConfig({ DATABASE_URL: db.url, ...TEST_ENV, ...env });
  return startWorker({ pool: db.pool, config, logger: db.logger });
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
