import { describe, expect, it } from 'vitest';
import { nameBasedUuid, URL_NAMESPACE } from '../../src/export/nameUuid.ts';
import { escapeXml } from '../../src/export/xml.ts';
import { validateWithXmllint } from './xmllint.ts';
import { parseXml } from './xmlTree.ts';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('XML escaping', () => {
  const nasty = `a & b < c > d "e" 'f' ]]> tab\there\nline\r\nend`;

  it('round-trips text and attribute values through a parser', () => {
    const parsed = parseXml(`<r a="${escapeXml(nasty)}">${escapeXml(nasty)}</r>`);
    expect(parsed.attributes.a).toBe(nasty);
    expect(parsed.text).toBe(nasty);
  });

  it('replaces code points XML 1.0 cannot carry with U+FFFD, so the document stays well-formed', () => {
    const forbidden = `x\u0000y\u0001z\u001f\uFFFE\uD800!\uDC00?`;
    const escaped = escapeXml(forbidden);
    expect(escaped).toBe('x\uFFFDy\uFFFDz\uFFFD\uFFFD\uFFFD!\uFFFD?');
    // A surrogate pair (an emoji) is one valid character and stays.
    expect(escapeXml('\u{1F31E}')).toBe('\u{1F31E}');
    // xmllint (not our own parser) accepts it: its only complaint is the unknown root element.
    const { messages } = validateWithXmllint(
      `<?xml version="1.0" encoding="UTF-8"?>\n<r a="${escapeXml(forbidden + nasty)}">${escapeXml(forbidden + nasty)}</r>`,
    );
    expect(messages).not.toMatch(/parser error/);
  });
});

describe('name-based UUIDs', () => {
  it('match the RFC 9562 and Python reference values for version 5', () => {
    expect(nameBasedUuid(DNS_NAMESPACE, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(nameBasedUuid(DNS_NAMESPACE, 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('are stable per name and differ between names', () => {
    expect(nameBasedUuid(URL_NAMESPACE, 'tenant-a/7')).toBe(nameBasedUuid(URL_NAMESPACE, 'tenant-a/7'));
    expect(nameBasedUuid(URL_NAMESPACE, 'tenant-a/7')).not.toBe(nameBasedUuid(URL_NAMESPACE, 'tenant-a/8'));
    expect(() => nameBasedUuid('not-a-uuid', 'x')).toThrow(/namespace must be a UUID/);
  });
});
