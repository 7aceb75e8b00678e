/**
 * Bad input, generated: values of the wrong type, out of range, huge,
 * unicode, SQL fragments, prototype keys. Every value here is invalid for
 * the field kind it is generated for, so every request built from them must
 * be refused with a 4xx and change nothing.
 */
export type FieldKind =
  | 'tenantId'
  | 'count'
  | 'severity'
  | 'instant'
  | 'readAt'
  | 'eventType'
  | 'feederId'
  | 'interval'
  | 'catchUp'
  | 'boolean'
  | 'duration'
  | 'queryCount'
  | 'queryBoolean';

const SQL = [
  "'; drop table meter_reads_electric; --",
  '1 OR 1=1',
  "DEMO_TENANT' --",
  '$$; select pg_sleep(10); $$',
  '\\x00',
  "%' union select * from ami_meters --",
];
const UNICODE = ['ü', 'DEMO_TËNANT', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u0000', '\u202eTNANET', '🙂🙂', 'Ж'.repeat(40), '\ud800'];
const HUGE_STRING = 'x'.repeat(12_000);
const WRONG_TYPES: unknown[] = [null, true, false, [], {}, [1, 2], { nested: { deeper: 1 } }];

const byKind: Record<FieldKind, unknown[]> = {
  tenantId: [...WRONG_TYPES, 42, '', ' ', 'a b', '-lead', 'x'.repeat(65), HUGE_STRING, ...SQL, ...UNICODE],
  count: [...WRONG_TYPES, '10', '1e3', 0, -1, -25_000, 1.5, 25_001, 1e308, -1e308, 2 ** 53, HUGE_STRING, ...SQL, ...UNICODE.slice(0, 3)],
  feederId: [...WRONG_TYPES, '3', 0, -1, 1.5, 1e308, 999_999, HUGE_STRING, ...SQL],
  severity: [...WRONG_TYPES, '0.5', 0, -0.1, 1.0000001, 1.5, 1e308, -1e308, HUGE_STRING, ...SQL],
  // Never a valid instant anywhere.
  instant: [
    ...WRONG_TYPES,
    0,
    1_700_000_000_000,
    '',
    'yesterday',
    '2026-13-01T00:00:00Z',
    '2026-11-28T25:00:00Z',
    '2026-11-28T10:15',
    '2026-11-28 10:15:00',
    HUGE_STRING,
    ...SQL,
    ...UNICODE.slice(0, 3),
  ],
  // A valid instant that is not a publishable interval: off the grid, or in the future.
  readAt: [] as unknown[],
  eventType: [...WRONG_TYPES, 0, '', 'THEFT', 'flood', 'theft ', 'comms_outage', HUGE_STRING, ...SQL, ...UNICODE.slice(0, 3)],
  interval: [...WRONG_TYPES, '15', 0, 7, 14, 16, 45, 90, -15, 15.5, 1e308],
  catchUp: [...WRONG_TYPES, '4', -1, 673, 1.5, 1e308, -1e308],
  boolean: [...WRONG_TYPES.filter((v) => typeof v !== 'boolean'), 'yes', 2, HUGE_STRING],
  duration: [...WRONG_TYPES, '60', 0, -1, 1.5, 525_601, 1e308, HUGE_STRING, ...SQL],
  // Query-string values (always strings on the wire).
  queryCount: ['', '0', '-1', '1.5', 'abc', '1e3', '0x10', '99999999999', ' 3', '3 ', ...SQL, ...UNICODE.slice(0, 3)],
  queryBoolean: ['', 'yes', 'TRUE', '1', 'null', ...SQL],
};

byKind.readAt = [...byKind.instant, '2026-11-28T10:07:00Z', '2026-11-28T10:15:00.001Z', '2026-11-28T10:15:30Z', '9999-12-31T23:45:00Z'];

export function badValues(kind: FieldKind): unknown[] {
  return byKind[kind];
}

/** Each field replaced by each bad value of its kind, plus unknown fields and a missing required one. */
export function badBodies(valid: Record<string, unknown>, kinds: Record<string, FieldKind>, required: string[]): unknown[] {
  const bodies: unknown[] = [];
  for (const [field, kind] of Object.entries(kinds)) {
    for (const value of badValues(kind)) bodies.push({ ...valid, [field]: value });
  }
  for (const field of required) {
    const { [field]: _dropped, ...rest } = valid;
    bodies.push(rest);
  }
  bodies.push({ ...valid, unknownField: 1 });
  // Own keys named like Object.prototype members (a JSON text is the only way to make them).
  for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
    bodies.push(JSON.parse(`{${JSON.stringify(key)}: {"admin": true}, ${JSON.stringify(valid).slice(1)}`));
  }
  bodies.push(null, [], [valid], 'just a string', 42, true);
  return bodies;
}

/** Raw bodies that are not the JSON they claim to be. */
export const MALFORMED_BODIES: Array<{ body: string; contentType: string }> = [
  { body: '{"tenantId": ', contentType: 'application/json' },
  { body: "{'tenantId': 'X'}", contentType: 'application/json' },
  { body: '{"tenantId": "X",}', contentType: 'application/json' },
  { body: '\u0000\u0001\u0002', contentType: 'application/json' },
  { body: 'tenantId=X&meterCount=10', contentType: 'application/x-www-form-urlencoded' },
  { body: '<xml/>', contentType: 'application/xml' },
  { body: '{"tenantId":"X"}', contentType: 'text/plain' },
  { body: JSON.stringify({ tenantId: 'X', pad: 'x'.repeat(40_000) }), contentType: 'application/json' },
  { body: '['.repeat(5_000) + ']'.repeat(5_000), contentType: 'application/json' },
  { body: '{"tenantId":"X"}', contentType: 'application/json; charset=klingon' },
];

/** Query strings that must be refused for an endpoint whose only parameter is tenantId (plus `extra`). */
export function badQueries(extra: Record<string, FieldKind> = {}): string[] {
  const queries: string[] = [
    '',
    '?',
    '?tenantId=',
    '?tenantid=DEMO_TENANT',
    '?tenantId=A&tenantId=B',
    '?tenantId=DEMO_TENANT&unknown=1',
    `?tenantId=${'x'.repeat(5_000)}`,
  ];
  for (const value of byKind.tenantId) {
    if (typeof value === 'string') queries.push(`?tenantId=${encode(value)}`);
  }
  queries.push('?tenantId[]=X', '?tenantId[a]=X', '?tenantId=%E0%A4%A', '?tenantId=%00');
  for (const [param, kind] of Object.entries(extra)) {
    for (const value of byKind[kind]) {
      if (typeof value === 'string' || typeof value === 'number') queries.push(`?tenantId=DEMO_TENANT&${param}=${encode(String(value))}`);
    }
  }
  return queries;
}

/** URL-encodes, sending a lone surrogate as the raw (invalid) percent bytes a client could send. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}
