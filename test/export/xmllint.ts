import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The ESPI usage schema (it imports Atom), copied into this repository so a fresh clone validates offline. */
export const USAGE_XSD = fileURLToPath(new URL('../fixtures/greenbutton/usage.xsd', import.meta.url));
export const SAMPLE_FEED = fileURLToPath(new URL('../fixtures/greenbutton/sample-15min-15days.xml', import.meta.url));

export interface Validation {
  valid: boolean;
  /** xmllint's messages (stderr). */
  messages: string;
}

/**
 * Validates an XML document against usage.xsd with Debian's xmllint (package
 * libxml2-utils), offline (--nonet). Throws, saying what to install, when xmllint is missing.
 */
export function validateWithXmllint(xml: string): Validation {
  const result = spawnSync('xmllint', ['--noout', '--nonet', '--schema', USAGE_XSD, '-'], { input: xml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'xmllint is not installed: the Green Button tests validate against usage.xsd with it (Debian/Ubuntu: apt-get install libxml2-utils)'
        : `xmllint could not run: ${result.error.message}`,
    );
  }
  // xmllint exits 1 for a document that is not well-formed, 3 for one that fails the schema;
  // anything else (the schema itself not loading, say) is a broken test setup, not an answer.
  if (result.status !== 0 && result.status !== 1 && result.status !== 3) {
    throw new Error(`xmllint could not validate (exit ${String(result.status)}): ${result.stderr.slice(0, 2000)}`);
  }
  return { valid: result.status === 0, messages: result.stderr };
}
