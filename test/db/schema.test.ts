import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();

async function registerFleet(tenantId: string, meterCount: number, feederCount: number) {
  await db.pool.query('insert into ami_fleets (tenant_id, meter_count, feeder_count) values ($1, $2, $3)', [tenantId, meterCount, feederCount]);
  await db.pool.query('insert into ami_feeders (tenant_id, feeder_id) select $1, g from generate_series(1, $2::int) g', [tenantId, feederCount]);
}

const insertRead = `insert into meter_reads_electric (tenant_id, read_at, meter_id, feeder_id, kwh, voltage, baseline_kwh)
  values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`;

describe('meter_reads_electric', () => {
  beforeAll(async () => {
    await registerFleet('T1', 10, 2);
  });

  it('refuses a read_at that is not on a quarter hour', async () => {
    for (const readAt of ['2026-11-28T10:07:00Z', '2026-11-28T10:15:01Z', '2026-11-28T10:15:00.001Z']) {
      await expect(db.pool.query(insertRead, ['T1', readAt, 1, 1, 0.3, 120.5, 0.3])).rejects.toMatchObject({
        code: '23514',
        constraint: 'meter_reads_electric_read_at_aligned',
      });
    }
    const { rows } = await db.pool.query('select count(*)::int as n from meter_reads_electric');
    expect(rows[0].n).toBe(0);
  });

  it('accepts every quarter-hour boundary', async () => {
    for (const minute of ['00', '15', '30', '45']) {
      await db.pool.query(insertRead, ['T1', `2026-11-28T09:${minute}:00Z`, 2, 2, 0.25, 121, 0.26]);
    }
    const { rows } = await db.pool.query(`select count(*)::int as n from meter_reads_electric where meter_id = 2`);
    expect(rows[0].n).toBe(4);
  });

  it('keeps one row when the same read is inserted twice with ON CONFLICT DO NOTHING', async () => {
    const first = await db.pool.query(insertRead, ['T1', '2026-11-28T10:15:00Z', 3, 1, 0.31, 120.9, 0.3]);
    const second = await db.pool.query(insertRead, ['T1', '2026-11-28T10:15:00Z', 3, 1, 9.99, 99.9, 0.3]);
    expect(first.rowCount).toBe(1);
    expect(second.rowCount).toBe(0);
    const { rows } = await db.pool.query(
      `select kwh, voltage from meter_reads_electric where tenant_id = 'T1' and meter_id = 3 and read_at = '2026-11-28T10:15:00Z'`,
    );
    expect(rows).toEqual([{ kwh: 0.31, voltage: 120.9 }]);
  });

  it('refuses negative energy', async () => {
    await expect(db.pool.query(insertRead, ['T1', '2026-11-28T10:30:00Z', 4, 1, -0.1, 120, 0.3])).rejects.toMatchObject({ code: '23514' });
  });
});

describe('ami_events', () => {
  beforeAll(async () => {
    await registerFleet('T2', 10, 3);
  });

  const insertEvent = `insert into ami_events (tenant_id, feeder_id, type, severity, starts_at, ends_at) values ($1, $2, $3, $4, $5, $6)`;

  it('refuses a feeder the tenant does not have, an unknown type, a severity outside (0, 1], an end before the start', async () => {
    const cases: Array<[unknown[], string]> = [
      [['T2', 4, 'theft', 0.5, '2026-11-28T10:00Z', null], '23503'],
      [['T2', 1, 'flood', 0.5, '2026-11-28T10:00Z', null], '23514'],
      [['T2', 1, 'theft', 0, '2026-11-28T10:00Z', null], '23514'],
      [['T2', 1, 'theft', 1.5, '2026-11-28T10:00Z', null], '23514'],
      [['T2', 1, 'theft', 0.5, '2026-11-28T10:00Z', '2026-11-28T09:00Z'], '23514'],
    ];
    for (const [values, code] of cases) {
      await expect(db.pool.query(insertEvent, values)).rejects.toMatchObject({ code });
    }
    const ok = await db.pool.query(insertEvent, ['T2', 3, 'voltage-sag', 1, '2026-11-28T10:00Z', null]);
    expect(ok.rowCount).toBe(1);
  });
});

describe('tenant ids', () => {
  it('are refused by the database when malformed', async () => {
    for (const tenantId of ['', 'has space', "x'; drop table ami_fleets; --", 'a'.repeat(65), '-leading']) {
      await expect(db.pool.query('insert into ami_fleets (tenant_id, meter_count, feeder_count) values ($1, 1, 1)', [tenantId])).rejects.toMatchObject({
        code: '23514',
      });
    }
  });
});
