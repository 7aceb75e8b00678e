import { describe, expect, it } from 'vitest';
import { ensureFleet } from '../../src/db/fleet.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { useTestApp } from '../helpers/app.ts';
import { testClock } from '../helpers/clock.ts';

/**
 * One clock: the service's set clock, not the database's, decides what is
 * "in force now", in REST and in GraphQL alike. The instants are in 2026-11
 * while the database's now() is whatever the machine says, so an answer that
 * read the database clock would differ from REST's.
 */
const TENANT = 'CLOCK';
const INTERVAL = new Date('2026-11-28T10:00:00Z');
const ENDS_AT = new Date('2026-11-28T10:07:00Z');
const clock = testClock(INTERVAL);
const service = useTestApp({ clock, graphql: true });

async function activeNow() {
  const qc = await service.get(`/api/ami/kpi/quickcheck?tenantId=${TENANT}`);
  expect(qc.status).toBe(200);
  const gql = await service.post('/graphql', {
    query: `query($t: String!) {
      allLatestActiveEvents(condition: { tenantId: $t }, first: 10) { nodes { rowId activeNow } }
      allEvents(condition: { tenantId: $t }, first: 10) { nodes { rowId activeNow } }
    }`,
    variables: { t: TENANT },
  });
  expect(gql.body.errors).toBeUndefined();
  return {
    rest: qc.body.activeEvents.map((e: { id: number; activeNow: boolean; affectsInterval: boolean }) => [e.id, e.activeNow, e.affectsInterval]),
    latest: gql.body.data.allLatestActiveEvents.nodes.map((e: { rowId: number; activeNow: boolean }) => [e.rowId, e.activeNow]),
    events: gql.body.data.allEvents.nodes.map((e: { rowId: number; activeNow: boolean }) => [e.rowId, e.activeNow]),
  };
}

describe('one clock for REST and GraphQL', () => {
  it('agree that an event is in force a millisecond before its end and not at its end, by the set clock', async () => {
    await withTransaction(service.db.pool, (client) => ensureFleet(client, { tenantId: TENANT, meterCount: 40, feederCount: 2, now: INTERVAL }));
    await publishBatch(service.deps, {
      tenantId: TENANT,
      readAt: INTERVAL.toISOString(),
      batchIndex: 0,
      firstMeterId: 1,
      lastMeterId: 40,
      intervalMinutes: 15,
    });
    const { rows } = await service.db.pool.query<{ id: number }>(
      `insert into ami_events (tenant_id, feeder_id, type, severity, starts_at, ends_at) values ($1, 1, 'theft', 0.5, $2, $3) returning id::int`,
      [TENANT, new Date('2026-11-28T09:30:00Z'), ENDS_AT],
    );
    const id = rows[0]!.id;

    clock.set(new Date(ENDS_AT.getTime() - 1));
    expect(await activeNow()).toEqual({ rest: [[id, true, true]], latest: [[id, true]], events: [[id, true]] });

    // The event has just ended: not in force now anywhere, though it affected the latest interval.
    clock.set(ENDS_AT);
    expect(await activeNow()).toEqual({ rest: [[id, false, true]], latest: [[id, false]], events: [[id, false]] });
  });
});
