import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureFleet } from '../../src/db/fleet.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { publishBatch } from '../../src/ingest/publishBatch.ts';
import { getJson, postJson, testDeps, useTestApp } from '../helpers/app.ts';

const TENANT = 'GQL';
const T = new Date('2026-11-26T14:00:00Z');
const { db, app } = useTestApp({ graphql: true, clock: () => new Date(T.getTime() + 3 * 60_000) });

/** Writes one interval as one ami_publish_batch job does, without the queue. */
async function publishInterval(readAt: Date): Promise<void> {
  await publishBatch(testDeps(db), { tenantId: TENANT, readAt: readAt.toISOString(), batchIndex: 0, firstMeterId: 1, lastMeterId: 1200, intervalMinutes: 15 });
}

async function graphql(query: string, variables?: Record<string, unknown>) {
  return postJson(`${app.url}/graphql`, { query, variables });
}

beforeAll(async () => {
  await withTransaction(db.pool, (client) => ensureFleet(client, { tenantId: TENANT, meterCount: 1200, feederCount: 4, now: new Date() }));
  await db.pool.query(
    `insert into ami_events (tenant_id, feeder_id, type, severity, starts_at) values ($1, 2, 'theft', 0.4, $2), ($1, 3, 'comms-outage', 0.5, $2)`,
    [TENANT, new Date(T.getTime() - 10 * 60_000)],
  );
  await publishInterval(new Date(T.getTime() - 15 * 60_000));
  await publishInterval(T);
});

