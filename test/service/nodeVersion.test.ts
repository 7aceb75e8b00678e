import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../src/service.ts';

const run = promisify(execFile);

// The machine's own Node, older than the one the project pins (the CI and
// development machines have Node 20 there): what a user gets with `node src/start.mjs`.
const PINNED = 24;
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find(
  (file) => existsSync(file) && Number.parseInt(execFileSync(file, ['--version'], { encoding: 'utf8' }).replace(/^v/, ''), 10) < PINNED,
);

describe.runIf(OLD_NODE)('starting on a Node older than the pinned one', () => {
  it('refuses at once with exit code 2, naming both versions and how to run it, before loading anything', async () => {
    const { stdout: version } = await run(OLD_NODE!, ['--version']);
    const failed = await run(OLD_NODE!, [path.join(PROJECT_DIR, 'src', 'start.mjs')], {
      cwd: PROJECT_DIR,
      env: { ...process.env, DATABASE_URL: 'postgres://nowhere.invalid/x' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    const { stderr } = failed as { stderr: string };
    expect(stderr).toContain(`needs Node ${PINNED} or newer; this is Node ${version.trim().replace(/^v/, '')}`);
    expect(stderr).toMatch(/npm start/);
  });
});
