import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { abandoned } from '../../src/api/abandon.ts';
import { errorHandler } from '../../src/api/errors.ts';
import { createPool } from '../../src/db/pool.ts';
import { ReadGate } from '../../src/db/readGate.ts';
import { AppError } from '../../src/errors.ts';
import { eventually, useTestApp } from '../helpers/app.ts';

const { db, app } = useTestApp();

async function sleepers(): Promise<number> {
  const { rows } = await db.pool.query(
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'select pg_sleep(%' and state = 'active'`,
  );
  return rows[0].n;
}

describe('the read gate', () => {
  it('runs reads on a pool whose statements time out, and says BUSY (503) when one does', async () => {
    const readPool = createPool(db.url, db.logger, { max: 2, statementTimeoutMs: 200 });
    try {
      const gate = new ReadGate(readPool, db.pool, { concurrent: 2, queued: 0 });
      const timeout = await gate.withClient(undefined, (client) => client.query('select pg_sleep(2)')).catch((error) => error);
      expect(timeout.code).toBe('57014');
      const setting = await gate.withClient(undefined, (client) => client.query<{ statement_timeout: string }>('show statement_timeout'));
      expect(setting.rows[0]!.statement_timeout).toBe('200ms');
    } finally {
      await readPool.end();
    }
    // The service's reads: quickcheck answers on the read gate of the app (5 s by default).
    expect((await fetch(`${app.url}/api/ami/kpi/quickcheck?tenantId=NOBODY`)).status).toBe(200);
  });

  it('admits `concurrent` reads at once, queues `queued` more, and refuses the rest at once with BUSY', async () => {
    const gate = new ReadGate(db.pool, db.pool, { concurrent: 2, queued: 1 });
    const releases = [await gate.turn(), await gate.turn()];
    const waiting = gate.turn();
    const refused = await gate.turn().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'BUSY' });
    let admitted = false;
    void waiting.then(() => (admitted = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(admitted).toBe(false);
    releases[0]!();
    const third = await waiting;
    expect(admitted).toBe(true);
    releases[1]!();
    third();
    // All released: two turns at once again.
    const again = [await gate.turn(), await gate.turn()];
    for (const release of again) release();
  });

  it('cancels the query of a request whose client went away', async () => {
    const gate = new ReadGate(db.pool, db.pool, { concurrent: 4, queued: 4 });
    const server = express();
    server.get('/slow', async (_req, res, next) => {
      try {
        res.json(await gate.withClient(abandoned(res), (client) => client.query('select pg_sleep(30)')));
      } catch (error) {
        next(error);
      }
    });
    server.use(errorHandler(db.logger));
    const listening = server.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    try {
      const controller = new AbortController();
      const request = fetch(`http://127.0.0.1:${(listening.address() as AddressInfo).port}/slow`, { signal: controller.signal }).catch((error) => error);
      await eventually(async () => ((await sleepers()) === 1 ? true : undefined), 'the slow query to run');
      controller.abort();
      expect(await request).toBeInstanceOf(Error);
      // Cancelled in the database within moments, not after its 30 s.
      await eventually(async () => ((await sleepers()) === 0 ? true : undefined), 'the query to be cancelled', 5_000);
    } finally {
      listening.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});
