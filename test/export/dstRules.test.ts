import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DST_RULE_DISABLED, DstRuleOperator, describeDstRule, encodeDstRule, formatDstRule, localTimeParameters } from '../../src/export/dstRules.ts';
import { decodeDstRule, intlTransitions, offsetFromIntl, ruleInstant } from './dstDecode.ts';
import { SAMPLE_FEED } from './xmllint.ts';
import { child, childrenNamed, integerOf, parseXml, textOf } from './xmlTree.ts';

/** The rules as the feed writes them: hex strings. */
function parametersFor(timeZone: string, at: string) {
  const parameters = localTimeParameters(timeZone, new Date(at));
  return { ...parameters, start: formatDstRule(parameters.dstStartRule), end: formatDstRule(parameters.dstEndRule) };
}

/** Decodes both rules for `year` into the instants they name. */
function decodedChanges(parameters: ReturnType<typeof parametersFor>, year: number) {
  return {
    start: ruleInstant(parameters.start, year, parameters.tzOffset).toISOString(),
    end: ruleInstant(parameters.end, year, parameters.tzOffset + parameters.dstOffset).toISOString(),
  };
}

describe('ESPI DstRuleType encoding', () => {
  it('reproduces the LocalTimeParameters of the Green Button sample feed (US Eastern, 2012)', () => {
    const sample = parseXml(readFileSync(SAMPLE_FEED, 'utf8'));
    const [ltp] = childrenNamed(sample, 'entry').flatMap((entry) => childrenNamed(child(entry, 'content'), 'LocalTimeParameters'));
    expect(ltp).toBeDefined();
    // The sample's first interval starts at 2012-03-01T05:00Z, local midnight in New York.
    const ours = parametersFor('America/New_York', '2012-03-01T05:00:00Z');
    expect(ours.start).toBe(textOf(ltp!, 'dstStartRule'));
    expect(ours.end).toBe(textOf(ltp!, 'dstEndRule'));
    expect(ours.dstOffset).toBe(integerOf(ltp!, 'dstOffset'));
    expect(ours.tzOffset).toBe(integerOf(ltp!, 'tzOffset'));
    expect(describeDstRule(ours.dstStartRule)).toBe('second Sunday of March 02:00');
    expect(describeDstRule(ours.dstEndRule)).toBe('first Sunday of November 02:00');
  });

  it('America/Chicago decodes to the US changes of 2026 and 2027 (08:00 and 07:00 UTC)', () => {
    const chicago = parametersFor('America/Chicago', '2026-01-15T12:00:00Z');
    expect([chicago.tzOffset, chicago.dstOffset]).toEqual([-6 * 3600, 3600]);
    expect(decodedChanges(chicago, 2026)).toEqual({ start: '2026-03-08T08:00:00.000Z', end: '2026-11-01T07:00:00.000Z' });
    expect(decodedChanges(chicago, 2027)).toEqual({ start: '2027-03-14T08:00:00.000Z', end: '2027-11-07T07:00:00.000Z' });
    const start = decodeDstRule(chicago.start);
    expect(start).toMatchObject({ month: 3, dayOfWeek: 7, hour: 2, seconds: 0 });
  });

  it('Europe/Berlin decodes to the EU changes of 2026 and 2027 (last Sundays, 01:00 UTC)', () => {
    const berlin = parametersFor('Europe/Berlin', '2026-07-01T00:00:00Z');
    expect([berlin.tzOffset, berlin.dstOffset]).toEqual([3600, 3600]);
    expect(decodeDstRule(berlin.start)).toMatchObject({ month: 3, operator: DstRuleOperator.last, dayOfWeek: 7, hour: 2 });
    expect(decodeDstRule(berlin.end)).toMatchObject({ month: 10, operator: DstRuleOperator.last, dayOfWeek: 7, hour: 3 });
    expect(decodedChanges(berlin, 2026)).toEqual({ start: '2026-03-29T01:00:00.000Z', end: '2026-10-25T01:00:00.000Z' });
    // 2027-03-28 is also the fourth Sunday: only the "last Sunday" form gets 2027-10-31 and later years right.
    expect(decodedChanges(berlin, 2027)).toEqual({ start: '2027-03-28T01:00:00.000Z', end: '2027-10-31T01:00:00.000Z' });
  });

  it('a zone without DST gets dstOffset 0 and the "disabled" rule value', () => {
    for (const [timeZone, tzOffset] of [
      ['America/Phoenix', -7 * 3600],
      ['UTC', 0],
      ['Asia/Kolkata', 5.5 * 3600],
    ] as const) {
      for (const at of ['2026-03-08T12:00:00Z', '2027-07-01T12:00:00Z']) {
        const parameters = parametersFor(timeZone, at);
        expect(parameters, timeZone).toMatchObject({ tzOffset, dstOffset: 0, start: 'FFFFFFFF', end: 'FFFFFFFF' });
        expect(decodeDstRule(parameters.start)).toBe('disabled');
        // And Intl agrees the offset never changes that year.
        expect(intlTransitions(timeZone, new Date(at).getUTCFullYear())).toEqual([]);
      }
    }
  });

  it.each([
    'America/New_York',
    'America/St_Johns',
    'America/Havana',
    'America/Santiago',
    'Europe/London',
    'Europe/Dublin',
    'Asia/Beirut',
    'Asia/Jerusalem',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'Pacific/Auckland',
  ])('%s: the rules derived from 2026 name the changes Intl has in 2026, 2027 and 2028', (timeZone) => {
    const parameters = parametersFor(timeZone, '2026-06-01T00:00:00Z');
    for (const year of [2026, 2027, 2028]) {
      const changes = intlTransitions(timeZone, year);
      expect(changes).toHaveLength(2);
      const start = changes.find((change) => change.after > change.before)!;
      const end = changes.find((change) => change.after < change.before)!;
      expect(parameters.tzOffset).toBe(start.before);
      expect(parameters.dstOffset).toBe(start.after - start.before);
      expect(decodedChanges(parameters, year)).toEqual({ start: start.at.toISOString(), end: end.at.toISOString() });
    }
  });

  it('the decoded Chicago changes are where Intl sees the offset move by an hour', () => {
    const chicago = parametersFor('America/Chicago', '2027-02-01T00:00:00Z');
    for (const year of [2026, 2027]) {
      const start = ruleInstant(chicago.start, year, chicago.tzOffset).getTime();
      const end = ruleInstant(chicago.end, year, chicago.tzOffset + chicago.dstOffset).getTime();
      expect([offsetFromIntl('America/Chicago', start - 1000), offsetFromIntl('America/Chicago', start)]).toEqual([-21600, -18000]);
      expect([offsetFromIntl('America/Chicago', end - 1000), offsetFromIntl('America/Chicago', end)]).toEqual([-18000, -21600]);
    }
  });

  it('packs the fields at the bit positions usage.xsd gives (its own example: third Friday of March, 01:45)', () => {
    const rule = { month: 3, operator: DstRuleOperator.third, dayOfMonth: 0, dayOfWeek: 5, hour: 1, seconds: 2700 };
    const hex = formatDstRule(encodeDstRule(rule));
    expect(hex).toMatch(/^[0-9A-F]{8}$/);
    expect(decodeDstRule(hex)).toEqual(rule);
    expect(formatDstRule(encodeDstRule({ month: 12, operator: 7, dayOfMonth: 31, dayOfWeek: 7, hour: 23, seconds: 3599 }))).toBe(
      // Highest month and every other field at its maximum: the value stays unsigned.
      formatDstRule((12 * 2 ** 28 + 7 * 2 ** 25 + 31 * 2 ** 20 + 7 * 2 ** 17 + 23 * 2 ** 12 + 3599) >>> 0),
    );
    expect(formatDstRule(DST_RULE_DISABLED)).toBe('FFFFFFFF');
  });

  it('refuses fields outside their bit ranges', () => {
    const valid = { month: 3, operator: 1, dayOfMonth: 8, dayOfWeek: 7, hour: 2, seconds: 0 };
    expect(() => encodeDstRule({ ...valid, month: 13 })).toThrow(/month must be a whole number in 1-12; got 13/);
    expect(() => encodeDstRule({ ...valid, hour: 24 })).toThrow(/hour/);
    expect(() => encodeDstRule({ ...valid, seconds: 3600 })).toThrow(/seconds/);
    expect(() => encodeDstRule({ ...valid, dayOfWeek: 8 })).toThrow(/dayOfWeek/);
  });
});
