import { z } from 'zod';
import { ALLOWED_INTERVAL_MINUTES, getAlignedIntervalTimestamp, isAlignedTo } from '../emulator/index.ts';
import type { FieldError } from '../errors.ts';

export const intervalMinutesSchema = z.union(
  ALLOWED_INTERVAL_MINUTES.map((minutes) => z.literal(minutes)),
  { error: `must be one of ${ALLOWED_INTERVAL_MINUTES.join(', ')}` },
);

/** The oldest instant whose reads `retentionDays` keeps (null: keep everything). */
export function retentionCutoff(now: Date, retentionDays: number): Date | null {
  return retentionDays > 0 ? new Date(now.getTime() - retentionDays * 86_400_000) : null;
}

/** The message for an instant the retention has deleted (or will within the hour), or undefined when it is kept. */
export function retentionError(instant: Date, now: Date, retentionDays: number): string | undefined {
  const oldest = retentionCutoff(now, retentionDays);
  if (!oldest || instant >= oldest) return undefined;
  return `must be within the ${retentionDays} days of reads kept (AMI_RETENTION_DAYS): reads before ${oldest.toISOString()} are deleted every hour`;
}

/**
 * The one validator of an interval someone names (publish-once, quickcheck,
 * GraphQL): on a boundary of the tenant's interval length (UTC), not after
 * the current interval, and not older than the retention keeps.
 */
export function readAtErrors(readAt: Date, rules: { intervalMinutes: number; now: Date; retentionDays: number }, field = 'readAt'): FieldError[] {
  if (!isAlignedTo(readAt, rules.intervalMinutes)) {
    const examples = [0, rules.intervalMinutes].map((minutes) => new Date(Date.UTC(2026, 0, 1, 10, minutes)).toISOString().slice(11, 16));
    return [{ field, message: `must be on a ${rules.intervalMinutes}-minute boundary (UTC), e.g. ${examples.join(', ')}` }];
  }
  const current = getAlignedIntervalTimestamp(rules.intervalMinutes, rules.now);
  if (readAt > current) return [{ field, message: `must not be in the future: the current interval is ${current.toISOString()}` }];
  const retention = retentionError(readAt, rules.now, rules.retentionDays);
  return retention ? [{ field, message: retention }] : [];
}
