/**
 * Green Button (NAESB ESPI REQ.21) Atom feed of interval reads, written as a stream of
 * XML text. Pure: no database, no clock (the generation time is an option), no random
 * (entry ids are name-based UUIDs). It holds one meter's reads at a time: the caller
 * streams a feeder meter by meter. docs/greenbutton.md describes the feed field by field.
 *
 * Per feed: one LocalTimeParameters entry. Per meter: a UsagePoint entry; a MeterReading,
 * its ReadingType and one IntervalBlock per local day for energy delivered; the same again
 * for energy received when the meter exports (rooftop solar).
 */

import { ALLOWED_INTERVAL_MINUTES, isAllowedIntervalMinutes } from '../emulator/time.ts';
import { describeDstRule, formatDstRule, type LocalTimeParameters, localTimeParameters } from './dstRules.ts';
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
  ROLE_FLAG_IS_DER,
  SERVICE_KIND_ELECTRICITY,
  TIME_ATTRIBUTE_NONE,
  UOM_WH,
} from './espi.ts';
import { assertTimeZone, type LocalDay, localDays } from './localTime.ts';
import { nameBasedUuid, URL_NAMESPACE } from './nameUuid.ts';
import { escapeXml } from './xml.ts';

export interface GreenButtonFeedOptions {
  tenantId: string;
  /** IANA zone, e.g. America/Chicago: LocalTimeParameters and the per-local-day IntervalBlocks come from it. */
  timeZone: string;
  /** 15, 30 or 60: ReadingType intervalLength. */
  intervalMinutes: number;
  /** The range exported: read_at in (from, to]. A read names its interval by the interval's END. */
  from: Date;
  to: Date;
  /** The feed's `updated` (and every entry's `published`/`updated`). */
  generatedAt: Date;
  /** The request path, for the feed's `<link rel="self">`. */
  selfHref: string;
}

export interface UsagePointRead {
  /** End of the interval (UTC, aligned to intervalMinutes). */
  readAt: Date;
  /** Energy delivered to the customer in the interval, kWh (4 decimals are kept). */
  kwh: number;
  /** Energy received from the customer (exported) in the interval, kWh. */
  kwhReceived: number;
  /** Status bitmask after DLMS/COSEM (see espi.ts, ReadStatus). */
  status: number;
}

export interface UsagePointReads {
  meterId: number;
  feederId: number;
  serviceClass: string;
  /** The meter has rooftop solar: the feed carries a second MeterReading, for energy received. */
  exports: boolean;
  /** This meter's reads in the range, oldest first. */
  reads: UsagePointRead[];
}

/** Where ESPI resources live on a data custodian; the hrefs name resources, this emulator does not serve them. */
export const ESPI_RESOURCE_BASE = '/espi/1_1/resource';
const ATOM_NS = 'http://www.w3.org/2005/Atom';
const ESPI_NS = 'http://naesb.org/espi';
/** Namespace of every entry id this export derives (a UUID of its own, from a URL naming the export). */
const ENTRY_ID_NAMESPACE = nameBasedUuid(URL_NAMESPACE, 'urn:ami-emulator:export:greenbutton');
/** IntervalReading values are ESPI Int48. */
const INT48_MAX = 2 ** 47;
const KWH_TO_VALUE = 1000 / 10 ** ENERGY_POWER_OF_TEN_MULTIPLIER;

interface Direction {
  /** The MeterReading's path segment. */
  name: 'delivered' | 'received';
  flowDirection: number;
  title: string;
  kwhOf: (read: UsagePointRead) => number;
}

const DELIVERED: Direction = { name: 'delivered', flowDirection: FLOW_FORWARD, title: 'Energy delivered', kwhOf: (read) => read.kwh };
const RECEIVED: Direction = {
  name: 'received',
  flowDirection: FLOW_REVERSE,
  title: 'Energy received (exported to the grid)',
  kwhOf: (read) => read.kwhReceived,
};

/** Everything a feed needs that does not depend on a meter, computed once. */
interface FeedPlan {
  options: GreenButtonFeedOptions;
  intervalMs: number;
  intervalSeconds: number;
  fromMs: number;
  toMs: number;
  /** [coveredStartMs, coveredEndMs): the time the intervals of reads in (from, to] cover. */
  coveredStartMs: number;
  coveredEndMs: number;
  days: LocalDay[];
  timestamp: string;
  tenantPath: string;
  localTime: LocalTimeParameters;
  localTimeHref: string;
}

function timeOf(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`Green Button feed: ${name} must be a valid Date; got ${String(date)}`);
  return ms;
}

