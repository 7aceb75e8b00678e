import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * The counts a suite reports at its end (faults survived, bad requests tried,
 * 5xx seen, rows lost, rows doubled ...). Test files add to them with
 * `tally()`; this global setup clears them first and prints the sums last.
 */
const FILE = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'tally.jsonl');

declare module 'vitest' {
  export interface ProvidedContext {
    tallySuite: string;
  }
}

export function tally(counts: Record<string, number>): void {
  mkdirSync(path.dirname(FILE), { recursive: true });
  appendFileSync(FILE, `${JSON.stringify(counts)}\n`);
}

export default function setup(project: TestProject) {
  rmSync(FILE, { force: true });
  const suite = (project.config.provide as { tallySuite?: string } | undefined)?.tallySuite ?? 'suite';
  return () => {
    let lines: string[] = [];
    try {
      lines = readFileSync(FILE, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no test recorded anything
    }
    const totals: Record<string, number> = {};
    for (const line of lines) {
      for (const [key, value] of Object.entries(JSON.parse(line) as Record<string, number>)) totals[key] = (totals[key] ?? 0) + value;
    }
    const width = Math.max(0, ...Object.keys(totals).map((key) => key.length));
    console.log(`\n${suite} suite totals:`);
    for (const [key, value] of Object.entries(totals)) console.log(`  ${key.padEnd(width)}  ${value}`);
  };
}
