/**
 * A small non-validating XML parser for reading back what the exports write (elements,
 * attributes, text, comments, processing instructions; no DTD, no CDATA). It is
 * independent of the writer, so a test that walks its tree checks the text the writer
 * produced, not the writer's own idea of it. Namespace prefixes are kept in names.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data, entity references decoded (children's text excluded). */
  text: string;
}

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[ref]!;
  });
}

const TOKEN = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
const ATTRIBUTE = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let consumed = 0;
  for (const match of xml.matchAll(TOKEN)) {
    if (match.index !== consumed) throw new Error(`not well-formed XML at offset ${consumed}: ${JSON.stringify(xml.slice(consumed, consumed + 40))}`);
    consumed = match.index + match[0].length;
    const [, closing, opening, attributeText, selfClosing, text] = match;
    const current = stack.at(-1)!;
    if (closing !== undefined) {
      if (current.name !== closing) throw new Error(`</${closing}> closes <${current.name}>`);
      stack.pop();
    } else if (opening !== undefined) {
      const element: XmlElement = { name: opening, attributes: {}, children: [], text: '' };
      for (const [, name, double, single] of (attributeText ?? '').matchAll(ATTRIBUTE)) {
        element.attributes[name!] = decode(double ?? single ?? '');
      }
      current.children.push(element);
      if (selfClosing !== '/') stack.push(element);
    } else if (text !== undefined) {
      current.text += decode(text);
    }
  }
  if (consumed !== xml.length) throw new Error(`not well-formed XML at offset ${consumed}`);
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  const elements = root.children;
  if (elements.length !== 1) throw new Error(`expected one document element, found ${elements.length}`);
  return elements[0]!;
}

/** The children of `element` named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The only child of `element` named `name`; throws when there is not exactly one. */
export function child(element: XmlElement, name: string): XmlElement {
  const found = childrenNamed(element, name);
  if (found.length !== 1) throw new Error(`<${element.name}> has ${found.length} <${name}> children, expected 1`);
  return found[0]!;
}

/** The text of the only child named `name`. */
export function textOf(element: XmlElement, name: string): string {
  return child(element, name).text;
}

/** The number in the only child named `name` (must be an integer). */
export function integerOf(element: XmlElement, name: string): number {
  const text = textOf(element, name).trim();
  if (!/^-?\d+$/.test(text)) throw new Error(`<${name}> holds ${JSON.stringify(text)}, not an integer`);
  return Number(text);
}