function planFeed(options: GreenButtonFeedOptions): FeedPlan {
  if (!isAllowedIntervalMinutes(options.intervalMinutes)) {
    throw new RangeError(`Green Button feed: intervalMinutes must be one of ${ALLOWED_INTERVAL_MINUTES.join(', ')}; got ${String(options.intervalMinutes)}`);
  }
  assertTimeZone(options.timeZone);
  const fromMs = timeOf(options.from, 'from');
  const toMs = timeOf(options.to, 'to');
  timeOf(options.generatedAt, 'generatedAt');
  if (fromMs >= toMs) {
    throw new RangeError(`Green Button feed: from must be before to; got from ${options.from.toISOString()}, to ${options.to.toISOString()}`);
  }
  const intervalMs = options.intervalMinutes * 60_000;
  // The first read in range ends at the first boundary after `from`, the last at the last boundary at or before `to`.
  const coveredStartMs = Math.floor(fromMs / intervalMs) * intervalMs;
  const coveredEndMs = Math.floor(toMs / intervalMs) * intervalMs;
  const localTime = localTimeParameters(options.timeZone, options.from);
  const localTimeId = nameBasedUuid(
    ENTRY_ID_NAMESPACE,
    `LocalTimeParameters ${options.timeZone} ${localTime.tzOffset} ${localTime.dstOffset} ${localTime.dstStartRule} ${localTime.dstEndRule}`,
  );
  return {
    options,
    intervalMs,
    intervalSeconds: intervalMs / 1000,
    fromMs,
    toMs,
    coveredStartMs,
    coveredEndMs,
    days: coveredEndMs > coveredStartMs ? localDays(options.timeZone, coveredStartMs, coveredEndMs) : [],
    timestamp: xmlDateTime(options.generatedAt),
    tenantPath: `${ESPI_RESOURCE_BASE}/Subscription/${encodeURIComponent(options.tenantId)}`,
    localTime,
    localTimeHref: `${ESPI_RESOURCE_BASE}/LocalTimeParameters/${localTimeId}`,
  };
}

