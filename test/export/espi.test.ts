import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ACCUMULATION_DELTA_DATA,
  COMMODITY_ELECTRICITY_SECONDARY_METERED,
  DATA_QUALIFIER_NORMAL,
  ENERGY_POWER_OF_TEN_MULTIPLIER,
  FLOW_FORWARD,
  FLOW_REVERSE,
  MEASUREMENT_ENERGY,
  QualityOfReading,
  qualitiesOfStatus,
  ReadStatus,
  SERVICE_KIND_ELECTRICITY,
  TIME_ATTRIBUTE_NONE,
  UOM_WH,
} from '../../src/export/espi.ts';
import { USAGE_XSD } from './xmllint.ts';

const xsd = readFileSync(USAGE_XSD, 'utf8');

/** The `appinfo` name usage.xsd gives `value` in simple type `type`. */
function espiName(type: string, value: number): string | undefined {
  const start = xsd.indexOf(`<xs:simpleType name="${type}">`);
  if (start < 0) throw new Error(`usage.xsd has no simple type ${type}`);
  const end = xsd.indexOf('</xs:simpleType>', start);
  const block = xsd.slice(start, end);
  const match = new RegExp(`<xs:enumeration value="${value}">\\s*<xs:annotation>\\s*<xs:appinfo>([^<]*)</xs:appinfo>`).exec(block);
  return match?.[1];
}

describe('ESPI code values', () => {
  it('each code the feed writes means in usage.xsd what the export says it means', () => {
    expect(espiName('ServiceKind', SERVICE_KIND_ELECTRICITY)).toBe('electricity');
    expect(espiName('AccumulationKind', ACCUMULATION_DELTA_DATA)).toBe('deltaData');
    expect(espiName('CommodityKind', COMMODITY_ELECTRICITY_SECONDARY_METERED)).toBe('electricity SecondaryMetered');
    expect(espiName('DataQualifierKind', DATA_QUALIFIER_NORMAL)).toBe('normal');
    expect(espiName('FlowDirectionKind', FLOW_FORWARD)).toBe('forward');
    expect(espiName('FlowDirectionKind', FLOW_REVERSE)).toBe('reverse');
    expect(espiName('MeasurementKind', MEASUREMENT_ENERGY)).toBe('energy');
    expect(espiName('UnitSymbolKind', UOM_WH)).toBe('Wh');
    expect(espiName('UnitMultiplierKind', ENERGY_POWER_OF_TEN_MULTIPLIER)).toBe('d');
    expect(espiName('TimePeriodOfInterest', TIME_ATTRIBUTE_NONE)).toBe('none');
    expect(espiName('QualityOfReading', QualityOfReading.valid)).toBe('valid');
    expect(espiName('QualityOfReading', QualityOfReading.questionable)).toBe('questionable');
    expect(espiName('QualityOfReading', QualityOfReading.raw)).toBe('raw');
    expect(espiName('QualityOfReading', QualityOfReading.other)).toBe('other');
  });

  it('maps read status bits to ESPI qualities: errors questionable, outage and clock adjustment other, DST nothing', () => {
    const { criticalError, clockInvalid, dataNotValid, daylightSaving, clockAdjusted, powerDown } = ReadStatus;
    const cases: Array<[status: number, qualities: number[]]> = [
      [0, []],
      [daylightSaving, []],
      [criticalError, [10]],
      [clockInvalid, [10]],
      [dataNotValid, [10]],
      [clockAdjusted, [16]],
      [powerDown, [16]],
      [powerDown | daylightSaving, [16]],
      [criticalError | dataNotValid, [10]],
      [criticalError | powerDown, [10, 16]],
      // Bits DLMS reserves (16, 64) are not known here: "other", never silently dropped.
      [16, [16]],
      [64 | clockInvalid, [10, 16]],
    ];
    for (const [status, qualities] of cases) expect(qualitiesOfStatus(status), `status ${status}`).toEqual(qualities);
  });

  it('refuses a status that is not a 16-bit mask', () => {
    for (const status of [-1, 1.5, 0x10000, Number.NaN]) expect(() => qualitiesOfStatus(status)).toThrow(/read status must be a whole-number bitmask/);
  });
});