describe('GraphQL', () => {
  it('returns, over the per-feeder KPI view, the same numbers as quickcheck', async () => {
    const qc = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=${TENANT}`);
    expect(qc.status).toBe(200);
    const res = await graphql(
      `query Feeders($tenantId: String!) {
         allLatestFeederKpis(condition: { tenantId: $tenantId }, first: 100, orderBy: FEEDER_ID_ASC) {
           nodes { feederId readAt expectedMeters reportingMeters missingMeters reportingRatePct totalKwh
                   kwhDeviationPct meanVoltage minVoltage under114 staleMeters }
         }
         latestIntervalKpiByTenantId(tenantId: $tenantId) { reportingRatePct totalKwh meanKwh staleOver15m current }
       }`,
      { tenantId: TENANT },
    );
    expect(res.status, JSON.stringify(res.body.errors)).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const nodes = res.body.data.allLatestFeederKpis.nodes;
    expect(nodes).toHaveLength(4);
    // Instants as REST writes them: ISO 8601, UTC, milliseconds, Z.
    for (const node of nodes) expect(node.readAt).toBe(T.toISOString());
    expect(nodes.map(({ readAt: _readAt, ...node }: Record<string, unknown>) => node)).toEqual(
      qc.body.feeders.map((f: Record<string, unknown>) => ({
        feederId: f.feederId,
        expectedMeters: f.expectedMeters,
        reportingMeters: f.reportingMeters,
        missingMeters: f.missingMeters,
        reportingRatePct: f.reportingRatePct,
        totalKwh: f.totalKwh,
        kwhDeviationPct: f.kwhDeviationPct,
        meanVoltage: f.meanVoltage,
        minVoltage: f.minVoltage,
        under114: f.under114,
        staleMeters: f.staleMeters,
      })),
    );
    // The figures mean what they say: theft on feeder 2, an outage on feeder 3.
    expect(nodes[1].kwhDeviationPct).toBeLessThan(-30);
    expect(nodes[2].reportingRatePct).toBeLessThan(70);
    expect(nodes[2].staleMeters).toBe(nodes[2].missingMeters);
    expect(res.body.data.latestIntervalKpiByTenantId).toEqual({
      reportingRatePct: qc.body.reportingSummary.reportingRatePct,
      totalKwh: qc.body.energy.totalKwh,
      meanKwh: qc.body.energy.meanKwh,
      staleOver15m: qc.body.staleMetersBuckets.staleOver15m,
      current: qc.body.staleMetersBuckets.current,
    });
  });

  it('answers for a past interval through intervalKpisAt, as quickcheck with readAt does', async () => {
    const past = new Date(T.getTime() - 15 * 60_000).toISOString();
    const qc = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=${TENANT}&readAt=${past}`);
    const res = await graphql(`{ intervalKpisAt(tenantId: "${TENANT}", readAt: "${past}") { reportingMeters kwhDeviationPct feeders { feederId totalKwh } } }`);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.intervalKpisAt).toEqual({
      reportingMeters: qc.body.reportingSummary.reportingMeters,
      kwhDeviationPct: qc.body.energy.kwhDeviationPct,
      feeders: qc.body.feeders.map((f: { feederId: number; totalKwh: number }) => ({ feederId: f.feederId, totalKwh: f.totalKwh })),
    });
  });

  it('serves the tick ledger and the events read-only', async () => {
    const res = await graphql(`{
      allEvents(first: 10, orderBy: ROW_ID_ASC) { nodes { rowId feederId type severity endsAt } }
      allIntervalHistories(first: 5, condition: { tenantId: "${TENANT}" }, orderBy: READ_AT_DESC) { nodes { readAt reportingMeters } }
    }`);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.allEvents.nodes.map((e: { type: string }) => e.type)).toEqual(['theft', 'comms-outage']);
    expect(res.body.data.allIntervalHistories.nodes).toHaveLength(2);
    expect(res.body.data.allIntervalHistories.nodes[0].readAt).toBe(T.toISOString());
  });

  it('has no mutations: a mutation is refused and nothing is written', async () => {
    const before = await db.pool.query('select count(*)::int as n from ami_events');
    const res = await graphql(
      `mutation { createEvent(input: { event: { tenantId: "${TENANT}", feederId: 1, type: "theft", severity: 1 } }) { clientMutationId } }`,
    );
    expect(res.body.errors?.[0]?.message).toMatch(/does not support mutations|Cannot query field|mutation/i);
    expect(res.body.data ?? null).toBeNull();
    const schema = await graphql('{ __schema { mutationType { name } } }');
    expect(schema.body.data.__schema.mutationType).toBeNull();
    const after = await db.pool.query('select count(*)::int as n from ami_events');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('bounds every list: first or last is required and at most 1000, also through variables', async () => {
    const missing = await graphql('{ allTicks { nodes { readAt } } }');
    expect(missing.body.errors[0].message).toMatch(/allTicks: give first or last \(at most 1000\)/);
    const tooMany = await graphql('{ allTicks(first: 5000) { nodes { readAt } } }');
    expect(tooMany.body.errors[0].message).toMatch(/first must be at most 1000/);
    const viaVariable = await graphql('query($n: Int) { allTicks(first: $n) { nodes { readAt } } }', { n: 5000 });
    expect(viaVariable.body.errors[0].message).toMatch(/first must be from 0 to 1000/);
    const ok = await graphql('query($n: Int) { allTicks(first: $n) { nodes { readAt } } }', { n: 2 });
    expect(ok.body.errors).toBeUndefined();
  });

  it('says what is wrong with a value PostgreSQL cannot read, and logs an internal failure with an id, in the service log', async () => {
    for (const readAt of ['banana', '2026-13-45T00:00:00Z']) {
      const bad = await graphql('query($r: Datetime!) { intervalKpisAt(tenantId: "GQL", readAt: $r) { readAt } }', { r: readAt });
      expect(bad.body.data).toEqual({ intervalKpisAt: null });
      expect(bad.body.errors).toHaveLength(1);
      expect(bad.body.errors[0].message).toMatch(/^invalid input: .*(invalid input syntax|out of range).*/);
      expect(bad.body.errors[0].message).toContain(readAt);
      expect(bad.body.errors[0].extensions).toEqual({ code: 'INVALID_INPUT' });
    }

    // The readAt rule of REST: an unaligned, infinite or future interval is refused with REST's words.
    for (const readAt of ['2026-11-26T13:50:00Z', 'infinity', '-infinity', new Date(T.getTime() + 60 * 60_000).toISOString()]) {
      const gql = await graphql('query($r: Datetime!) { intervalKpisAt(tenantId: "GQL", readAt: $r) { readAt } }', { r: readAt });
      expect(gql.body.data, readAt).toEqual({ intervalKpisAt: null });
      expect(gql.body.errors[0].extensions).toEqual({ code: 'INVALID_INPUT' });
      if (readAt.includes('infinity')) {
        expect(gql.body.errors[0].message).toMatch(/readAt: must be on a 15-minute boundary \(UTC\), e\.g\. 10:00, 10:15/);
        continue;
      }
      const rest = await getJson(`${app.url}/api/ami/kpi/quickcheck?tenantId=GQL&readAt=${encodeURIComponent(readAt)}`);
      expect(rest.status).toBe(400);
      expect(gql.body.errors[0].message).toBe(`invalid input: readAt: ${rest.body.error.fields[0].message}`);
    }

    const negative = await graphql('query($o: Int) { allEvents(first: 5, offset: $o) { nodes { rowId } } }', { o: -5 });
    expect(negative.body.errors[0].message).toMatch(/^invalid input: .*OFFSET/i);
    const nul = await graphql('query($t: String!) { tenantByTenantId(tenantId: $t) { tenantId } }', { t: 'A\u0000B' });
    expect(nul.body.errors[0]).toMatchObject({ message: expect.stringMatching(/^invalid input: /), extensions: { code: 'INVALID_INPUT' } });

    // A grant gone missing: the caller learns only an id, the log has the cause under it.
    const logged = vi.spyOn(db.logger, 'error');
    const stderr = vi.spyOn(console, 'error');
    await db.pool.query('revoke select on ami_kpi.ticks from ami_kpi_reader');
    try {
      const res = await graphql('{ allTicks(first: 1) { nodes { readAt } } }');
      expect(res.body.errors).toHaveLength(1);
      const { message, extensions } = res.body.errors[0];
      expect(message).toMatch(/^an internal error occurred \(error id [0-9a-f]{12}, in the service log\)$/);
      expect(message).not.toMatch(/permission|ticks/);
      expect(extensions).toEqual({ errorId: expect.stringMatching(/^[0-9a-f]{12}$/) });
      const line = logged.mock.calls.find(([fields]) => (fields as { errorId?: string }).errorId === extensions.errorId);
      expect(line?.[1]).toBe('GraphQL error');
      expect(String((line?.[0] as { err?: Error } | undefined)?.err?.message)).toMatch(/permission denied for view ticks/);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      await db.pool.query('grant select on ami_kpi.ticks to ami_kpi_reader');
      logged.mockRestore();
      stderr.mockRestore();
    }
  });

  it('refuses operations selecting too many lists (aliases count)', async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `a${i}: allTicks(first: 1) { nodes { readAt } }`).join('\n');
    const res = await graphql(`{ ${aliases} }`);
    expect(res.body.errors[0].message).toMatch(/selects 11 lists; the limit is 10/);
    expect(res.body.data ?? null).toBeNull();
  });

  it('refuses operations nested too deep (Query.query recurses forever) but serves introspection', async () => {
    const deep = `{ ${'query { '.repeat(9)}tenantByTenantId(tenantId: "${TENANT}") { tenantId }${' }'.repeat(9)} }`;
    const res = await graphql(deep);
    expect(res.body.errors[0].message).toMatch(/operation is 10 levels deep; the limit is 8/);
    const shallow = await graphql(`{ query { query { tenantByTenantId(tenantId: "${TENANT}") { tenantId meterCount } } } }`);
    expect(shallow.body).toEqual({ data: { query: { query: { tenantByTenantId: { tenantId: TENANT, meterCount: 1200 } } } } });
    const introspection = await graphql('{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }');
    expect(introspection.body.errors).toBeUndefined();
    expect(introspection.body.data.__schema.types.map((type: { name: string }) => type.name)).toContain('LatestFeederKpi');
  });

  it('serves GraphiQL (Ruru) at /graphiql', async () => {
    const res = await fetch(`${app.url}/graphiql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toMatch(/ruru/i);
  });
});

describe('the reader role', () => {
  it('can read the KPI schema and cannot write anything', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query('set local role ami_kpi_reader');
      const { rows } = await client.query(`select reporting_meters from ami_kpi.latest_interval_kpis where tenant_id = $1`, [TENANT]);
      expect(rows[0].reporting_meters).toBeGreaterThan(0);
      await expect(
        client.query(`insert into ami_events (tenant_id, feeder_id, type, severity, starts_at) values ($1, 1, 'theft', 1, now())`, [TENANT]),
      ).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
