import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type GreenButtonFeedOptions, greenButtonFeed, type UsagePointRead, type UsagePointReads } from '../../src/export/greenbutton.ts';
import { ruleInstant } from './dstDecode.ts';
import { allReadings, meterReadingByFlow, type ParsedFeed, readFeed, usagePoints } from './feedReader.ts';
import { SAMPLE_FEED, validateWithXmllint } from './xmllint.ts';
import { childrenNamed, integerOf, textOf } from './xmlTree.ts';

const MINUTE = 60_000;
const FORWARD = 1;
const REVERSE = 19;

function options(overrides: Partial<GreenButtonFeedOptions> = {}): GreenButtonFeedOptions {
  return {
    tenantId: 'tenant-a',
    timeZone: 'America/Chicago',
    intervalMinutes: 15,
    from: new Date('2026-06-15T05:00:00Z'),
    to: new Date('2026-06-16T05:00:00Z'),
    generatedAt: new Date('2026-06-20T12:00:00Z'),
    selfHref: '/api/ami/greenbutton?tenantId=tenant-a&meterId=1',
    ...overrides,
  };
}

/**
 * Reads for every interval ending in (from, to]. kWh have 4 decimals, as stored, and vary
 * by meter and interval so that a value landing in the wrong place shows.
 */
function readsIn(from: Date, to: Date, intervalMinutes: number, meterId: number, statusAt: (i: number) => number = () => 0): UsagePointRead[] {
  const reads: UsagePointRead[] = [];
  const step = intervalMinutes * MINUTE;
  let i = 0;
  for (let t = Math.floor(from.getTime() / step) * step + step; t <= to.getTime(); t += step, i++) {
    reads.push({
      readAt: new Date(t),
      kwh: ((i * 7919 + meterId * 104_729) % 25_000) / 10_000,
      kwhReceived: i % 96 > 40 && i % 96 < 70 ? ((i * 131 + meterId) % 9_000) / 10_000 : 0,
      status: statusAt(i),
    });
  }
  return reads;
}

function meter(meterId: number, reads: UsagePointRead[], overrides: Partial<UsagePointReads> = {}): UsagePointReads {
  return { meterId, feederId: 3, serviceClass: 'residential', exports: false, reads, ...overrides };
}

async function* streamOf(points: UsagePointReads[]): AsyncGenerator<UsagePointReads> {
  yield* points;
}

async function feedText(feedOptions: GreenButtonFeedOptions, points: UsagePointReads[]): Promise<string> {
  let text = '';
  for await (const chunk of greenButtonFeed(feedOptions, streamOf(points))) text += chunk;
  return text;
}

function expectValid(xml: string): void {
  const { valid, messages } = validateWithXmllint(xml);
  expect(valid, messages).toBe(true);
}

const epoch = (iso: string) => new Date(iso).getTime() / 1000;

