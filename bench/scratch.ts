/**
 * What every benchmark section shares: a scratch database migrated like
 * production (created and dropped on a superuser connection), the API on a
 * loopback port, and the figures' arithmetic.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { makeApp } from '../src/api/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createLogger } from '../src/logger.ts';

export const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', pretty: false });
export const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Scratch {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new database `ami_bench_<label>_<pid>`, migrated, with a pool of `max` connections. */
export async function scratchDatabase(label: string, max = 24): Promise<Scratch> {
  const name = `ami_bench_${label}_${process.pid}`;
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), logger, { max, applicationName: 'ami-bench' });
  await migrateDatabase({ pool, connectionString: url.toString(), logger });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/** The real Express app on a loopback port, against the scratch database. */
export async function startApi(db: Scratch): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url });
  const app = makeApp({ config, pool: db.pool, logger, isReady: async () => true });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Nearest-rank percentile, `p` a fraction (0.95). */
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
};

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One target of the issue beside this run's figure: `npm run bench` prints them side by side at the end. */
export interface TargetRow {
  what: string;
  target: string;
  measured: string;
  met: boolean | null;
}

export const summary: TargetRow[] = [];

export function target(what: string, targetText: string, measured: string, met: boolean | null): void {
  summary.push({ what, target: targetText, measured, met });
}
