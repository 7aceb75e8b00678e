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

/**
 * Starts `src/main.ts` as a real separate process (as `npm start` does),
 * with Node 24 from node_modules and the given environment.
 */
const running = new Set<ChildProcess>();

/** Kills every service process a test started and has not seen exit. */
export async function killServiceProcesses(): Promise<void> {
  const exits = [...running].map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  }));
  await Promise.all(exits);
}

export function startServiceProcess(mode: 'all' | 'api' | 'worker', env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_DIR, 'src', 'main.ts'), mode], {
    cwd: PROJECT_DIR,
    env: { ...process.env, LOG_PRETTY: 'false', ...TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Polls `url` until it answers 200, or fails with the process output. */
export async function waitForOk(url: string, service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`service exited early:\n${service.output()}`);
    const ok = await fetch(url).then((res) => res.ok, () => false);
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