function usagePointOf(feed: ParsedFeed, meterId: number) {
  const found = usagePoints(feed).filter((point) => point.entry.self.endsWith(`/UsagePoint/${meterId}`));
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('Green Button feed', () => {
  it('xmllint is strict about the ESPI inside Atom content (the sample passes, a reordered copy fails)', () => {
    const sample = readFileSync(SAMPLE_FEED, 'utf8');
    expectValid(sample);
    // ReadingType's elements are a sequence: kind before intervalLength is an error.
    const reordered = sample.replace(
      '<intervalLength>900</intervalLength>\n                <kind>12</kind>',
      '<kind>12</kind>\n                <intervalLength>900</intervalLength>',
    );
    expect(reordered).not.toBe(sample);
    expect(validateWithXmllint(reordered).valid).toBe(false);
  });

  it('one meter-day: validates against usage.xsd and holds one local day of 96 readings', async () => {
    const feedOptions = options();
    const xml = await feedText(feedOptions, [meter(1, readsIn(feedOptions.from, feedOptions.to, 15, 1))]);
    expectValid(xml);
    const feed = readFeed(xml);
    expect(feed.updated).toBe('2026-06-20T12:00:00Z');
    expect(feed.selfHref).toBe(feedOptions.selfHref);
    const [point, ...others] = usagePoints(feed);
    expect(others).toHaveLength(0);
    expect(integerOf(childrenNamed(point!.entry.resource, 'ServiceCategory')[0]!, 'kind')).toBe(0);
    expect(point!.meterReadings).toHaveLength(1);
    const [delivered] = point!.meterReadings;
    expect(delivered!.blocks).toHaveLength(1);
    const [block] = delivered!.blocks;
    // Local midnight to local midnight in Chicago (CDT, UTC-5).
    expect([block!.start, block!.duration]).toEqual([epoch('2026-06-15T05:00:00Z'), 86_400]);
    expect(block!.readings).toHaveLength(96);
    expect(integerOf(delivered!.readingType, 'intervalLength')).toBe(900);
  });

  it('several meters, one exporting: validates; the exporting meter alone has a received MeterReading', async () => {
    const feedOptions = options({ to: new Date('2026-06-17T05:00:00Z'), selfHref: '/api/ami/greenbutton?tenantId=tenant-a&feederId=3' });
    const points = [1, 2, 3].map((meterId) =>
      meter(
        meterId,
        readsIn(feedOptions.from, feedOptions.to, 15, meterId, (i) => (i % 17 === 0 ? 128 : 0)),
        {
          exports: meterId === 2,
          serviceClass: meterId === 3 ? 'commercial' : 'residential',
        },
      ),
    );
    const xml = await feedText(feedOptions, points);
    expectValid(xml);
    const feed = readFeed(xml);
    expect(usagePoints(feed).map((point) => point.entry.self.split('/').at(-1))).toEqual(['1', '2', '3']);
    for (const meterId of [1, 2, 3]) {
      const point = usagePointOf(feed, meterId);
      const exporting = meterId === 2;
      expect(point.meterReadings).toHaveLength(exporting ? 2 : 1);
      expect(meterReadingByFlow(point, FORWARD)).toBeDefined();
      expect(meterReadingByFlow(point, REVERSE) !== undefined).toBe(exporting);
      // isDER (roleFlags bit 4) marks the meter with solar.
      const roleFlags = childrenNamed(point.entry.resource, 'roleFlags').map((flags) => flags.text);
      expect(roleFlags).toEqual(exporting ? ['0008'] : []);
      for (const meterReading of point.meterReadings) {
        expect(meterReading.blocks.map((block) => block.entry.self.split('/').at(-1))).toEqual(['2026-06-15', '2026-06-16']);
        expect(meterReading.entry.self.startsWith(point.entry.self)).toBe(true);
      }
      expect(point.entry.title).toBe(`Meter ${meterId}, feeder 3, ${meterId === 3 ? 'commercial' : 'residential'}`);
    }
    // One LocalTimeParameters entry serves every UsagePoint.
    expect(feed.entries.filter((entry) => entry.resource.name === 'LocalTimeParameters')).toHaveLength(1);
    // Entry ids are unique, name-based (version 5) UUIDs.
    const ids = [feed.id, ...feed.entries.map((entry) => entry.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('values add up to the kWh of the input rows, delivered and received, at the ReadingType multiplier', async () => {
    const feedOptions = options({ from: new Date('2026-07-01T05:00:00Z'), to: new Date('2026-07-04T05:00:00Z') });
    const points = [meter(1, readsIn(feedOptions.from, feedOptions.to, 15, 1), { exports: true }), meter(2, readsIn(feedOptions.from, feedOptions.to, 15, 2))];
    const feed = readFeed(await feedText(feedOptions, points));
    for (const input of points) {
      const point = usagePointOf(feed, input.meterId);
      const directions: Array<[number, (read: UsagePointRead) => number]> = [[FORWARD, (read) => read.kwh]];
      if (input.exports) directions.push([REVERSE, (read) => read.kwhReceived]);
      for (const [flow, kwhOf] of directions) {
        const meterReading = meterReadingByFlow(point, flow)!;
        const readingType = meterReading.readingType;
        expect(integerOf(readingType, 'uom')).toBe(72); // Wh
        expect(integerOf(readingType, 'kind')).toBe(12); // energy
        expect(integerOf(readingType, 'accumulationBehaviour')).toBe(4); // deltaData
        const multiplier = integerOf(readingType, 'powerOfTenMultiplier');
        const readings = allReadings(meterReading);
        const expectedTotal = (input.reads.reduce((sum, read) => sum + kwhOf(read), 0) * 1000) / 10 ** multiplier;
        const total = readings.reduce((sum, reading) => sum + reading.value, 0);
        expect(Number.isInteger(expectedTotal) || Math.abs(expectedTotal - Math.round(expectedTotal)) < 1e-6, 'kWh with 4 decimals are whole units').toBe(true);
        expect(total, `meter ${input.meterId} flow ${flow}`).toBe(Math.round(expectedTotal));
        // Each reading is its own row: the interval ending at readAt, with that row's energy.
        expect(readings.map((reading) => (reading.start + reading.duration) * 1000)).toEqual(input.reads.map((read) => read.readAt.getTime()));
        expect(readings.map((reading) => reading.value * 10 ** multiplier)).toEqual(input.reads.map((read) => expect.closeTo(kwhOf(read) * 1000, 6)));
      }
    }
  });

  it.each([
    {
      day: '2026-03-08',
      from: '2026-03-07T06:00:00Z',
      to: '2026-03-10T05:00:00Z',
      dayStart: '2026-03-08T06:00:00Z',
      dayEnd: '2026-03-09T05:00:00Z',
      counts: [96, 92, 96],
    },
    {
      day: '2026-11-01',
      from: '2026-10-31T05:00:00Z',
      to: '2026-11-03T06:00:00Z',
      dayStart: '2026-11-01T05:00:00Z',
      dayEnd: '2026-11-02T06:00:00Z',
      counts: [96, 100, 96],
    },
  ])('America/Chicago $day: the DST day is one IntervalBlock of $counts.1 contiguous quarter hours', async ({ day, from, to, dayStart, dayEnd, counts }) => {
    const feedOptions = options({ from: new Date(from), to: new Date(to) });
    const xml = await feedText(feedOptions, [meter(1, readsIn(feedOptions.from, feedOptions.to, 15, 1))]);
    expectValid(xml);
    const [delivered] = usagePointOf(readFeed(xml), 1).meterReadings;
    expect(delivered!.blocks.map((block) => block.readings.length)).toEqual(counts);
    const block = delivered!.blocks[1]!;
    expect(block.entry.self.endsWith(`/IntervalBlock/${day}`)).toBe(true);
    expect(block.start).toBe(epoch(dayStart));
    expect(block.start + block.duration).toBe(epoch(dayEnd));
    expect(block.readings[0]!.start).toBe(block.start);
    for (const [i, reading] of block.readings.entries()) {
      expect(reading.duration).toBe(900);
      if (i > 0) expect(reading.start).toBe(block.readings[i - 1]!.start + 900);
    }
    expect(block.readings.at(-1)!.start + 900).toBe(block.start + block.duration);
    // The blocks tile the range: each starts where the previous ended.
    for (const [i, each] of delivered!.blocks.entries())
      if (i > 0) expect(each.start).toBe(delivered!.blocks[i - 1]!.start + delivered!.blocks[i - 1]!.duration);
  });

  it('hourly reads on the DST days: 23 and 25 readings, intervalLength 3600', async () => {
    const feedOptions = options({ intervalMinutes: 60, from: new Date('2026-03-08T06:00:00Z'), to: new Date('2026-11-02T06:00:00Z') });
    const xml = await feedText(feedOptions, [meter(1, readsIn(feedOptions.from, feedOptions.to, 60, 1))]);
    expectValid(xml);
    const [delivered] = usagePointOf(readFeed(xml), 1).meterReadings;
    expect(integerOf(delivered!.readingType, 'intervalLength')).toBe(3600);
    const byDay = new Map(delivered!.blocks.map((block) => [block.entry.self.split('/').at(-1), block.readings.length]));
    expect(byDay.get('2026-03-08')).toBe(23);
    expect(byDay.get('2026-11-01')).toBe(25);
    expect(byDay.get('2026-07-04')).toBe(24);
    expect(delivered!.blocks.reduce((sum, block) => sum + block.readings.length, 0)).toBe(
      (feedOptions.to.getTime() - feedOptions.from.getTime()) / (60 * MINUTE),
    );
  });

  it('the LocalTimeParameters decode to the zone’s changes in the year of `from`', async () => {
    const feedOptions = options({ from: new Date('2027-01-10T06:00:00Z'), to: new Date('2027-01-11T06:00:00Z') });
    const point = usagePointOf(readFeed(await feedText(feedOptions, [meter(1, readsIn(feedOptions.from, feedOptions.to, 15, 1))])), 1);
    const ltp = point.localTimeParameters;
    const tzOffset = integerOf(ltp, 'tzOffset');
    const dstOffset = integerOf(ltp, 'dstOffset');
    expect([tzOffset, dstOffset]).toEqual([-21600, 3600]);
    expect(ruleInstant(textOf(ltp, 'dstStartRule'), 2027, tzOffset).toISOString()).toBe('2027-03-14T08:00:00.000Z');
    expect(ruleInstant(textOf(ltp, 'dstEndRule'), 2027, tzOffset + dstOffset).toISOString()).toBe('2027-11-07T07:00:00.000Z');
  });

  it('writes ReadingQuality from each read’s status, on delivered and received readings; defaultQuality raw', async () => {
    const statuses = [0, 8, 1, 2, 4, 32, 128, 1 | 4, 8 | 128, 1 | 128];
    const expected = [[], [], [10], [10], [10], [16], [16], [10], [16], [10, 16]];
    const feedOptions = options();
    const reads = readsIn(feedOptions.from, feedOptions.to, 15, 1, (i) => statuses[i % statuses.length]!);
    const xml = await feedText(feedOptions, [meter(1, reads, { exports: true })]);
    expectValid(xml);
    const point = usagePointOf(readFeed(xml), 1);
    for (const flow of [FORWARD, REVERSE]) {
      const meterReading = meterReadingByFlow(point, flow)!;
      expect(integerOf(meterReading.readingType, 'defaultQuality')).toBe(14);
      expect(allReadings(meterReading).map((reading) => reading.qualities)).toEqual(reads.map((_, i) => expected[i % statuses.length]));
    }
  });

  it('escapes every text it writes: tenant, service class, self href', async () => {
    const tenantId = `Acme "North" & <South> 'Co'`;
    const serviceClass = `small <commercial> & "light" ]]> \u0001 industrial`;
    const selfHref = `/api/ami/greenbutton?tenantId=${encodeURIComponent(tenantId)}&meterId=1&note="<x>"`;
    const feedOptions = options({ tenantId, selfHref });
    const xml = await feedText(feedOptions, [meter(1, readsIn(feedOptions.from, feedOptions.to, 15, 1), { serviceClass })]);
    expectValid(xml);
    const feed = readFeed(xml);
    expect(feed.selfHref).toBe(selfHref);
    expect(feed.title).toContain(tenantId);
    const point = usagePointOf(feed, 1);
    expect(point.entry.title).toBe(`Meter 1, feeder 3, ${serviceClass.replace('\u0001', '\uFFFD')}`);
    expect(point.entry.self).toContain(`/${encodeURIComponent(tenantId)}/UsagePoint/1`);
  });

  it('the same input gives the same feed; a later generation time changes only the timestamps', async () => {
    const feedOptions = options();
    const points = () => [
      meter(1, readsIn(feedOptions.from, feedOptions.to, 15, 1), { exports: true }),
      meter(2, readsIn(feedOptions.from, feedOptions.to, 15, 2)),
    ];
    const first = await feedText(feedOptions, points());
    expect(await feedText(feedOptions, points())).toBe(first);
    const later = await feedText({ ...feedOptions, generatedAt: new Date('2026-06-21T00:00:00Z') }, points());
    expect(later).not.toBe(first);
    expect(later.replaceAll('2026-06-21T00:00:00Z', '2026-06-20T12:00:00Z')).toBe(first);
    // Another tenant's feed names its entries differently.
    const other = readFeed(await feedText({ ...feedOptions, tenantId: 'tenant-b' }, points()));
    const firstIds = new Set(readFeed(first).entries.map((entry) => entry.id));
    expect(other.entries.filter((entry) => entry.resource.name !== 'LocalTimeParameters' && firstIds.has(entry.id))).toEqual([]);
  });

  it('a range that does not start at local midnight gives a block for the part of the day exported', async () => {
    // Reads ending in (10:07, 12:07]: 10:15 ... 12:00, covering 10:00 to 12:00.
    const feedOptions = options({ from: new Date('2026-06-15T10:07:00Z'), to: new Date('2026-06-15T12:07:00Z') });
    const reads = readsIn(feedOptions.from, feedOptions.to, 15, 1);
    expect(reads).toHaveLength(8);
    const xml = await feedText(feedOptions, [meter(1, reads)]);
    expectValid(xml);
    const [block, ...more] = usagePointOf(readFeed(xml), 1).meterReadings[0]!.blocks;
    expect(more).toHaveLength(0);
    expect([block!.start, block!.duration]).toEqual([epoch('2026-06-15T10:00:00Z'), 2 * 3600]);
    expect(block!.readings.map((reading) => reading.start)).toEqual(reads.map((read) => read.readAt.getTime() / 1000 - 900));
  });

  it('a meter without reads still has its UsagePoint, MeterReading and ReadingType; no meters is a valid feed', async () => {
    const withEmpty = await feedText(options(), [meter(1, [])]);
    expectValid(withEmpty);
    const point = usagePointOf(readFeed(withEmpty), 1);
    expect(point.meterReadings).toHaveLength(1);
    expect(point.meterReadings[0]!.blocks).toHaveLength(0);
    const empty = await feedText(options(), []);
    expectValid(empty);
    expect(readFeed(empty).entries.map((entry) => entry.resource.name)).toEqual(['LocalTimeParameters']);
  });

  it('refuses bad options when called, before any chunk', () => {
    const none = streamOf([]);
    expect(() => greenButtonFeed(options({ intervalMinutes: 20 }), none)).toThrow('intervalMinutes must be one of 15, 30, 60; got 20');
    expect(() => greenButtonFeed(options({ timeZone: 'Central' }), none)).toThrow(/timeZone must be an IANA time zone name/);
    expect(() => greenButtonFeed(options({ to: new Date('2026-06-15T05:00:00Z') }), none)).toThrow(/from must be before to/);
    expect(() => greenButtonFeed(options({ generatedAt: new Date('nonsense') }), none)).toThrow(/generatedAt must be a valid Date/);
  });

  it('refuses reads it cannot place, naming the meter and the read, and a meter given twice', async () => {
    const feedOptions = options();
    const good = readsIn(feedOptions.from, feedOptions.to, 15, 1);
    const cases: Array<[UsagePointRead[], RegExp]> = [
      [[{ ...good[0]!, readAt: feedOptions.from }], /meter 7, read at 2026-06-15T05:00:00.000Z: outside the range/],
      [[{ ...good[0]!, readAt: new Date(feedOptions.to.getTime() + 15 * MINUTE) }], /outside the range/],
      [[{ ...good[0]!, readAt: new Date(good[0]!.readAt.getTime() + MINUTE) }], /not on a 15-minute boundary/],
      [[good[1]!, good[0]!], /strictly oldest first/],
      [[good[0]!, good[0]!], /strictly oldest first/],
      [[{ ...good[0]!, kwh: Number.NaN }], /delivered energy must be a finite number/],
      [[{ ...good[0]!, status: -1 }], /read status must be a whole-number bitmask/],
    ];
    for (const [reads, message] of cases) await expect(feedText(feedOptions, [meter(7, reads)])).rejects.toThrow(message);
    // A meter given twice would give two entries one id.
    await expect(feedText(feedOptions, [meter(7, good), meter(8, good), meter(7, good)])).rejects.toThrow('meter 7 given twice');
  });

  it('a consumer that stops early (client gone) closes the source of meters', async () => {
    const feedOptions = options();
    let closed = false;
    async function* feeder(): AsyncGenerator<UsagePointReads> {
      try {
        for (let meterId = 1; ; meterId++) yield meter(meterId, readsIn(feedOptions.from, feedOptions.to, 15, meterId));
      } finally {
        closed = true;
      }
    }
    let chunks = 0;
    for await (const _chunk of greenButtonFeed(feedOptions, feeder())) if (++chunks === 5) break;
    expect(closed).toBe(true);
  });

  it('streams: 1,000 meters x 96 reads come out as chunks while the meters are still being read, one meter ahead at most', async () => {
    const feedOptions = options({ selfHref: '/api/ami/greenbutton?tenantId=tenant-a&feederId=1' });
    const template = readsIn(feedOptions.from, feedOptions.to, 15, 1);
    let metersRead = 0;
    let sourceDone = false;
    async function* feeder(): AsyncGenerator<UsagePointReads> {
      for (let meterId = 1; meterId <= 1000; meterId++) {
        metersRead++;
        yield meter(meterId, template, { exports: meterId % 10 === 0 });
      }
      sourceDone = true;
    }
    let chunks = 0;
    let chunksBeforeSourceDone = 0;
    let usagePointsOut = 0;
    let mostAhead = 0;
    let readingsOut = 0;
    let totalLength = 0;
    let longestChunk = 0;
    for await (const chunk of greenButtonFeed(feedOptions, feeder())) {
      chunks++;
      if (!sourceDone) chunksBeforeSourceDone++;
      usagePointsOut += chunk.split('<UsagePoint ').length - 1;
      readingsOut += chunk.split('<IntervalReading>').length - 1;
      mostAhead = Math.max(mostAhead, metersRead - usagePointsOut);
      totalLength += chunk.length;
      longestChunk = Math.max(longestChunk, chunk.length);
    }
    expect(usagePointsOut).toBe(1000);
    expect(readingsOut).toBe(96 * 1000 + 96 * 100);
    // Everything but the closing </feed> was handed out before the last meter was asked for.
    expect(chunksBeforeSourceDone).toBe(chunks - 1);
    expect(chunks).toBeGreaterThan(3000);
    expect(mostAhead).toBeLessThanOrEqual(1);
    expect(longestChunk).toBeLessThan(totalLength / 1000);
  });
});
