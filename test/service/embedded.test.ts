import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killServiceProcesses, startServiceProcess, waitForOk } from '../helpers/process.ts';

// The quick start path: no DATABASE_URL, so the service runs its own
// PostgreSQL from node_modules with data kept in a folder.
describe('npm start without DATABASE_URL', () => {
  let dataRoot: string | undefined;
  afterAll(async () => {
    await killServiceProcesses();
    if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
  });

  it('becomes ready on embedded PostgreSQL, stops cleanly on SIGTERM, and reuses its data on the next start', async () => {
    // Under /var/tmp rather than the OS temp dir: the postgres OS user must be
    // able to reach it when the tests run as root.
    dataRoot = await mkdtemp(path.join(process.getuid?.() === 0 ? '/var/tmp' : os.tmpdir(), 'ami-embedded-'));
    await chmod(dataRoot, 0o755);
    const env = {
      DATABASE_URL: '',
      PORT: String(await freePort()),
      AMI_EMBEDDED_PG_DIR: path.join(dataRoot, 'postgres'),
      AMI_EMBEDDED_PG_PORT: String(await freePort()),
    };
    const base = `http://127.0.0.1:${env.PORT}`;
    const databaseUrl = `postgres://postgres@127.0.0.1:${env.AMI_EMBEDDED_PG_PORT}/ami`;

    const first = startServiceProcess('api', env);
    await waitForOk(`${base}/readyz`, first);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ok: true, database: 'ready' });
    // The start log says how a DBA connects to it: the URL the connection below uses.
    const logged = first
      .output()
      .split('\n')
      .filter((line) => line.includes('"databaseUrl"'))
      .map((line) => JSON.parse(line) as { databaseUrl: string; msg: string });
    expect(logged).toEqual([expect.objectContaining({ databaseUrl, msg: expect.stringContaining(`psql "${databaseUrl}"`) })]);
    const client = new pg.Client({ connectionString: logged[0]!.databaseUrl });
    await client.connect();
    await client.query(`insert into ami_fleets (tenant_id, meter_count, feeder_count) values ('PERSISTED', 5, 1)`);
    await client.end();

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain('embedded PostgreSQL stopped');
    // The server is gone with the app: nothing answers on its port.
    await expect(new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 1_000 }).connect()).rejects.toThrow();

    const second = startServiceProcess('api', env);
    await waitForOk(`${base}/readyz`, second);
    expect(second.output()).not.toContain('initialising embedded PostgreSQL');
    const again = new pg.Client({ connectionString: databaseUrl });
    await again.connect();
    const { rows } = await again.query(`select meter_count from ami_fleets where tenant_id = 'PERSISTED'`);
    await again.end();
    expect(rows).toEqual([{ meter_count: 5 }]);

    // A killed app leaves its PostgreSQL running; the next start adopts it.
    second.child.kill('SIGKILL');
    await second.exited;
    const third = startServiceProcess('api', env);
    await waitForOk(`${base}/readyz`, third);
    expect(third.output()).toContain('adopting embedded PostgreSQL');
    third.child.kill('SIGTERM');
    const thirdExit = await third.exited;
    expect(thirdExit, third.output()).toEqual({ code: 0, signal: null });
  });
});
