/**
 * Reads a Green Button feed back the way a consumer does: entries by their links (a
 * UsagePoint's `related` collection holds the MeterReadings whose `up` it is; a
 * MeterReading's `related` names its ReadingType's `self` and its IntervalBlocks' `up`).
 */

import { child, childrenNamed, integerOf, parseXml, textOf, type XmlElement } from './xmlTree.ts';

export const ESPI_NS = 'http://naesb.org/espi';

export interface FeedEntry {
  id: string;
  self: string;
  up: string | undefined;
  related: string[];
  title: string;
  published: string;
  updated: string;
  /** The ESPI element inside `content`. */
  resource: XmlElement;
}

export interface ParsedFeed {
  id: string;
  title: string;
  updated: string;
  selfHref: string;
  entries: FeedEntry[];
}

export interface Reading {
  start: number;
  duration: number;
  value: number;
  qualities: number[];
}

export interface MeterReadingView {
  entry: FeedEntry;
  readingType: XmlElement;
  blocks: Array<{ entry: FeedEntry; start: number; duration: number; readings: Reading[] }>;
}

export interface UsagePointView {
  entry: FeedEntry;
  localTimeParameters: XmlElement;
  meterReadings: MeterReadingView[];
}

function linksOf(element: XmlElement, rel: string): string[] {
  return childrenNamed(element, 'link')
    .filter((link) => link.attributes.rel === rel)
    .map((link) => link.attributes.href!);
}

export function readFeed(xml: string): ParsedFeed {
  const feed = parseXml(xml);
  if (feed.name !== 'feed' || feed.attributes.xmlns !== 'http://www.w3.org/2005/Atom') throw new Error('not an Atom feed');
  const [selfHref, ...moreSelf] = linksOf(feed, 'self');
  if (selfHref === undefined || moreSelf.length > 0) throw new Error('a feed has one self link');
  return {
    id: textOf(feed, 'id'),
    title: textOf(feed, 'title'),
    updated: textOf(feed, 'updated'),
    selfHref,
    entries: childrenNamed(feed, 'entry').map((entry) => {
      const [self, ...moreSelves] = linksOf(entry, 'self');
      const ups = linksOf(entry, 'up');
      if (self === undefined || moreSelves.length > 0 || ups.length > 1) throw new Error(`entry ${textOf(entry, 'id')}: one self link and at most one up link`);
      const content = child(entry, 'content');
      if (content.children.length !== 1) throw new Error(`entry ${self}: content must hold one ESPI resource`);
      const resource = content.children[0]!;
      if (resource.attributes.xmlns !== ESPI_NS) throw new Error(`entry ${self}: content is not in the ESPI namespace`);
      return {
        id: textOf(entry, 'id'),
        self,
        up: ups[0],
        related: linksOf(entry, 'related'),
        title: textOf(entry, 'title'),
        published: textOf(entry, 'published'),
        updated: textOf(entry, 'updated'),
        resource,
      };
    }),
  };
}

function readingsOf(block: XmlElement): Reading[] {
  return childrenNamed(block, 'IntervalReading').map((reading) => {
    const period = child(reading, 'timePeriod');
    return {
      start: integerOf(period, 'start'),
      duration: integerOf(period, 'duration'),
      value: integerOf(reading, 'value'),
      qualities: childrenNamed(reading, 'ReadingQuality').map((quality) => integerOf(quality, 'quality')),
    };
  });
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0]!;
}

/** Every UsagePoint with the resources its links lead to, in feed order. */
export function usagePoints(feed: ParsedFeed): UsagePointView[] {
  const kind = (name: string) => feed.entries.filter((entry) => entry.resource.name === name);
  return kind('UsagePoint').map((usagePoint) => ({
    entry: usagePoint,
    localTimeParameters: only(
      kind('LocalTimeParameters').filter((entry) => usagePoint.related.includes(entry.self)),
      `LocalTimeParameters related to ${usagePoint.self}`,
    ).resource,
    meterReadings: kind('MeterReading')
      .filter((meterReading) => meterReading.up !== undefined && usagePoint.related.includes(meterReading.up))
      .map((meterReading) => ({
        entry: meterReading,
        readingType: only(
          kind('ReadingType').filter((entry) => meterReading.related.includes(entry.self)),
          `ReadingType related to ${meterReading.self}`,
        ).resource,
        blocks: kind('IntervalBlock')
          .filter((block) => block.up !== undefined && meterReading.related.includes(block.up))
          .map((block) => {
            const interval = child(block.resource, 'interval');
            return { entry: block, start: integerOf(interval, 'start'), duration: integerOf(interval, 'duration'), readings: readingsOf(block.resource) };
          }),
      })),
  }));
}

/** The MeterReading of a usage point whose ReadingType has this flowDirection. */
export function meterReadingByFlow(usagePoint: UsagePointView, flowDirection: number): MeterReadingView | undefined {
  const found = usagePoint.meterReadings.filter((meterReading) => integerOf(meterReading.readingType, 'flowDirection') === flowDirection);
  if (found.length > 1) throw new Error(`${usagePoint.entry.self} has ${found.length} MeterReadings with flowDirection ${flowDirection}`);
  return found[0];
}

export function allReadings(meterReading: MeterReadingView): Reading[] {
  return meterReading.blocks.flatMap((block) => block.readings);
}
