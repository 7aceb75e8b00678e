/**
 * XML text for the exports: escaping that round-trips any string through an XML 1.0
 * parser, in element text and in attribute values alike.
 */

// Code points XML 1.0 forbids even as character references: C0 controls but tab, LF
// and CR; U+FFFE and U+FFFF; unpaired surrogates. They become U+FFFD.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters XML forbids is the point.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SPECIAL = /[&<>"'\t\n\r]/g;
const REFERENCE: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // As references, so a parser keeps them (it folds raw ones in attributes to spaces, and raw CR to LF).
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** `text` escaped for element content or a quoted attribute value. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(SPECIAL, (c) => REFERENCE[c]!);
}
