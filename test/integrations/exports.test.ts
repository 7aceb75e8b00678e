import { beforeAll, describe, expect, it } from 'vitest';
import { READS_CSV_COLUMNS } from '../../src/db/exports.ts';
import { allReadings, meterReadingByFlow, readFeed, usagePoints } from '../export/feedReader.ts';
import { validateWithXmllint } from '../export/xmllint.ts';
import { integerOf } from '../export/xmlTree.ts';
import { eventually, useTestApp } from '../helpers/app.ts';
import { landTick, quarterHoursIn } from './helpers.ts';

/**
 * The exports against a tenant whose reads came through the real ingest: a
 * small Chicago fleet with rooftop solar, published for the local days of
 * both 2026 DST changes. Green Button feeds validate against usage.xsd and
 * add up to the database's kWh; the CSV of a feeder-day is exactly the
 * database's rows.
 */
const { db, deps, app } = useTestApp();
const TENANT = 'GB_CHICAGO';
const FORWARD = 1;
const REVERSE = 19;

// Local days in America/Chicago, as (from, to] on read_at: local midnight to local midnight.
const SPRING = { from: new Date('2026-03-08T06:00:00Z'), to: new Date('2026-03-09T05:00:00Z'), intervals: 92 };
const FALL = { from: new Date('2026-11-01T05:00:00Z'), to: new Date('2026-11-02T06:00:00Z'), intervals: 100 };

beforeAll(async () => {
  for (const day of [SPRING, FALL]) {
    for (const readAt of quarterHoursIn(day.from, day.to)) {
      await landTick(db, deps, { tenantId: TENANT, readAt, meterCount: 24, feederCount: 2, batchSize: 24, timeZone: 'America/Chicago', solarShare: 0.6 });
    }
  }
  // A few reads with status bits (an outage, data not valid), as the collection model writes them.
  await db.pool.query(
    `update meter_reads_electric set status = status | 128 where tenant_id = $1 and meter_id = 1 and read_at in ($2::timestamptz, $3::timestamptz)`,
    [TENANT, '2026-11-01T12:00:00Z', '2026-11-01T12:15:00Z'],
  );
  await db.pool.query(`update meter_reads_electric set status = status | 4 where tenant_id = $1 and meter_id = 1 and read_at = '2026-11-01T13:00:00Z'`, [
    TENANT,
  ]);
}, 180_000);

function query(params: Record<string, string | number | Date>): string {
  return new URLSearchParams(
    Object.entries(params).map(([key, value]): [string, string] => [key, value instanceof Date ? value.toISOString() : String(value)]),
  ).toString();
}

