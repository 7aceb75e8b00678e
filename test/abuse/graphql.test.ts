import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTick } from '../../src/ingest/publishTick.ts';
import { startTestApp, type TestApp, testDeps } from '../helpers/app.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { intervalsAgo } from '../helpers/integrity.ts';
import { tally } from '../helpers/tally.ts';
import { snapshot } from './harness.ts';

const db = useTestDatabase();
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp(db, { graphql: true });
  const deps = testDeps(db);
  await publishTick(deps, 'DEMO_TENANT', new Date(intervalsAgo(2)), 100, 25, 100, { requestedBy: 'manual', onBackpressure: 'refuse' });
});
afterAll(async () => app?.close());

const nested = (depth: number) => `{ ${'query { '.repeat(depth)}__typename${' }'.repeat(depth)} }`;

/** Operations that must be refused: writes, unbounded or oversized reads, deep or wide nesting, garbage. */
const refused: string[] = [
  'mutation { __typename }',
  'mutation { createAmiEvent(input: { amiEvent: { tenantId: "DEMO_TENANT", feederId: 1, type: "theft", severity: 1 } }) { clientMutationId } }',
  'mutation { deleteAmiEventByRowId(input: { rowId: 1 }) { clientMutationId } }',
  'subscription { __typename }',
  nested(9),
  nested(50),
  nested(500),
  '{ allTicks { nodes { tenantId } } }',
  '{ allTicks(first: 1001) { nodes { tenantId } } }',
  '{ allTicks(last: 100000) { nodes { tenantId } } }',
  `{ ${Array.from({ length: 11 }, (_, i) => `a${i}: allTicks(first: 1) { nodes { tenantId } }`).join(' ')} }`,
  `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: allEvents(first: 1000) { nodes { id } }`).join(' ')} }`,
  '{ allTicks(first: 1) { nodes { tenantId } ',
  '{ nonexistentField }',
  '{ allTicks(first: 1, condition: { tenantId: "x\'; drop table meter_reads_electric; --" }) { nodes { tenantId } } }'.replace(
    'nodes { tenantId } } }',
    'nodes { nope } } }',
  ),
  '',
  '{'.repeat(10_000),
  `{ allTicks(first: 1) { nodes { ${'tenantId '.repeat(20_000)} } } }`,
];

describe('abuse of the GraphQL API', () => {
  it('refuses writes, unbounded lists and deep or huge queries without a 5xx, and changes no row', async () => {
    const before = await snapshot(db.pool);
    let fiveHundreds = 0;
    const failures: string[] = [];
    const bodies: Array<{ body: string; label: string }> = [
      ...refused.map((query) => ({ body: JSON.stringify({ query }), label: query.slice(0, 80) })),
      { body: JSON.stringify({ query: '{ allTicks(first: $n) { nodes { tenantId } } }', variables: { n: 100000 } }), label: 'undeclared variable' },
      {
        body: JSON.stringify({ query: 'query($n: Int) { allTicks(first: $n) { nodes { tenantId } } }', variables: { n: 100000 } }),
        label: 'first 100000 by variable',
      },
      {
        body: JSON.stringify({ query: 'query($n: Int) { allTicks(first: $n) { nodes { tenantId } } }', variables: { n: 'many' } }),
        label: 'first as a string',
      },
      { body: '{"query": ', label: 'malformed JSON' },
      { body: JSON.stringify({ query: 42 }), label: 'query not a string' },
      { body: JSON.stringify({ query: `{ __typename } ${'#'.repeat(200_000)}` }), label: 'oversize body' },
    ];
    for (const { body, label } of bodies) {
      const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
      if (res.status >= 500) fiveHundreds++;
      const text = await res.text();
      let json: { data?: unknown; errors?: unknown[] } | undefined;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      // Refused: a 4xx, or GraphQL errors with no data (or only null fields, when the limit is checked at run time).
      const noData = json?.data === undefined || json.data === null || Object.values(json.data as Record<string, unknown>).every((value) => value === null);
      const refusedOk = res.status >= 400 && res.status < 500 ? true : Array.isArray(json?.errors) && json.errors.length > 0 && noData;
      if (!refusedOk || res.status >= 500) failures.push(`${label} -> ${res.status} ${text.slice(0, 160)}`);
    }
    const after = await snapshot(db.pool);
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
    tally({ 'bad requests tried': bodies.length, '5xx seen': fiveHundreds, 'tables changed': changed.length });
    expect(fiveHundreds).toBe(0);
    expect(failures).toEqual([]);
    expect(changed).toEqual([]);

    // And a bounded read still works.
    const ok = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ allTicks(first: 10) { nodes { tenantId readAt status } } }' }),
    });
    const json = (await ok.json()) as { data: { allTicks: { nodes: Array<{ tenantId: string }> } } };
    expect(json.data.allTicks.nodes).toEqual([expect.objectContaining({ tenantId: 'DEMO_TENANT' })]);
  });
});
