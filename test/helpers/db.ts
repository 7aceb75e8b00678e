import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { withDatabase } from './globalSetup.ts';

export interface TestDatabase {
  url: string;
  name: string;
  pool: Pool;
  logger: Logger;
}

export const testLogger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

/** A fresh migrated database for one test file, dropped when the file ends. */
export async function createTestDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  const adminUrl = inject('adminUrl');
  const name = `ami_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name} template ${inject('templateDatabase')}`);
  const url = withDatabase(adminUrl, name);
  const pool = createPool(url, testLogger, { max: 20, applicationName: 'ami-test' });
  return {
    url,
    name,
    pool,
    logger: testLogger,
    async drop() {
      await pool.end();
      if (!process.env.KEEP_TEST_DATABASES) await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * Registers beforeAll/afterAll for a per-file database; the returned object
 * is filled in before the first test runs.
 */
export function useTestDatabase(): TestDatabase {
  const db = {} as TestDatabase & { drop(): Promise<void> };
  beforeAll(async () => {
    Object.assign(db, await createTestDatabase());
  });
  afterAll(async () => {
    await db.drop?.();
  });
  return db;
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