async function download(path: string): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${app.url}${path}`);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function greenButton(params: Record<string, string | number | Date>) {
  const answer = await download(`/api/ami/greenbutton?${query({ tenantId: TENANT, ...params })}`);
  expect(answer.status, answer.text.slice(0, 500)).toBe(200);
  expect(answer.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
  const { valid, messages } = validateWithXmllint(answer.text);
  expect(valid, messages).toBe(true);
  return { ...answer, feed: readFeed(answer.text) };
}

/** Per meter: the database's kWh delivered and received in the range, and whether it exports. */
async function databaseEnergy(range: { from: Date; to: Date }, where: string, params: unknown[]) {
  const { rows } = await db.pool.query<{ meter_id: number; kwh: string; kwh_received: string; reads: number; exports: boolean }>(
    `select r.meter_id, sum(r.kwh::numeric)::text as kwh, sum(r.kwh_received::numeric)::text as kwh_received, count(*)::int as reads, bool_or(m.pv_kw > 0) as exports
       from meter_reads_electric r join ami_meters m using (tenant_id, meter_id)
      where r.tenant_id = $1 and r.read_at > $2 and r.read_at <= $3 and ${where}
      group by r.meter_id order by r.meter_id`,
    [TENANT, range.from, range.to, ...params],
  );
  return rows;
}

describe('GET /api/ami/greenbutton', () => {
  it('a meter-day on the day DST ends: valid against usage.xsd, one block of 100 quarter hours, values adding up to the database’s kWh', async () => {
    const { feed, headers } = await greenButton({ meterId: 1, from: FALL.from, to: FALL.to });
    expect(headers.get('content-disposition')).toBe(`attachment; filename="greenbutton-${TENANT}-meter-1-20261101T0500Z-20261102T0600Z.xml"`);
    const [point, ...others] = usagePoints(feed);
    expect(others).toEqual([]);
    expect(point!.entry.self).toMatch(/\/UsagePoint\/1$/);
    const [db1] = await databaseEnergy(FALL, 'r.meter_id = $4', [1]);
    expect(db1!.reads).toBe(FALL.intervals);
    const delivered = meterReadingByFlow(point!, FORWARD)!;
    expect(delivered.blocks).toHaveLength(1);
    expect(delivered.blocks[0]!.entry.self).toMatch(/\/IntervalBlock\/2026-11-01$/);
    expect(delivered.blocks[0]!.readings).toHaveLength(100);
    expect(delivered.blocks[0]!.duration).toBe(90_000);
    const multiplier = integerOf(delivered.readingType, 'powerOfTenMultiplier');
    const total = allReadings(delivered).reduce((sum, reading) => sum + reading.value, 0);
    expect(total).toBe(Math.round((Number(db1!.kwh) * 1000) / 10 ** multiplier));
    // The reading quality comes from the read's status: 128 power down -> 16 other, 4 data not valid -> 10 questionable.
    const byStart = new Map(allReadings(delivered).map((reading) => [reading.start, reading.qualities]));
    expect(byStart.get(Date.parse('2026-11-01T11:45:00Z') / 1000)).toEqual([16]);
    expect(byStart.get(Date.parse('2026-11-01T12:45:00Z') / 1000)).toEqual([10]);
    expect(byStart.get(Date.parse('2026-11-01T10:00:00Z') / 1000)).toEqual([]);
    // LocalTimeParameters of the tenant's zone: Chicago, standard offset -6 h, DST +1 h.
    expect([integerOf(point!.localTimeParameters, 'tzOffset'), integerOf(point!.localTimeParameters, 'dstOffset')]).toEqual([-21600, 3600]);
  });

  it('a meter-day on the day DST starts: 92 quarter hours', async () => {
    const { feed } = await greenButton({ meterId: 2, from: SPRING.from, to: SPRING.to });
    const delivered = meterReadingByFlow(usagePoints(feed)[0]!, FORWARD)!;
    expect(delivered.blocks.map((block) => [block.readings.length, block.duration])).toEqual([[92, 82_800]]);
    const readings = allReadings(delivered);
    for (let i = 1; i < readings.length; i++) expect(readings[i]!.start - readings[i - 1]!.start).toBe(900);
  });

  it('a feeder-day: every meter of the feeder in meter order, delivered and (for meters with solar) received energy adding up per meter', async () => {
    const { feed } = await greenButton({ feederId: 1, from: FALL.from, to: FALL.to });
    const expected = await databaseEnergy(FALL, 'r.feeder_id = $4', [1]);
    const { rows: registered } = await db.pool.query<{ meter_id: number }>(
      'select meter_id from ami_meters where tenant_id = $1 and feeder_id = 1 order by meter_id',
      [TENANT],
    );
    const points = usagePoints(feed);
    expect(points.map((point) => Number(point.entry.self.split('/').at(-1)))).toEqual(registered.map((row) => row.meter_id));
    expect(expected.some((meter) => meter.exports)).toBe(true);
    expect(expected.some((meter) => !meter.exports)).toBe(true);
    for (const meter of expected) {
      const point = points.find((p) => p.entry.self.endsWith(`/UsagePoint/${meter.meter_id}`))!;
      const flows: Array<[number, string]> = [[FORWARD, meter.kwh]];
      if (meter.exports) flows.push([REVERSE, meter.kwh_received]);
      expect(point.meterReadings).toHaveLength(flows.length);
      for (const [flow, kwh] of flows) {
        const reading = meterReadingByFlow(point, flow)!;
        const multiplier = integerOf(reading.readingType, 'powerOfTenMultiplier');
        expect(integerOf(reading.readingType, 'uom')).toBe(72);
        expect(integerOf(reading.readingType, 'intervalLength')).toBe(900);
        const readings = allReadings(reading);
        expect(readings).toHaveLength(FALL.intervals);
        expect(
          readings.reduce((sum, r) => sum + r.value, 0),
          `meter ${meter.meter_id} flow ${flow}`,
        ).toBe(Math.round((Number(kwh) * 1000) / 10 ** multiplier));
      }
    }
  });

  it('a range with no reads still describes the meter; a range inside a day takes only its intervals', async () => {
    const empty = await greenButton({ meterId: 3, from: '2026-06-01T05:00:00Z', to: '2026-06-02T05:00:00Z' });
    expect(usagePoints(empty.feed)).toHaveLength(1);
    expect(allReadings(meterReadingByFlow(usagePoints(empty.feed)[0]!, FORWARD)!)).toEqual([]);
    // (10:00, 11:00]: the four intervals ending at 10:15 ... 11:00.
    const hour = await greenButton({ meterId: 3, from: '2026-11-01T10:00:00Z', to: '2026-11-01T11:00:00Z' });
    const readings = allReadings(meterReadingByFlow(usagePoints(hour.feed)[0]!, FORWARD)!);
    expect(readings.map((r) => new Date((r.start + r.duration) * 1000).toISOString())).toEqual([
      '2026-11-01T10:15:00.000Z',
      '2026-11-01T10:30:00.000Z',
      '2026-11-01T10:45:00.000Z',
      '2026-11-01T11:00:00.000Z',
    ]);
  });
});

function parseCsv(text: string): string[][] {
  expect(text.endsWith('\n')).toBe(true);
  // No field of this CSV is quoted: tenant ids, instants and numbers hold no comma or quote.
  expect(text).not.toContain('"');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => line.split(','));
}

describe('GET /api/ami/reads.csv', () => {
  it('the CSV of a feeder-day is exactly the database’s rows, in read_at then meter_id order, with a header row and ISO timestamps', async () => {
    const answer = await download(`/api/ami/reads.csv?${query({ tenantId: TENANT, feederId: 2, from: FALL.from, to: FALL.to })}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toBe(`attachment; filename="reads-${TENANT}-feeder-2-20261101T0500Z-20261102T0600Z.csv"`);
    const [header, ...rows] = parseCsv(answer.text);
    expect(header).toEqual(READS_CSV_COLUMNS.map((column) => column.name));
    expect(header).toEqual([
      'tenant_id',
      'read_at',
      'meter_id',
      'feeder_id',
      'kwh',
      'kwh_received',
      'voltage',
      'baseline_kwh',
      'status',
      'received_at',
      'delivery',
    ]);
    const { rows: expected } = await db.pool.query<{ line: string }>(
      `select concat_ws(',', tenant_id, to_char(read_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), meter_id, feeder_id, kwh, kwh_received, voltage, baseline_kwh, status,
                        to_char(received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), delivery) as line
         from meter_reads_electric
        where tenant_id = $1 and feeder_id = 2 and read_at > $2 and read_at <= $3
        order by read_at, meter_id`,
      [TENANT, FALL.from, FALL.to],
    );
    expect(expected.length).toBe(12 * FALL.intervals);
    expect(rows.map((row) => row.join(','))).toEqual(expected.map((row) => row.line));
    // The values parse back to the stored reals: the instant is ISO, the numbers plain.
    expect(rows[0]![1]).toBe('2026-11-01T05:15:00Z');
    expect(Number.isFinite(Number(rows[0]![4]))).toBe(true);
  });

  it('a tenant, a meter, and a meter on its feeder: the rows of each selection', async () => {
    const count = async (where: string, params: unknown[]) =>
      (
        await db.pool.query<{ n: number }>(
          `select count(*)::int as n from meter_reads_electric where tenant_id = $1 and read_at > $2 and read_at <= $3 and ${where}`,
          [TENANT, SPRING.from, FALL.to, ...params],
        )
      ).rows[0]!.n;
    const rowsOf = async (params: Record<string, string | number | Date>) => {
      const answer = await download(`/api/ami/reads.csv?${query({ tenantId: TENANT, ...params })}`);
      expect(answer.status, answer.text.slice(0, 300)).toBe(200);
      return parseCsv(answer.text).slice(1);
    };
    // Both DST days are within 31 days of neither... each day on its own.
    const tenantDay = await rowsOf({ from: FALL.from, to: FALL.to });
    expect(tenantDay).toHaveLength(24 * FALL.intervals);
    const { rows: meterFeeder } = await db.pool.query<{ feeder_id: number }>('select feeder_id from ami_meters where tenant_id = $1 and meter_id = 5', [
      TENANT,
    ]);
    const meterDay = await rowsOf({ meterId: 5, from: SPRING.from, to: SPRING.to });
    expect(meterDay).toHaveLength(SPRING.intervals);
    expect(new Set(meterDay.map((row) => row[2]))).toEqual(new Set(['5']));
    expect(await rowsOf({ meterId: 5, feederId: meterFeeder[0]!.feeder_id, from: SPRING.from, to: SPRING.to })).toEqual(meterDay);
    expect(await count('meter_id = 5', [])).toBe(SPRING.intervals + FALL.intervals);
  });
});

