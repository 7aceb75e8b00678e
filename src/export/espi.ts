/**
 * The NAESB ESPI (REQ.21) code values the Green Button export writes, named as in
 * usage.xsd (each enumeration's `appinfo`), and the mapping from a read's status to ESPI
 * reading qualities. docs/greenbutton.md says why each value was chosen.
 */

/** ServiceKind */
export const SERVICE_KIND_ELECTRICITY = 0;
/** AccumulationKind: each value is the energy of its own interval. */
export const ACCUMULATION_DELTA_DATA = 4;
/** CommodityKind: electricity metered at the customer's (secondary) voltage. */
export const COMMODITY_ELECTRICITY_SECONDARY_METERED = 1;
/** DataQualifierKind, as in the Green Button sample feed. */
export const DATA_QUALIFIER_NORMAL = 12;
/** FlowDirectionKind: energy delivered to the customer. */
export const FLOW_FORWARD = 1;
/** FlowDirectionKind: energy received from the customer (exported to the grid). */
export const FLOW_REVERSE = 19;
/** MeasurementKind */
export const MEASUREMENT_ENERGY = 12;
/** UnitSymbolKind: watt-hours. */
export const UOM_WH = 72;
/** TimePeriodOfInterest: none (the interval length says it all). */
export const TIME_ATTRIBUTE_NONE = 0;
/**
 * UnitMultiplierKind -1 (deci): values count tenths of a Wh. kWh are kept to 4 decimals
 * (0.1 Wh), so every value is an exact integer: value = round(kWh * 10,000).
 */
export const ENERGY_POWER_OF_TEN_MULTIPLIER = -1;
/** UsagePoint roleFlags bit 4 (1-based, value 0x0008): isDER. Set for a meter with rooftop solar. */
export const ROLE_FLAG_IS_DER = 0x0008;

/** QualityOfReading codes used here. */
export const QualityOfReading = {
  /** Passed validation (not used: this head-end validates nothing). */
  valid: 0,
  /** Failed one or more checks. */
  questionable: 10,
  /** Not validated: the ReadingType default for every reading of this head-end. */
  raw: 14,
  /** A characteristic applies that ESPI has no code for. */
  other: 16,
} as const;

/** Read status bits, after the DLMS/COSEM AMR profile status (meter_reads_electric.status). */
export const ReadStatus = {
  criticalError: 1,
  clockInvalid: 2,
  dataNotValid: 4,
  daylightSaving: 8,
  clockAdjusted: 32,
  powerDown: 128,
} as const;

/**
 * Status bit -> ESPI quality. Daylight saving (8) is informational and maps to nothing.
 * Bits not listed (16 and 64 are reserved in DLMS) map to "other".
 */
const QUALITY_OF_STATUS_BIT: ReadonlyArray<readonly [bit: number, quality: number]> = [
  [ReadStatus.criticalError, QualityOfReading.questionable],
  [ReadStatus.clockInvalid, QualityOfReading.questionable],
  [ReadStatus.dataNotValid, QualityOfReading.questionable],
  [ReadStatus.clockAdjusted, QualityOfReading.other],
  [ReadStatus.powerDown, QualityOfReading.other],
];
const KNOWN_STATUS_BITS = QUALITY_OF_STATUS_BIT.reduce((bits, [bit]) => bits | bit, ReadStatus.daylightSaving as number);

/**
 * The distinct ESPI qualities a read status calls for, ascending; empty when the read
 * carries none (status 0 or only the daylight-saving bit), so it takes the ReadingType's
 * defaultQuality.
 * @throws RangeError for a status that is not a whole number in 0-65535.
 */
export function qualitiesOfStatus(status: number): number[] {
  if (!Number.isInteger(status) || status < 0 || status > 0xffff) {
    throw new RangeError(`read status must be a whole-number bitmask in 0-65535; got ${String(status)}`);
  }
  const qualities = new Set<number>();
  for (const [bit, quality] of QUALITY_OF_STATUS_BIT) if (status & bit) qualities.add(quality);
  if (status & ~KNOWN_STATUS_BITS) qualities.add(QualityOfReading.other);
  return [...qualities].sort((a, b) => a - b);
}
