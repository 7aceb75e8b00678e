import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_DIR } from '../../src/service.ts';
import { TEST_ENV } from './app.ts';

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote so far (JSON log lines). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Kills every service process a test started and has not seen exit (a detached one with its whole process group). */
export async function killServiceProcesses(): Promise<void> {
  const exits = [...running].map(
    (child) =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        if (groupLeaders.has(child) && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
            return;
          } catch {
            // the group is gone already: kill the leader alone
          }
        }
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(exits);
}

const groupLeaders = new WeakSet<ChildProcess>();

/**
 * Any command as a tracked process (killServiceProcesses ends it), with its
 * output captured like a service's: `npm start`, a fixture script. `ipc`
 * opens a message channel (child.send); `detached` makes it the leader of
 * its own process group, which is killed whole.
 */
export function spawnProcess(command: string, args: string[], options: { env: Record<string, string>; detached?: boolean; ipc?: boolean }): ServiceProcess {
  const child = spawn(command, args, {
    cwd: PROJECT_DIR,
    env: { ...process.env, LOG_PRETTY: 'false', ...TEST_ENV, ...options.env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  running.add(child);
  if (options.detached) groupLeaders.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/**
 * Starts `src/start.mjs` as a real separate process (as `npm start` does),
 * with Node 24 from node_modules and the given environment.
 */
export function startServiceProcess(mode: 'all' | 'api' | 'worker', env: Record<string, string>): ServiceProcess {
  return spawnProcess(process.execPath, [path.join(PROJECT_DIR, 'src', 'start.mjs'), mode], { env });
}

/** Polls `url` until it answers 200, or fails with the process output. */
export async function waitForOk(url: string, service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`service exited early:\n${service.output()}`);
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${service.output()}`);
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
