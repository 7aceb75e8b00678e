import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrateDatabase, MIGRATIONS_FOLDER } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { PROJECT_DIR } from '../../src/service.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser connection to the test server's `postgres` database. */
    adminUrl: string;
    /** The migrated template every test database is cloned from. */
    templateDatabase: string;
  }
}

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn', pretty: false });

/**
 * Once per run: find a PostgreSQL (TEST_DATABASE_URL, else the local server
 * on 127.0.0.1:5432, else an embedded one), and build a migrated template
 * database named after the migrations' content, so each test file clones a
 * fresh database in a few tens of milliseconds.
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!process.env.TEST_DATABASE_URL && !(await answers(adminUrl))) {
    embedded = await startEmbeddedPostgres({
      projectDir: PROJECT_DIR,
      dataDir: path.join(PROJECT_DIR, '.data', 'test-postgres'),
      port: 54330,
      logger,
    });
    adminUrl = embedded.connectionString.replace(/\/ami$/, '/postgres');
  }

  const templateDatabase = `ami_tpl_${await migrationsFingerprint()}`;
  await buildTemplate(adminUrl, templateDatabase);
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    await embedded?.stop();
  };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function migrationsFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const folder = path.join(MIGRATIONS_FOLDER, 'committed');
  for (const name of (await readdir(folder)).sort()) hash.update(name).update(await readFile(path.join(folder, name)));
  const worker = JSON.parse(await readFile(path.join(PROJECT_DIR, 'node_modules', 'graphile-worker', 'package.json'), 'utf8')) as { version: string };
  hash.update(worker.version);
  return hash.digest('hex').slice(0, 16);
}

async function buildTemplate(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Concurrent test runs on one server: one builds, the others wait.
    await admin.query('select pg_advisory_lock(742615002)');
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return;
    const building = `${name}_building`;
    await admin.query(`drop database if exists ${building} with (force)`);
    await admin.query(`create database ${building}`);
    const url = withDatabase(adminUrl, building);
    const pool = createPool(url, logger, { max: 2 });
    try {
      await migrateDatabase({ pool, connectionString: url, logger });
    } finally {
      await pool.end();
    }
    await admin.query(`alter database ${building} rename to ${name}`);
    await admin.query(`alter database ${name} is_template true`);
  } finally {
    await admin.query('select pg_advisory_unlock(742615002)').catch(() => undefined);
    await admin.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
