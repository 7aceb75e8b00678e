import { describe, expect, it } from 'vitest';
import { readAtErrors } from '../../src/domain/interval.ts';
import { TENANT_ID_PATTERN } from '../../src/domain/tenant.ts';
import { isInForce } from '../../src/emulator/index.ts';
import { useTestDatabase } from '../helpers/db.ts';

/**
 * Rules that SQL and TypeScript both need are defined once in each language;
 * these tests hold the two copies equal, case by case.
 */
const db = useTestDatabase();

describe('rules SQL and TypeScript share', () => {
  it('the tenant id format: public.ami_valid_tenant_id agrees with TENANT_ID_PATTERN', async () => {
    const cases = [
      'DEMO_TENANT',
      'a',
      '0',
      'A-b_c-9',
      'x'.repeat(64),
      'x'.repeat(65),
      '',
      '_lead',
      '-lead',
      'has space',
      'dot.ted',
      'slash/ed',
      'émile',
      'tab\there',
      'new\nline',
      'DEMO_TENANT\n',
      'semi;colon',
      "quo'te",
    ];
    const { rows } = await db.pool.query<{ id: string; valid: boolean }>('select id, ami_valid_tenant_id(id) as valid from unnest($1::text[]) as id', [cases]);
    const sql = Object.fromEntries(rows.map((row) => [row.id, row.valid]));
    const ts = Object.fromEntries(cases.map((id) => [id, TENANT_ID_PATTERN.test(id)]));
    expect(sql).toEqual(ts);
    expect(Object.values(ts).filter(Boolean)).toHaveLength(5);
  });

  it('event in force: public.ami_in_force agrees with isInForce at, around and between the window edges', async () => {
    const t = (minutes: number) => new Date(Date.UTC(2026, 10, 28, 10, 0) + minutes * 60_000);
    const windows = [
      { startsAt: t(0), endsAt: t(60) },
      { startsAt: t(0), endsAt: null },
      { startsAt: t(30), endsAt: t(31) },
    ];
    const instants = [-15, -0.001, 0, 0.001, 15, 30, 30.5, 31, 59.999, 60, 60.001, 600].map(t);
    const cases = windows.flatMap((w) => instants.map((at) => ({ ...w, at })));
    const { rows } = await db.pool.query<{ in_force: boolean }>(
      `select ami_in_force(s, e, a) as in_force
         from unnest($1::timestamptz[], $2::timestamptz[], $3::timestamptz[]) with ordinality as c(s, e, a, n)
        order by n`,
      [cases.map((c) => c.startsAt), cases.map((c) => c.endsAt), cases.map((c) => c.at)],
    );
    const sql = rows.map((row) => row.in_force);
    const ts = cases.map((c) => isInForce(c, c.at));
    expect(sql).toEqual(ts);
    expect(ts.filter(Boolean).length).toBeGreaterThan(5);
    expect(ts.filter((v) => !v).length).toBeGreaterThan(5);
  });

  it('the readAt rule: ami_kpi_private.read_at_problem says what readAtErrors says, word for word', async () => {
    const now = new Date('2026-11-28T10:07:30.000Z');
    const cases: Array<{ readAt: Date; intervalMinutes: number; retentionDays: number }> = [];
    for (const intervalMinutes of [15, 30, 60]) {
      for (const iso of [
        '2026-11-28T10:00:00Z',
        '2026-11-28T10:15:00Z',
        '2026-11-28T09:30:00Z',
        '2026-11-28T10:30:00Z',
        '2026-11-28T10:07:00Z',
        '2026-10-01T00:00:00Z',
      ]) {
        for (const retentionDays of [0, 30]) cases.push({ readAt: new Date(iso), intervalMinutes, retentionDays });
      }
    }
    const { rows } = await db.pool.query<{ problem: string | null }>(
      `select ami_kpi_private.read_at_problem(r, m, $4, d) as problem
         from unnest($1::timestamptz[], $2::int[], $3::int[]) with ordinality as c(r, m, d, n)
        order by n`,
      [cases.map((c) => c.readAt), cases.map((c) => c.intervalMinutes), cases.map((c) => c.retentionDays), now],
    );
    const sql = rows.map((row) => row.problem);
    const ts = cases.map((c) => readAtErrors(c.readAt, { intervalMinutes: c.intervalMinutes, now, retentionDays: c.retentionDays })[0]?.message ?? null);
    expect(sql).toEqual(ts);
    expect(new Set(ts.map((message) => message?.split(':')[0] ?? 'ok')).size).toBeGreaterThanOrEqual(4);
  });
});