function xmlDateTime(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function link(rel: 'self' | 'up' | 'related', href: string): string {
  return `    <link rel="${rel}" href="${escapeXml(href)}"/>\n`;
}

/** One Atom entry whose id is derived from its self href (unique per tenant and resource). */
function entry(plan: FeedPlan, selfHref: string, links: string, title: string, content: string): string {
  return (
    '  <entry>\n' +
    `    <id>urn:uuid:${nameBasedUuid(ENTRY_ID_NAMESPACE, selfHref)}</id>\n` +
    link('self', selfHref) +
    links +
    `    <title>${escapeXml(title)}</title>\n` +
    `    <content>\n${content}    </content>\n` +
    `    <published>${plan.timestamp}</published>\n` +
    `    <updated>${plan.timestamp}</updated>\n` +
    '  </entry>\n'
  );
}

function feedHead(plan: FeedPlan): string {
  const { options } = plan;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<feed xmlns="${ATOM_NS}">\n` +
    `  <id>urn:uuid:${nameBasedUuid(ENTRY_ID_NAMESPACE, `feed ${options.tenantId} ${options.selfHref}`)}</id>\n` +
    `  <title>${escapeXml(`Green Button interval data, tenant ${options.tenantId}`)}</title>\n` +
    `  <updated>${plan.timestamp}</updated>\n` +
    `  <link rel="self" href="${escapeXml(options.selfHref)}"/>\n`
  );
}

function localTimeEntry(plan: FeedPlan): string {
  const { localTime } = plan;
  const title =
    localTime.dstOffset === 0
      ? `${plan.options.timeZone}: UTC${formatOffset(localTime.tzOffset)}, no DST`
      : `${plan.options.timeZone}: UTC${formatOffset(localTime.tzOffset)}, DST +${localTime.dstOffset / 60} min ` +
        `from ${describeDstRule(localTime.dstStartRule)} to ${describeDstRule(localTime.dstEndRule)} (${localTime.year} rules)`;
  // Element order is usage.xsd's (TimeConfiguration): dstEndRule, dstOffset, dstStartRule, tzOffset.
  const content =
    `      <LocalTimeParameters xmlns="${ESPI_NS}">\n` +
    `        <dstEndRule>${formatDstRule(localTime.dstEndRule)}</dstEndRule>\n` +
    `        <dstOffset>${localTime.dstOffset}</dstOffset>\n` +
    `        <dstStartRule>${formatDstRule(localTime.dstStartRule)}</dstStartRule>\n` +
    `        <tzOffset>${localTime.tzOffset}</tzOffset>\n` +
    '      </LocalTimeParameters>\n';
  return entry(plan, plan.localTimeHref, link('up', `${ESPI_RESOURCE_BASE}/LocalTimeParameters`), title, content);
}

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const minutes = Math.abs(seconds) / 60;
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function usagePointHref(plan: FeedPlan, point: UsagePointReads): string {
  return `${plan.tenantPath}/UsagePoint/${point.meterId}`;
}

function usagePointEntry(plan: FeedPlan, point: UsagePointReads): string {
  const self = usagePointHref(plan, point);
  const links = link('up', `${plan.tenantPath}/UsagePoint`) + link('related', `${self}/MeterReading`) + link('related', plan.localTimeHref);
  // Element order is usage.xsd's (UsagePoint): roleFlags, ServiceCategory, ...
  const content =
    `      <UsagePoint xmlns="${ESPI_NS}">\n` +
    (point.exports ? `        <roleFlags>${ROLE_FLAG_IS_DER.toString(16).toUpperCase().padStart(4, '0')}</roleFlags>\n` : '') +
    `        <ServiceCategory><kind>${SERVICE_KIND_ELECTRICITY}</kind></ServiceCategory>\n` +
    '      </UsagePoint>\n';
  return entry(plan, self, links, `Meter ${point.meterId}, feeder ${point.feederId}, ${point.serviceClass}`, content);
}

function intervalLabel(plan: FeedPlan): string {
  return `${plan.options.intervalMinutes}-minute intervals`;
}

function meterReadingEntries(plan: FeedPlan, point: UsagePointReads, direction: Direction): { meterReading: string; readingType: string; href: string } {
  const href = `${usagePointHref(plan, point)}/MeterReading/${direction.name}`;
  const readingTypeHref = `${ESPI_RESOURCE_BASE}/ReadingType/${nameBasedUuid(ENTRY_ID_NAMESPACE, `${href}/ReadingType`)}`;
  const meterReading = entry(
    plan,
    href,
    link('up', `${usagePointHref(plan, point)}/MeterReading`) + link('related', `${href}/IntervalBlock`) + link('related', readingTypeHref),
    `${direction.title}, ${intervalLabel(plan)}`,
    `      <MeterReading xmlns="${ESPI_NS}"/>\n`,
  );
  // Element order is usage.xsd's (ReadingType): accumulationBehaviour, commodity, dataQualifier, defaultQuality,
  // flowDirection, intervalLength, kind, powerOfTenMultiplier, timeAttribute, uom.
  const readingType = entry(
    plan,
    readingTypeHref,
    link('up', `${ESPI_RESOURCE_BASE}/ReadingType`),
    `${direction.title}, Wh x 10^${ENERGY_POWER_OF_TEN_MULTIPLIER}, ${intervalLabel(plan)}`,
    `      <ReadingType xmlns="${ESPI_NS}">\n` +
      `        <accumulationBehaviour>${ACCUMULATION_DELTA_DATA}</accumulationBehaviour>\n` +
      `        <commodity>${COMMODITY_ELECTRICITY_SECONDARY_METERED}</commodity>\n` +
      `        <dataQualifier>${DATA_QUALIFIER_NORMAL}</dataQualifier>\n` +
      `        <defaultQuality>${QualityOfReading.raw}</defaultQuality>\n` +
      `        <flowDirection>${direction.flowDirection}</flowDirection>\n` +
      `        <intervalLength>${plan.intervalSeconds}</intervalLength>\n` +
      `        <kind>${MEASUREMENT_ENERGY}</kind>\n` +
      `        <powerOfTenMultiplier>${ENERGY_POWER_OF_TEN_MULTIPLIER}</powerOfTenMultiplier>\n` +
      `        <timeAttribute>${TIME_ATTRIBUTE_NONE}</timeAttribute>\n` +
      `        <uom>${UOM_WH}</uom>\n` +
      '      </ReadingType>\n',
  );
  return { meterReading, readingType, href };
}

/** The ESPI value of an energy in kWh: an exact integer count of 10^multiplier Wh. */
export function energyValue(kwh: number): number {
  return Math.round(kwh * KWH_TO_VALUE);
}

function intervalReading(plan: FeedPlan, read: UsagePointRead, direction: Direction): string {
  const qualities = qualitiesOfStatus(read.status)
    .map((quality) => `<ReadingQuality><quality>${quality}</quality></ReadingQuality>`)
    .join('');
  // Element order is usage.xsd's (IntervalReading): cost, ReadingQuality*, timePeriod, value.
  return (
    `        <IntervalReading>${qualities}` +
    `<timePeriod><duration>${plan.intervalSeconds}</duration><start>${epochSeconds(read.readAt.getTime() - plan.intervalMs)}</start></timePeriod>` +
    `<value>${energyValue(direction.kwhOf(read))}</value></IntervalReading>\n`
  );
}

function ceilTo(ms: number, stepMs: number): number {
  return Math.ceil(ms / stepMs) * stepMs;
}

/** One IntervalBlock entry per local day that has reads, oldest first. */
function* intervalBlockEntries(plan: FeedPlan, point: UsagePointReads, meterReadingHref: string, direction: Direction): Generator<string> {
  const { reads } = point;
  let next = 0;
  for (const day of plan.days) {
    // The intervals that START in this local day. Where local midnight is not an interval boundary
    // (hourly intervals at UTC+05:30), the block starts with the first interval starting after it.
    const blockStartMs = Math.max(ceilTo(day.startMs, plan.intervalMs), plan.coveredStartMs);
    const blockEndMs = Math.min(ceilTo(day.endMs, plan.intervalMs), plan.coveredEndMs);
    let readings = '';
    while (next < reads.length && reads[next]!.readAt.getTime() - plan.intervalMs < blockEndMs) {
      readings += intervalReading(plan, reads[next]!, direction);
      next++;
    }
    if (readings === '') continue;
    const href = `${meterReadingHref}/IntervalBlock/${day.date}`;
    yield entry(
      plan,
      href,
      link('up', `${meterReadingHref}/IntervalBlock`),
      `${direction.title}, ${day.date} (${plan.options.timeZone})`,
      `      <IntervalBlock xmlns="${ESPI_NS}">\n` +
        `        <interval><duration>${epochSeconds(blockEndMs - blockStartMs)}</duration><start>${epochSeconds(blockStartMs)}</start></interval>\n` +
        readings +
        '      </IntervalBlock>\n',
    );
  }
}

/** Refuses reads the feed cannot place: out of (from, to], off the interval grid, out of order, or not finite. */
function checkReads(plan: FeedPlan, point: UsagePointReads): void {
  let previousMs = Number.NEGATIVE_INFINITY;
  for (const read of point.reads) {
    const refuse = (problem: string): never => {
      const readAt = read.readAt instanceof Date ? read.readAt.toISOString() : String(read.readAt);
      throw new RangeError(`Green Button feed: meter ${point.meterId}, read at ${readAt}: ${problem}`);
    };
    const ms = timeOf(read.readAt, `meter ${point.meterId} readAt`);
    if (ms <= plan.fromMs || ms > plan.toMs) refuse(`outside the range (${plan.options.from.toISOString()}, ${plan.options.to.toISOString()}]`);
    if (ms % plan.intervalMs !== 0) refuse(`not on a ${plan.options.intervalMinutes}-minute boundary`);
    if (ms <= previousMs) refuse('reads must be strictly oldest first');
    previousMs = ms;
    for (const direction of point.exports ? [DELIVERED, RECEIVED] : [DELIVERED]) {
      const kwh = direction.kwhOf(read);
      if (!Number.isFinite(kwh) || Math.abs(energyValue(kwh)) >= INT48_MAX) {
        refuse(`${direction.name} energy must be a finite number of kWh within ESPI Int48; got ${String(kwh)}`);
      }
    }
    qualitiesOfStatus(read.status);
  }
}

async function* feedChunks(plan: FeedPlan, usagePoints: AsyncIterable<UsagePointReads>): AsyncGenerator<string> {
  yield feedHead(plan) + localTimeEntry(plan);
  // Meter ids only (not their reads): a meter given twice would give two entries the same id.
  const metersSeen = new Set<number>();
  for await (const point of usagePoints) {
    if (!Number.isSafeInteger(point.meterId)) throw new RangeError(`Green Button feed: meter ids must be integers; got ${String(point.meterId)}`);
    if (metersSeen.has(point.meterId)) throw new RangeError(`Green Button feed: meter ${point.meterId} given twice`);
    metersSeen.add(point.meterId);
    checkReads(plan, point);
    yield usagePointEntry(plan, point);
    for (const direction of point.exports ? [DELIVERED, RECEIVED] : [DELIVERED]) {
      const { meterReading, readingType, href } = meterReadingEntries(plan, point, direction);
      yield meterReading + readingType;
      yield* intervalBlockEntries(plan, point, href, direction);
    }
  }
  yield '</feed>\n';
}

/**
 * The feed as chunks of XML text (about one Atom entry each), for a response to stream.
 * Options are checked here, before the first chunk: a bad option throws a RangeError from
 * this call, so a route can answer 400 before it starts the response. A read the feed
 * cannot place (out of range, unaligned, out of order) throws from the iteration.
 */
export function greenButtonFeed(options: GreenButtonFeedOptions, usagePoints: AsyncIterable<UsagePointReads>): AsyncGenerator<string> {
  return feedChunks(planFeed(options), usagePoints);
}
