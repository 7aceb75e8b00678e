import { describe, expect, it } from 'vitest';
import { createPool, withServerOptions } from '../../src/db/pool.ts';
import { testLogger, useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();

/** The settings a new connection of a pool made from `url` starts with. */
async function settingsOf(url: string): Promise<{ jit: string; work_mem: string }> {
  const pool = createPool(url, testLogger, { max: 1 });
  try {
    const { rows } = await pool.query<{ jit: string; work_mem: string }>(`select current_setting('jit') as jit, current_setting('work_mem') as work_mem`);
    return rows[0]!;
  } finally {
    await pool.end();
  }
}

describe("the service's connections", () => {
  it('run without JIT, also when DATABASE_URL carries server options of its own, which are kept', async () => {
    expect((await settingsOf(db.url)).jit).toBe('off');
    const own = new URL(db.url);
    own.searchParams.set('options', '-c work_mem=7MB');
    expect(await settingsOf(own.toString())).toEqual({ jit: 'off', work_mem: '7MB' });
    // The operator's own setting comes after the service's, so it wins.
    own.searchParams.set('options', '-c jit=on');
    expect((await settingsOf(own.toString())).jit).toBe('on');
  });

  it('merges the options into a URL and leaves a string that is not one alone', () => {
    const merged = new URL(withServerOptions('postgres://u:p%40ss@db.example:5433/ami?sslmode=require&options=-c%20work_mem%3D7MB', '-c jit=off'));
    expect(merged.searchParams.get('options')).toBe('-c jit=off -c work_mem=7MB');
    expect(merged.searchParams.get('sslmode')).toBe('require');
    expect(merged.password).toBe('p%40ss');
    expect(withServerOptions('/var/run/postgresql ami', '-c jit=off')).toBe('/var/run/postgresql ami');
  });
});