describe('bad input on the exports', () => {
  const day = { from: '2026-11-01T05:00:00Z', to: '2026-11-02T06:00:00Z' };
  const cases: Array<[string, string, number, string, string | undefined]> = [
    // [what, path, status, code, field]
    ['green button: tenant id of bad format', `/api/ami/greenbutton?tenantId=no%20way&meterId=1&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'tenantId'],
    ['green button: no tenant', `/api/ami/greenbutton?meterId=1&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'tenantId'],
    ['green button: neither meterId nor feederId', `/api/ami/greenbutton?tenantId=${TENANT}&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'meterId'],
    [
      'green button: both meterId and feederId',
      `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&feederId=1&from=${day.from}&to=${day.to}`,
      400,
      'VALIDATION',
      'meterId',
    ],
    [
      'green button: meterId given twice',
      `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&meterId=2&from=${day.from}&to=${day.to}`,
      400,
      'VALIDATION',
      'meterId',
    ],
    ['green button: no from', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&to=${day.to}`, 400, 'VALIDATION', 'from'],
    ['green button: from not an instant', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&from=2026-11-01&to=${day.to}`, 400, 'VALIDATION', 'from'],
    ['green button: from = to', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&from=${day.from}&to=${day.from}`, 400, 'VALIDATION', 'to'],
    ['green button: from after to', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&from=${day.to}&to=${day.from}`, 400, 'VALIDATION', 'to'],
    [
      'green button: a meter over 31 days',
      `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:01Z`,
      400,
      'VALIDATION',
      'to',
    ],
    [
      'green button: a feeder over 7 days',
      `/api/ami/greenbutton?tenantId=${TENANT}&feederId=1&from=2026-10-01T00:00:00Z&to=2026-10-08T00:15:00Z`,
      400,
      'VALIDATION',
      'to',
    ],
    ['green button: meterId not a number', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=one&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'meterId'],
    ['green button: meterId 0', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=0&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'meterId'],
    [
      'green button: an unknown parameter',
      `/api/ami/greenbutton?tenantId=${TENANT}&meterId=1&from=${day.from}&to=${day.to}&format=json`,
      400,
      'VALIDATION',
      'format',
    ],
    ['green button: unknown tenant', `/api/ami/greenbutton?tenantId=NOBODY&meterId=1&from=${day.from}&to=${day.to}`, 404, 'NOT_FOUND', undefined],
    ['green button: unknown meter', `/api/ami/greenbutton?tenantId=${TENANT}&meterId=999&from=${day.from}&to=${day.to}`, 404, 'NOT_FOUND', undefined],
    ['green button: unknown feeder', `/api/ami/greenbutton?tenantId=${TENANT}&feederId=3&from=${day.from}&to=${day.to}`, 404, 'NOT_FOUND', undefined],
    ['csv: no tenant', `/api/ami/reads.csv?from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'tenantId'],
    ['csv: no to', `/api/ami/reads.csv?tenantId=${TENANT}&from=${day.from}`, 400, 'VALIDATION', 'to'],
    ['csv: from after to', `/api/ami/reads.csv?tenantId=${TENANT}&from=${day.to}&to=${day.from}`, 400, 'VALIDATION', 'to'],
    ['csv: over 31 days', `/api/ami/reads.csv?tenantId=${TENANT}&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:01Z`, 400, 'VALIDATION', 'to'],
    ['csv: feederId given twice', `/api/ami/reads.csv?tenantId=${TENANT}&feederId=1&feederId=1&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'feederId'],
    ['csv: feederId negative', `/api/ami/reads.csv?tenantId=${TENANT}&feederId=-1&from=${day.from}&to=${day.to}`, 400, 'VALIDATION', 'feederId'],
    [
      'csv: a fraction finer than a millisecond',
      `/api/ami/reads.csv?tenantId=${TENANT}&from=2026-11-01T05:00:00.0000001Z&to=${day.to}`,
      400,
      'VALIDATION',
      'from',
    ],
    ['csv: unknown tenant', `/api/ami/reads.csv?tenantId=NOBODY&from=${day.from}&to=${day.to}`, 404, 'NOT_FOUND', undefined],
    ['csv: unknown feeder', `/api/ami/reads.csv?tenantId=${TENANT}&feederId=7&from=${day.from}&to=${day.to}`, 404, 'NOT_FOUND', undefined],
    ['csv: unknown meter', `/api/ami/reads.csv?tenantId=${TENANT}&meterId=25&from=${day.from}&to=${day.to}`, 404, 'NOT_FOUND', undefined],
  ];

  it.each(cases)('%s: %s -> %i %s', async (_what, path, status, code, field) => {
    const res = await fetch(`${app.url}${path}`);
    const body = (await res.json()) as { ok: boolean; error: { code: string; message: string; fields?: Array<{ field: string; message: string }> } };
    expect(res.status, JSON.stringify(body)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe(code);
    if (field) expect(body.error.fields?.map((f) => f.field)).toContain(field);
  });

  it('says the bound in the message of a range too long', async () => {
    const errorOf = async (path: string) => (await (await fetch(`${app.url}${path}`)).json()) as { error: { fields: Array<{ message: string }> } };
    const meter = await errorOf(cases[9]![1]);
    expect(meter.error.fields[0]!.message).toMatch(/at most 31 days/);
    const feeder = await errorOf(cases[10]![1]);
    expect(feeder.error.fields[0]!.message).toMatch(/a Green Button export of a feeder covers at most 7 days/);
    const csv = await errorOf(cases[20]![1]);
    expect(csv.error.fields[0]!.message).toMatch(/a CSV export covers at most 31 days/);
  });

  it('a meter on another feeder is a 404 that says where the meter is', async () => {
    const { rows } = await db.pool.query<{ feeder_id: number }>('select feeder_id from ami_meters where tenant_id = $1 and meter_id = 1', [TENANT]);
    const other = rows[0]!.feeder_id === 1 ? 2 : 1;
    const res = await fetch(`${app.url}/api/ami/reads.csv?${query({ tenantId: TENANT, meterId: 1, feederId: other, ...day })}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      `meter 1 of tenant ${TENANT} is on feeder ${rows[0]!.feeder_id}, not feeder ${other}`,
    );
  });

  it.each(['POST', 'PUT', 'DELETE'])('%s is refused with 405 and Allow on both exports, writing nothing', async (method) => {
    const { rows: before } = await db.pool.query<{ n: number }>('select count(*)::int as n from meter_reads_electric');
    for (const path of ['/api/ami/greenbutton', '/api/ami/reads.csv']) {
      const res = await fetch(`${app.url}${path}?tenantId=${TENANT}`, { method, headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'METHOD_NOT_ALLOWED' } });
    }
    const { rows: after } = await db.pool.query<{ n: number }>('select count(*)::int as n from meter_reads_electric');
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});

describe('streaming', () => {
  it('a client that leaves mid-export cancels the read and frees its turn', async () => {
    // Make the export slow enough to leave in the middle: the whole tenant, both days, read through a throttled client.
    const controller = new AbortController();
    const res = await fetch(`${app.url}/api/ami/reads.csv?${query({ tenantId: TENANT, from: FALL.from, to: FALL.to })}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => undefined);
    // Two exports at once are allowed (AMI_EXPORT_CONCURRENCY): the abandoned one must not hold a turn.
    const again = await Promise.all([1, 2].map(() => download(`/api/ami/reads.csv?${query({ tenantId: TENANT, feederId: 1, from: FALL.from, to: FALL.to })}`)));
    expect(again.map((answer) => answer.status)).toEqual([200, 200]);
    // No export query is left running in the database (the cancel takes a moment to reach it).
    await eventually(
      async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'copy (%' and state = 'active'`,
        );
        return rows[0]!.n === 0 ? true : undefined;
      },
      'the abandoned export query to end',
      5_000,
    );
  });
});
